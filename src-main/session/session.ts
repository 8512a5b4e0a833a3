/**
 * Shared-workstation sessions (PRODUCT.md capabilities 2 and 3): who is at the keyboard, and
 * whether the screen may show anything. One session at a time:
 *
 *   signedOut --full sign-in--> pinSetup --set PIN--> active <--> warning
 *       ^   \--PIN sign-in (offline window)-----------^  |  \        |
 *       |                                                 v   v       v
 *       +--- end (switch user, sign out, max session, ---- locked --PIN--> active
 *            access revoked, PIN lockout)
 *
 * This module is the state machine: who is signed in, pinSetup/active/locked, the maximum session
 * length, ending a session completely, status(), current() and the typed events. The lock
 * controller (src-main/lock) decides idle, OS and manual locks; the provider sign-in
 * (provider-sign-in.ts), the PIN flows (pin-flows.ts) and the token refresh schedule (refresh.ts)
 * act on the session through it. The router asks `current()` before every request, so a lock
 * takes effect for the very next request, whatever the window still shows.
 */
import type { Role } from '../../src-shared/access/roles.ts';
import type { Policy } from '../../src-shared/policy/schema.ts';
import type { SessionEndReason, SessionStatus } from '../../src-shared/session/status.ts';
import type { AuditTrail } from '../audit/index.ts';
import { CoreError, createDisposables, createEmitter, errorName, type Emitter, type Events } from '../base/index.ts';
import { offlineExpiredMessage, offlineWindow, type OfflineWindow } from '../contact/index.ts';
import type { KnownUser } from '../identity/index.ts';
import type { Session } from '../ipc/index.ts';
import { createLockController, type LockController, type LockEvent } from '../lock/index.ts';
import type { Logger } from '../log/index.ts';
import type { AuthBrowser, Clock, PowerEvents, Timers } from '../ports.ts';
import type { Database } from '../vault/index.ts';
import { maxSessionMs, type ActiveSession, type SessionAuditEvent, type SessionMachine } from './active-session.ts';
import { createPinFlows } from './pin-flows.ts';
import { createProviderSignIn, type SignInState } from './provider-sign-in.ts';
import { createTokenRefresh, type SessionTokens } from './refresh.ts';

export type { SessionAuditEvent } from './active-session.ts';

export interface SessionDeps {
  /** The vault's database; throws VaultError when the cache is not available. */
  db(): Database;
  policy: Policy;
  clock: Clock;
  timers: Timers;
  power: PowerEvents;
  /** Opens the provider's page; absent where nobody can sign in (the IT command line). */
  authBrowser: AuthBrowser | null;
  logger: Logger;
  /** The audit trail; throws VaultError when the cache is not available. */
  trail(): AuditTrail;
  /** Break-glass as this user may use it (policy, reasons, the grants they hold). */
  emergencyAccess(user: { userId: string; role: string } | null): SessionStatus['emergencyAccess'];
}

/**
 * What happened to the session, for the capabilities that react to it (break-glass ends a
 * session's grants, sync sends a signed-in user's held changes) and for the window (`changed`).
 * Each is emitted after its audit entry was written.
 */
export type SessionEvents = {
  /** Anything the window shows of the session changed: here is the new status. */
  changed: SessionStatus;
  signedIn: { userId: string; role: Role; method: 'provider' | 'pin' };
  locked: { userId: string; reason: string };
  unlocked: { userId: string };
  ended: { userId: string; reason: SessionEndReason };
};

export interface SessionManager {
  readonly events: Events<SessionEvents>;
  status(): SessionStatus;
  /** The session as the router sees it: null when nobody is signed in. */
  current(): Session | null;
  /** Starts a full sign-in at the provider; the outcome arrives as a `changed` event. */
  startSignIn(): SessionStatus;
  cancelSignIn(): SessionStatus;
  signInWithPin(username: string, pin: string): Promise<SessionStatus>;
  setPin(pin: string, currentPin?: string): Promise<SessionStatus>;
  unlock(pin: string): Promise<SessionStatus>;
  lock(): SessionStatus;
  /**
   * The PIN again, for break-glass: only in an unlocked session, and a wrong one counts toward
   * the lockout (which ends the session). Throws CoreError UNAUTHENTICATED when it is not right.
   */
  confirmPin(pin: string): Promise<void>;
  /** Tells the window something besides the session changed (break-glass grants). */
  announce(): void;
  /** The signed-in user's access token for the central API (memory only), or null. */
  accessToken(): string | null;
  end(reason: 'signOut' | 'switchUser' | 'remoteWipe'): SessionStatus;
  activity(): void;
  /** Ends everything (app shutdown): no event, no timer left. */
  close(): void;
}

