import { z } from 'zod';
import { defineChannel } from './define.ts';
import { ChartAccess, ChartSections } from '../chart/chart.ts';
import { AllergyEdit, NoteEntry, VitalsEntry } from '../chart/vitals.ts';
import { SyncConflict, SyncStatus } from '../sync/status.ts';
import { SessionStatus } from '../session/status.ts';
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

/** A FHIR resource id (R4: 1-64 of letters, digits, '-' and '.'). */
const FhirId = z.string().regex(/^[A-Za-z0-9.-]{1,64}$/, 'Not a valid record id');
const PatientRequest = z.object({ patientId: FhirId }).strict();
/** A PIN as typed: digits only. Length rules are policy's, checked in the main process. */
const Pin = z.string().regex(/^[0-9]{4,12}$/, 'A PIN is 4 to 12 digits');
const Username = z.string().trim().min(1, 'Type your username').max(128, 'The username is too long');

export const BreakGlassReviewQueue = z.object({
  items: z.array(
    z.object({
      grantId: z.string(),
      userId: z.string(),
      userName: z.string().nullable(),
      role: z.string(),
      patientId: z.string(),
      patientName: z.string().nullable(),
      reasonCode: z.string(),
      reasonDisplay: z.string(),
      justification: z.string(),
      startedAt: z.number(),
      endedAt: z.number().nullable(),
      endReason: z.string().nullable(),
      expiresAt: z.number(),
      viewed: z.array(z.object({ at: z.number(), what: z.string() })),
    }),
  ),
  alerts: z.array(z.object({ userId: z.string(), userName: z.string().nullable(), count: z.number().int(), shiftHours: z.number().int() })),
});
export type BreakGlassReviewQueue = z.infer<typeof BreakGlassReviewQueue>;

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
  'session.status': defineChannel({ request: Empty, response: SessionStatus, access: { kind: 'public' }, phi: false }),
  /** Opens the provider's sign-in page; the outcome arrives as `session.changed`. */
  'session.signIn': defineChannel({ request: Empty, response: SessionStatus, access: { kind: 'public' }, phi: false }),
  'session.cancelSignIn': defineChannel({ request: Empty, response: SessionStatus, access: { kind: 'public' }, phi: false }),
  /** Username + PIN while the provider cannot be reached, within policy's offline window. */
  'session.signInOffline': defineChannel({
    request: z.object({ username: Username, pin: Pin }).strict(),
    response: SessionStatus,
    access: { kind: 'public' },
    phi: false,
  }),
  'session.setPin': defineChannel({ request: z.object({ pin: Pin }).strict(), response: SessionStatus, access: { kind: 'signedIn' }, phi: false }),
  'session.unlock': defineChannel({ request: z.object({ pin: Pin }).strict(), response: SessionStatus, access: { kind: 'signedIn' }, phi: false }),
  'session.lock': defineChannel({ request: Empty, response: SessionStatus, access: { kind: 'signedIn' }, phi: false }),
  /** Ends the session completely ("Switch user", "Sign out"). */
  'session.end': defineChannel({
    request: z.object({ reason: z.enum(['signOut', 'switchUser']) }).strict(),
    response: SessionStatus,
    access: { kind: 'signedIn' },
    phi: false,
  }),
  /** Input in the window (throttled by the renderer): restarts the idle clock. */
  'session.activity': defineChannel({ request: Empty, response: z.object({}).strict(), access: { kind: 'signedIn' }, phi: false }),
  'patients.search': defineChannel({
    request: PatientSearchRequest,
    response: z.object({ results: z.array(PatientSummary) }),
    access: { kind: 'session', permission: 'patient.demographics.read' },
    phi: true,
  }),
  /**
   * Opening a patient: demographics, how much of the chart this user may see, and the clinical
   * sections when that is all of it (one request, one audit entry per chart open).
   */
  'patients.open': defineChannel({
    request: PatientRequest,
    response: z.object({
      patient: PatientSummary,
      access: ChartAccess,
      sections: ChartSections.nullable(),
      /** When the full chart comes from a break-glass grant: when that grant ends (epoch ms). */
      emergencyAccessUntil: z.number().nullable(),
    }),
    access: { kind: 'session', permission: 'patient.demographics.read', patientOf: (request: { patientId: string }) => request.patientId },
    phi: true,
  }),
  /** The clinical sections alone (a refresh): care team (or break-glass) only. */
  'chart.read': defineChannel({
    request: PatientRequest,
    response: ChartSections,
    access: { kind: 'session', permission: 'patient.clinical.read', patientOf: (request: { patientId: string }) => request.patientId },
    phi: true,
  }),
  /** Break-glass: reason, justification and the PIN again; the grant is durable before this answers. */
  'breakGlass.request': defineChannel({
    request: z
      .object({
        patientId: FhirId,
        reason: z.string().regex(/^[A-Z][A-Z0-9]{1,19}$/, 'Choose one of the listed reasons'),
        justification: z.string().max(2000, 'The justification is too long'),
        pin: Pin,
      })
      .strict(),
    response: z.object({ expiresAt: z.number() }),
    access: { kind: 'session', permission: 'patient.emergencyAccess', patientOf: (request: { patientId: string }) => request.patientId },
    phi: false,
  }),
  /** The privacy officer's queue of break-glass events not yet reviewed, and alerts. */
  'breakGlass.reviewQueue': defineChannel({
    request: Empty,
    response: BreakGlassReviewQueue,
    access: { kind: 'session', permission: 'audit.read' },
    phi: true,
  }),
  'breakGlass.markReviewed': defineChannel({
    request: z.object({ grantId: z.uuid(), comment: z.string().trim().min(1, 'Write a comment for the review').max(2000) }).strict(),
    response: z.object({}).strict(),
    access: { kind: 'session', permission: 'audit.read' },
    phi: false,
  }),
  /** Vital signs taken now: one Observation per vital sign, stored locally and queued for central. */
  'chart.recordVitals': defineChannel({
    request: z.object({ patientId: FhirId, vitals: VitalsEntry }).strict(),
    response: z.object({ recorded: z.number().int() }),
    access: { kind: 'session', permission: 'patient.clinical.write', patientOf: (request: { patientId: string }) => request.patientId },
    phi: false,
  }),
  /** A clinical note: a DocumentReference stored locally and queued for central. */
  'chart.writeNote': defineChannel({
    request: z.object({ patientId: FhirId, note: NoteEntry }).strict(),
    response: z.object({ id: z.string() }),
    access: { kind: 'session', permission: 'patient.clinical.write', patientOf: (request: { patientId: string }) => request.patientId },
    phi: false,
  }),
  /** A change to an allergy's criticality, clinical status or comment, based on the version shown. */
  'chart.editAllergy': defineChannel({
    request: z.object({ patientId: FhirId, allergyId: FhirId, edit: AllergyEdit }).strict(),
    response: z.object({}).strict(),
    access: { kind: 'session', permission: 'patient.clinical.write', patientOf: (request: { patientId: string }) => request.patientId },
    phi: false,
  }),
  /** Counts and connection only: shown on every screen, the lock screen included. */
  'sync.status': defineChannel({ request: Empty, response: SyncStatus, access: { kind: 'signedIn' }, phi: false }),
  /** Start a sync round now (it also runs on its own); answers when the round ends. */
  'sync.now': defineChannel({ request: Empty, response: SyncStatus, access: { kind: 'signedIn' }, phi: false }),
  /**
   * The signed-in clinician's own changes central refused as stale: theirs beside central's. Only
   * their own: each change passed the write check for its patient when it was made, and it spans
   * patients, so the permission here is the one every patient-facing role holds.
   */
  'sync.conflicts': defineChannel({
    request: Empty,
    response: z.object({ items: z.array(SyncConflict) }),
    access: { kind: 'session', permission: 'patient.demographics.read' },
    phi: true,
  }),
  /** Keep mine (sent again over central's version), keep theirs (mine is set aside), or a hand merge. */
  'sync.resolveConflict': defineChannel({
    request: z.discriminatedUnion('choice', [
      z.object({ conflictId: z.number().int().positive(), choice: z.literal('mine') }).strict(),
      z.object({ conflictId: z.number().int().positive(), choice: z.literal('theirs') }).strict(),
      z.object({ conflictId: z.number().int().positive(), choice: z.literal('merged'), merged: AllergyEdit }).strict(),
    ]),
    response: z.object({}).strict(),
    access: { kind: 'session', permission: 'patient.demographics.read' },
    phi: false,
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
  invoke<C extends ChannelName>(
    channel: C,
    request: ChannelRequest<C>,
  ): Promise<IpcResult<ChannelResponse<C>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** Names of the two Electron IPC messages that carry the contract (invoke, and events out). */
export const BRIDGE_INVOKE = 'clinic:invoke';
export const BRIDGE_EVENT = 'clinic:event';
