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

/** One setting of the policy in force, in words (src-main/policy/describe.ts). No PHI. */
export const PolicySettingView = z
  .object({
    /** The dotted name IT writes in the policy file, registry or managed preferences. */
    name: z.string(),
    group: z.string(),
    label: z.string(),
    description: z.string(),
    /** The value in words and units ("5 minutes", "64 MiB", "On"). */
    value: z.string(),
    /** True when it is the built-in default; false when the policy changed it. */
    isDefault: z.boolean(),
  })
  .strict();
export type PolicySettingView = z.infer<typeof PolicySettingView>;

const count = z.number().int().nonnegative();
const instant = z.number().nullable();

/**
 * The IT admin's workstation status screen (issue 16): the same facts `ws status` and the
 * compliance report read, from the running app. Counts, settings, versions and ids only: no PHI.
 */
export const WorkstationHealth = z
  .object({
    appVersion: z.string(),
    workstationId: z.string().nullable(),
    vault: z.object({
      open: z.boolean(),
      schemaVersion: count,
      /** Read back from the open database (PRAGMAs), not what the code meant to set. */
      cipher: z.object({
        cipher: z.string(),
        legacy: z.number().int(),
        hmacAlgorithm: z.string(),
        hmacUse: z.boolean(),
        pageSize: count,
        plaintextHeaderSize: count,
        secureDelete: z.boolean(),
      }),
      fileEncrypted: z.boolean(),
    }),
    keychain: z.object({ reachable: z.boolean(), keyPresent: z.boolean() }),
    escrow: z.object({ recoveryKeyInPolicy: z.boolean(), present: z.boolean(), verified: z.boolean() }),
    policy: z.object({ source: z.string(), managed: z.boolean() }),
    sync: z.object({ pending: count, held: count, conflicts: count, lastPullAt: instant }),
    audit: z.object({ entries: count, unshipped: count, refusedByCentral: count, lastShippedAt: instant }),
    central: z.object({
      configured: z.boolean(),
      lastContactAt: instant,
      offlineMs: count,
      maxOfflineDays: count,
      expired: z.boolean(),
    }),
    /** What central's fleet view was last told of this workstation (fleet/report.ts). */
    fleet: z.object({
      lastReportedAt: instant,
      appVersion: z.string().nullable(),
      pendingChanges: count.nullable(),
      auditBacklog: count.nullable(),
      policySource: z.string().nullable(),
    }),
    /** Each fleet report first looks for IT's wipe order: none found at `lastCheckedAt`. */
    remoteWipe: z.object({ inProgress: z.boolean(), lastCheckedAt: instant }),
  })
  .strict();
export type WorkstationHealth = z.infer<typeof WorkstationHealth>;

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
      /** Whether it is IT's managed policy: then every setting is locked to IT's value. */
      managed: z.boolean(),
      settings: z.array(PolicySettingView),
    }),
    access: { kind: 'signedIn' },
    phi: false,
  }),
  /** The IT admin's status screen; audited as a read of the workstation's status (no patient). */
  'workstation.health': defineChannel({
    request: Empty,
    response: WorkstationHealth,
    access: { kind: 'session', permission: 'workstation.admin' },
    phi: false,
  }),
} as const;