/** The status the window shows: the session's state, the sign-in's and the policy's rules. */
function statusOf(
  deps: SessionDeps,
  s: ActiveSession | null,
  signIn: SignInState,
  endedReason: SessionEndReason | null,
): SessionStatus {
  const { policy } = deps;
  let state: SessionStatus['state'] = 'signedOut';
  let snapshot = null;
  if (s) {
    snapshot = s.lock.snapshot();
    state = !s.pinSet
      ? 'pinSetup'
      : snapshot.state === 'locked'
        ? 'locked'
        : snapshot.state === 'warning'
          ? 'warning'
          : 'active';
  }
  return {
    state,
    user: s
      ? { userId: s.user.userId, username: s.user.username, displayName: s.user.displayName, role: s.user.role }
      : null,
    offline: s !== null && s.fullSignInAt === null,
    signIn,
    lockDeadline: snapshot?.state === 'warning' ? snapshot.deadline : null,
    lockReason: snapshot?.state === 'locked' ? snapshot.reason : null,
    endedReason: s ? null : endedReason,
    pinRules: { minLength: policy.identity.pinMinLength, maxFailures: policy.identity.pinMaxFailures },
    signInConfigured: policy.central !== undefined && deps.authBrowser !== null,
    centralContact: centralContactOf(deps),
    emergencyAccess: deps.emergencyAccess(s && s.pinSet && snapshot?.state !== 'locked' ? s.user : null),
  };
}

/** Offline expiry as the window shows it; nothing to say while the cache is not open. */
function centralContactOf(deps: SessionDeps): SessionStatus['centralContact'] {
  const maxOfflineDays = deps.policy.cache.maxOfflineDays;
  let window: OfflineWindow;
  try {
    window = offlineWindow(deps.db(), deps.clock.now(), maxOfflineDays);
  } catch {
    return { expired: false, maxOfflineDays, lastContactAt: null, message: null };
  }
  return {
    expired: window.expired,
    maxOfflineDays,
    lastContactAt: window.lastContactAt,
    message: window.expired ? offlineExpiredMessage(maxOfflineDays) : null,
  };
}

/**
 * Into the audit trail first (a failure is loud in the log, but the session goes on: locking must
 * never wait for a disk), then to the capabilities that react to it (none for a failure).
 */
function recordIn(deps: SessionDeps, events: Emitter<SessionEvents>, event: SessionAuditEvent): void {
  try {
    deps.trail().append({
      action: `session.${event.action}`,
      outcome: event.outcome,
      userId: event.userId,
      role: event.role,
      detail: event.detail,
    });
  } catch (error) {
    deps.logger.log('error', 'audit.append-failed', { reason: `session.${event.action}`, errorName: errorName(error) });
  }
  const { userId, role } = event;
  if (userId === null || role === null) return;
  if (event.action === 'signIn')
    events.emit('signedIn', { userId, role: role as Role, method: event.detail === 'pin' ? 'pin' : 'provider' });
  else if (event.action === 'lock') events.emit('locked', { userId, reason: event.detail });
  else if (event.action === 'unlock') events.emit('unlocked', { userId });
  else if (event.action === 'end') events.emit('ended', { userId, reason: event.detail as SessionEndReason });
}

/** The session as the router sees it. */
function routerSession(s: ActiveSession | null): Session | null {
  if (!s) return null;
  return {
    userId: s.user.userId,
    role: s.user.role,
    practitionerId: s.user.practitionerId,
    locked: !s.pinSet || s.lock.snapshot().state === 'locked',
  };
}

/** A new session's screen lock (idle, OS and manual locks). */
function lockFor(deps: SessionDeps): LockController {
  const { logger } = deps;
  return createLockController({
    policy: deps.policy.lock,
    clock: deps.clock,
    timers: deps.timers,
    power: deps.power,
    onListenerError: (error) => logger.log('error', 'session.lock-listener-failed', { errorName: errorName(error) }),
  });
}

