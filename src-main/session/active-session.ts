/**
 * What the session modules share: one signed-in session as the manager keeps it, what the manager
 * audits, and what the sign-in and PIN flows may ask of the state machine (session.ts).
 */
import type { Policy } from '../../src-shared/policy/schema.ts';
import type { SessionEndReason, SessionStatus } from '../../src-shared/session/status.ts';
import type { Disposables } from '../base/index.ts';
import type { KnownUser } from '../identity/index.ts';
import type { LockController } from '../lock/index.ts';
import type { SessionTokens, TokenRefresh } from './refresh.ts';

/** What the session did, for the audit trail (never a PIN, a token or a patient). */
export interface SessionAuditEvent {
  action: 'signIn' | 'signInFailed' | 'pinSet' | 'lock' | 'unlock' | 'unlockFailed' | 'end';
  outcome: 'success' | 'failure';
  userId: string | null;
  role: string | null;
  /** The sign-in method, the lock reason, the failure or the end reason. */
  detail: string;
}

export interface ActiveSession {
  user: KnownUser;
  /** Epoch ms of the full sign-in behind this session; null for a PIN (offline) sign-in. */
  fullSignInAt: number | null;
  startedAt: number;
  pinSet: boolean;
  lock: LockController;
  /** The access token and its refresh schedule. */
  refresh: TokenRefresh;
  /** The session's timers (maximum length, next refresh): all cancelled when it stops. */
  disposables: Disposables;
}

/** The state machine as the flows see it. */
export interface SessionMachine {
  /** The session now, or null when nobody is signed in. */
  session(): ActiveSession | null;
  /** The session now; throws CoreError unauthenticated when nobody is signed in. */
  require(): ActiveSession;
  /** Audits what the session did, then emits its event. */
  record(event: SessionAuditEvent): void;
  /** Starts a signed-in user's session (the caller audited the sign-in and announces it). */
  start(user: KnownUser, fullSignInAt: number | null, pinSet: boolean, tokens: SessionTokens | null): void;
  /** Ends the session completely, audits and announces it. */
  end(reason: SessionEndReason): void;
  /** Tells the window the status changed. */
  changed(): void;
  status(): SessionStatus;
}

const HOUR_MS = 3_600_000;

/** The policy's maximum session length: after it, a full sign-in, locked or not. */
export function maxSessionMs(identity: Policy['identity']): number {
  return identity.maxSessionHours * HOUR_MS;
}
