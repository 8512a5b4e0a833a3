/**
 * Workstation channels: what the window needs to know about this workstation itself (app name and
 * version, workstation id, the vault's state) and the managed policy in force. No PHI.
 */
import { z } from 'zod';
import { defineChannel } from '../define.ts';
import { VaultStatus } from '../../vault/status.ts';
import { Empty } from './common.ts';

export const WorkstationStatus = z.object({
  appName: z.string(),
  appVersion: z.string(),
  workstationId: z.string().nullable(),
  vault: VaultStatus,
});
export type WorkstationStatus = z.infer<typeof WorkstationStatus>;

export const workstationChannels = {
  'workstation.status': defineChannel({
    request: Empty,
    response: WorkstationStatus,
    access: { kind: 'public' },
    phi: false,
  }),
  /** The managed policy in force, for the settings screen ("Managed by your organization"). No PHI. */
  'workstation.policy': defineChannel({
    request: Empty,
    response: z.object({
      source: z.string(),
      settings: z.array(z.object({ name: z.string(), value: z.string() })),
    }),
    access: { kind: 'signedIn' },
    phi: false,
  }),
} as const;