export function createSessionManager(deps: SessionDeps): SessionManager {
  const { policy, clock, timers, logger } = deps;
  let session: ActiveSession | null = null;
  let endedReason: SessionEndReason | null = null;
  let closed = false;
  const events = createEmitter<SessionEvents>((event, error) =>
    logger.log('error', 'session.listener-failed', { reason: event, errorName: errorName(error) }),
  );
  const record = (event: SessionAuditEvent) => recordIn(deps, events, event);
  const machine: SessionMachine = {
    session: () => session,
    require: requireSession,
    record,
    start: startSession,
    end: endSession,
    changed,
    status,
  };
  const providerSignIn = createProviderSignIn({
    db: deps.db,
    policy,
    authBrowser: deps.authBrowser,
    clock,
    logger,
    machine,
    forgetEndedReason: () => {
      endedReason = null;
    },
  });
  const pins = createPinFlows({
    db: deps.db,
    identity: policy.identity,
    maxOfflineDays: policy.cache.maxOfflineDays,
    clock,
    logger,
    machine,
    supersedeProviderSignIn: providerSignIn.supersede,
  });

  function status(): SessionStatus {
    return statusOf(deps, session, providerSignIn.state(), endedReason);
  }

  function changed(): void {
    if (!closed) events.emit('changed', status());
  }

  function stopSession(s: ActiveSession): void {
    s.lock.stop();
    s.disposables.dispose();
    s.refresh.forget();
  }

  function endSession(reason: SessionEndReason): void {
    const s = session;
    if (!s) return;
    session = null;
    endedReason = reason;
    stopSession(s);
    record({ action: 'end', outcome: 'success', userId: s.user.userId, role: s.user.role, detail: reason });
    logger.log('info', 'session.ended', { reason });
    changed();
  }

  function onLockEvent(s: ActiveSession, event: LockEvent): void {
    if (session !== s) return;
    if (event.type === 'locked') {
      // Nothing to unlock with before a PIN exists: the session ends instead.
      if (!s.pinSet) return endSession('lockedBeforePin');
      record({ action: 'lock', outcome: 'success', userId: s.user.userId, role: s.user.role, detail: event.reason });
    }
    changed();
  }

  function startSession(
    user: KnownUser,
    fullSignInAt: number | null,
    pinSet: boolean,
    tokens: SessionTokens | null,
  ): void {
    const startedAt = clock.now();
    const lock = lockFor(deps);
    const disposables = createDisposables(timers);
    // Each of the session's timers runs only while it is still the current session.
    const after = (delayMs: number, run: () => void) =>
      disposables.timeout(() => {
        if (session === s && !closed) run();
      }, delayMs);
    const refresh = createTokenRefresh({
      db: deps.db,
      central: policy.central,
      clock,
      logger,
      userId: user.userId,
      tokens,
      after,
      cancel: (handle) => disposables.cancel(handle),
      isCurrent: () => session === s,
      terminate: () => endSession('accessRevoked'),
    });
    const s: ActiveSession = { user, fullSignInAt, startedAt, pinSet, lock, refresh, disposables };
    session = s;
    endedReason = null;
    lock.subscribe((event) => onLockEvent(s, event));
    // The policy's maximum session length forces a full sign-in, locked or not.
    after(maxSessionMs(policy.identity), () => endSession('maxSession'));
    refresh.start();
  }

  function requireSession(): ActiveSession {
    if (!session) throw new CoreError('unauthenticated', 'Sign in to continue.');
    return session;
  }

  return {
    events,
    status,
    current: () => routerSession(session),
    startSignIn: providerSignIn.start,
    cancelSignIn: providerSignIn.cancel,
    signInWithPin: pins.signInWithPin,
    setPin: pins.setPin,
    unlock: pins.unlock,
    confirmPin: pins.confirmPin,
    announce: changed,
    accessToken: () => session?.refresh.accessToken() ?? null,
    lock() {
      const s = requireSession();
      s.lock.lockNow('manual');
      return status();
    },
    end(reason) {
      requireSession();
      endSession(reason);
      return status();
    },
    activity() {
      session?.lock.reportActivity();
    },
    close() {
      if (closed) return;
      providerSignIn.close();
      if (session) stopSession(session);
      session = null;
      closed = true;
      events.clear();
    },
  };
}
