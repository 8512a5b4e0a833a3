import { z } from 'zod';
import { defineChannel } from './define.ts';
import { VaultStatus } from '../vault/status.ts';
import type { IpcResult } from './errors.ts';

/** An empty request: nothing may be sent, so nothing unexpected crosses the bridge. */
const Empty = z.object({}).strict();

export const WorkstationStatus = z.object({
  appName: z.string(),
  appVersion: z.string(),
  workstationId: z.string().nullable(),
  vault: VaultStatus,
});
export type WorkstationStatus = z.infer<typeof WorkstationStatus>;

export const PatientSummary = z.object({
  id: z.string(),
  name: z.string(),
  mrn: z.string().nullable(),
  birthDate: z.string().nullable(),
  gender: z.string().nullable(),
});
export type PatientSummary = z.infer<typeof PatientSummary>;

export const PatientSearchRequest = z
  .object({
    /** A name prefix, an MRN or a birth date (YYYY-MM-DD). */
    query: z.string().trim().min(1, 'Type at least one character').max(100, 'Search text is too long'),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .strict();

/**
 * Every channel between a window and the core, declared once: its request and response schemas,
 * who may call it and whether it carries PHI. The preload, the web host and the router all read
 * this table; nothing else crosses the bridge.
 */
export const channels = {
  'workstation.status': defineChannel({
    request: Empty,
    response: WorkstationStatus,
    access: { kind: 'public' },
    phi: false,
  }),
  'patients.search': defineChannel({
    request: PatientSearchRequest,
    response: z.object({ results: z.array(PatientSummary) }),
    access: { kind: 'session', permission: 'patient.demographics.read' },
    phi: true,
  }),
} as const;

export type Channels = typeof channels;
export type ChannelName = keyof Channels;
export const channelNames = Object.keys(channels) as ChannelName[];
export type ChannelRequest<C extends ChannelName> = z.input<Channels[C]['request']>;
export type ChannelResponse<C extends ChannelName> = z.output<Channels[C]['response']>;

export function isChannelName(value: unknown): value is ChannelName {
  return typeof value === 'string' && Object.hasOwn(channels, value);
}

/** Events the core pushes to the window, with their payload schemas. */
export const events = {
  'workstation.statusChanged': WorkstationStatus,
} as const;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;
export const eventNames = Object.keys(events) as EventName[];
export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.hasOwn(events, value);
}

/** The one object the preload (or the web host's bridge) exposes to the renderer. */
export interface ClinicBridge {
  invoke<C extends ChannelName>(
    channel: C,
    request: ChannelRequest<C>,
  ): Promise<IpcResult<ChannelResponse<C>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** Names of the two Electron IPC messages that carry the contract (invoke, and events out). */
export const BRIDGE_INVOKE = 'clinic:invoke';
export const BRIDGE_EVENT = 'clinic:event';
