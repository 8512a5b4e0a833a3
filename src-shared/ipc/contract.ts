import type { z } from 'zod';
import { SessionStatus } from '../session/status.ts';
import { SyncStatus } from '../sync/status.ts';
import type { IpcResult } from './errors.ts';
import { alertChannels } from './channels/alerts.ts';
import { breakGlassChannels } from './channels/break-glass.ts';
import { chartReadChannels, chartWriteChannels } from './channels/chart.ts';
import { draftChannels } from './channels/drafts.ts';
import { sessionChannels } from './channels/session.ts';
import { syncChannels } from './channels/sync.ts';
import { WorkstationStatus, workstationChannels } from './channels/workstation.ts';

export { PolicySettingView, WorkstationHealth, WorkstationStatus } from './channels/workstation.ts';
export {
  CENTRAL_SEARCH_MAX,
  OnDemandChart,
  PANE_LIST_MAX,
  PatientListItem,
  PatientSearchRequest,
  PatientSummary,
} from './channels/chart.ts';
export {
  BreakGlassReviewHistory,
  BreakGlassReviewQueue,
  ReviewExportFormat,
  ReviewHistoryFilter,
} from './channels/break-glass.ts';
export { AccessAlertQueue } from './channels/alerts.ts';
export { DRAFTS_PER_USER_MAX, KeptDraft } from './channels/drafts.ts';

/**
 * Every channel between a window and the core, declared once: its request and response schemas,
 * who may call it and whether it carries PHI. The preload, the web host and the router all read
 * this table; nothing else crosses the bridge.
 *
 * Each capability declares its own channels in channels/<capability>.ts; this merges them. The
 * order of the names is the table's historical one (break-glass between reading and writing the
 * chart), kept so that channelNames stays the same.
 */
export const channels = {
  ...workstationChannels,
  ...sessionChannels,
  ...chartReadChannels,
  ...breakGlassChannels,
  ...chartWriteChannels,
  ...syncChannels,
  ...alertChannels,
  ...draftChannels,
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
  /** Every change of the session: sign-in, PIN set, warning, lock, unlock, end. */
  'session.changed': SessionStatus,
  /** Every change of the sync status (a round starts or ends, a change is queued or resolved). */
  'sync.changed': SyncStatus,
} as const;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;
export const eventNames = Object.keys(events) as EventName[];
export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.hasOwn(events, value);
}

/** The one object the preload (or the web host's bridge) exposes to the renderer. */
export interface ClinicBridge {
  invoke<C extends ChannelName>(channel: C, request: ChannelRequest<C>): Promise<IpcResult<ChannelResponse<C>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** Names of the two Electron IPC messages that carry the contract (invoke, and events out). */
export const BRIDGE_INVOKE = 'clinic:invoke';
export const BRIDGE_EVENT = 'clinic:event';
