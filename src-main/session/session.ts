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
 * The lock controller (src-main/lock) decides idle, OS and manual locks; this module owns the
 * rest: the OIDC sign-in and its refresh schedule, PINs, the maximum session length, and ending a
 * session completely. The router asks `current()` before every request, so a lock takes effect for
 * the very next request, whatever the window still shows.
 */
import type * as oidc from 'openid-client';
import type { Role } from '../../src-shared/access/roles.ts';
import type { Policy } from '../../src-shared/policy/schema.ts';
import type { SessionEndReason, SessionStatus } from '../../src-shared/session/status.ts';
import { centralFetchFor } from '../net/index.ts';
import type { Session } from '../ipc/index.ts';
import { createLockController, type LockController, type LockEvent } from '../lock/index.ts';
import type { AuthBrowser, Clock, PowerEvents, TimerHandle, Timers } from '../ports.ts';
import type { Logger } from '../log/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import { durably, type Database } from '../vault/index.ts';
import { PinError, type PinRuleReason, signIn, type SignedInIdentity, OidcError, checkOfflineSignIn, checkPin, pinStatus, recordFullSignIn, setPin, type PinCheckResult, refreshStoredSession, storeRefreshToken, findUserByUsername, rememberUser, type KnownUser } from '../identity/index.ts';
import { CoreError, createEmitter, errorName, type Events } from '../base/index.ts';

/** What the session did, for the audit trail (never a PIN, a token or a patient). */
export interface SessionAuditEvent {
  action: 'signIn' | 'signInFailed' | 'pinSet' | 'lock' | 'unlock' | 'unlockFailed' | 'end';
  outcome: 'success' | 'failure';
  userId: string | null;
  role: string | null;
  /** The sign-in method, the lock reason, the failure or the end reason. */
  detail: string;
}

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
  setPin(pin: string): Promise<SessionStatus>;
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
  end(reason: 'signOut' | 'switchUser'): SessionStatus;
  activity(): void;
  /** Ends everything (app shutdown): no event, no timer left. */
  close(): void;
}

/** How long the provider's page may stay open before the sign-in gives up. */
const SIGN_IN_TIMEOUT_MS = 5 * 60_000;
/** Retry delay for a refresh that could not reach the provider. */
const REFRESH_RETRY_MS = 30_000;
const HOUR_MS = 3_600_000;

interface ActiveSession {
  user: KnownUser;
  /** Epoch ms of the full sign-in behind this session; null for a PIN (offline) sign-in. */
  fullSignInAt: number | null;
  startedAt: number;
  pinSet: boolean;
  lock: LockController;
  accessToken: string | null;
  accessTokenExpiresAt: number | null;
  configuration: oidc.Configuration | undefined;
  timers: Set<TimerHandle>;
  refreshTimer: TimerHandle | null;
}

type SignInState = SessionStatus['signIn'];

function failureMessage(error: unknown): string {
  if (error instanceof OidcError) {
    switch (error.code) {
      case 'NETWORK':
        return 'The identity provider could not be reached. If the network is down, sign in with your username and PIN.';
      case 'TIMEOUT':
        return 'The sign-in took too long and was stopped. Try again.';
      case 'NO_ROLE':
      case 'AMBIGUOUS_ROLE':
        return 'Your account has no role this workstation accepts. Ask IT to check your access.';
      default:
        return error.message;
    }
  }
  return 'The sign-in could not be completed. Try again, or contact IT if it keeps failing.';
}

function pinFailure(result: Exclude<PinCheckResult, { ok: true }>, offline: boolean): CoreError {
  switch (result.reason) {
    case 'wrong':
      return new CoreError('unauthenticated',
        offline
          ? 'The username or PIN is not right.'
          : `Wrong PIN. ${result.remaining ?? 0} ${result.remaining === 1 ? 'attempt' : 'attempts'} left before a full sign-in is needed.`,
      );
    case 'lockedOut':
      return new CoreError('unauthenticated', 'Too many wrong PINs. Sign in with your password at the identity provider.');
    case 'offlineWindowExpired':
      return new CoreError('unauthenticated', 'Signing in with a PIN has expired for this account. Sign in with your password at the identity provider.');
    case 'revoked':
    case 'noPin':
      return new CoreError('unauthenticated', offline ? 'The username or PIN is not right.' : 'Sign in with your password at the identity provider.');
  }
}

export function createSessionManager(deps: SessionDeps): SessionManager {
  const { policy, clock, timers, logger } = deps;
  const central = policy.central;
  let session: ActiveSession | null = null;
  let signInState: SignInState = { phase: 'idle' };
  let signInAbort: AbortController | null = null;
  let endedReason: SessionEndReason | null = null;
  let closed = false;
  const events = createEmitter<SessionEvents>((event, error) => logger.log('error', 'session.listener-failed', { reason: event, errorName: errorName(error) }));

  /**
   * Into the audit trail first (a failure is loud in the log, but the session goes on: locking must
   * never wait for a disk), then to the capabilities that react to it.
   */
  function record(event: SessionAuditEvent): void {
    try {
      deps.trail().append({ action: `session.${event.action}`, outcome: event.outcome, userId: event.userId, role: event.role, detail: event.detail });
    } catch (error) {
      logger.log('error', 'audit.append-failed', { reason: `session.${event.action}`, errorName: errorName(error) });
    }
    const { userId, role } = event;
    if (userId === null || role === null) return;
    if (event.action === 'signIn') events.emit('signedIn', { userId, role: role as Role, method: event.detail === 'pin' ? 'pin' : 'provider' });
    else if (event.action === 'lock') events.emit('locked', { userId, reason: event.detail });
    else if (event.action === 'unlock') events.emit('unlocked', { userId });
    else if (event.action === 'end') events.emit('ended', { userId, reason: event.detail as SessionEndReason });
  }

  function status(): SessionStatus {
    const s = session;
    let state: SessionStatus['state'] = 'signedOut';
    let snapshot = null;
    if (s) {
      snapshot = s.lock.snapshot();
      state = !s.pinSet ? 'pinSetup' : snapshot.state === 'locked' ? 'locked' : snapshot.state === 'warning' ? 'warning' : 'active';
    }
    return {
      state,
      user: s ? { userId: s.user.userId, username: s.user.username, displayName: s.user.displayName, role: s.user.role } : null,
      offline: s !== null && s.fullSignInAt === null,
      signIn: signInState,
      lockDeadline: snapshot?.state === 'warning' ? snapshot.deadline : null,
      lockReason: snapshot?.state === 'locked' ? snapshot.reason : null,
      endedReason: s ? null : endedReason,
      pinRules: { minLength: policy.identity.pinMinLength, maxFailures: policy.identity.pinMaxFailures },
      signInConfigured: central !== undefined && deps.authBrowser !== null,
      emergencyAccess: deps.emergencyAccess(s && s.pinSet && snapshot?.state !== 'locked' ? s.user : null),
    };
  }

  function changed(): void {
    if (!closed) events.emit('changed', status());
  }

  function schedule(s: ActiveSession, delayMs: number, run: () => void): TimerHandle {
    const handle = timers.setTimeout(() => {
      s.timers.delete(handle);
      if (session === s && !closed) run();
    }, Math.max(0, delayMs));
    s.timers.add(handle);
    return handle;
  }

  /** The next refresh (or retry): one pending at a time, replacing any earlier one. */
  function scheduleRefreshIn(s: ActiveSession, delayMs: number): void {
    if (s.refreshTimer !== null) {
      timers.clearTimeout(s.refreshTimer);
      s.timers.delete(s.refreshTimer);
    }
    s.refreshTimer = schedule(s, delayMs, () => {
      s.refreshTimer = null;
      void refreshNow(s);
    });
  }

  function stopSession(s: ActiveSession): void {
    s.lock.stop();
    for (const handle of s.timers) timers.clearTimeout(handle);
    s.timers.clear();
    s.accessToken = null;
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

  /**
   * Refreshes the access token with the refresh token in the vault; a refusal ends the session.
   * One refresh at a time per session: the provider rotates refresh tokens and treats a second use
   * of the old one as theft (revoking the whole grant), so an unlock during a scheduled refresh
   * joins it instead of starting another.
   */
  const inFlight = new WeakMap<ActiveSession, Promise<void>>();
  function refreshNow(s: ActiveSession): Promise<void> {
    const running = inFlight.get(s);
    if (running) return running;
    const started = refreshOnce(s).finally(() => inFlight.delete(s));
    inFlight.set(s, started);
    return started;
  }

  async function refreshOnce(s: ActiveSession): Promise<void> {
    if (!central || session !== s) return;
    let outcome;
    try {
      outcome = await refreshStoredSession(deps.db(), s.user.userId, {
        issuer: central.issuer,
        fetch: centralFetchFor(central),
        clientId: central.clientId,
        allowLoopbackHttp: central.allowLoopbackHttp,
        resource: central.fhirBaseUrl,
        clock,
        logger,
        ...(s.configuration ? { configuration: s.configuration } : {}),
      });
    } catch (error) {
      logger.log('warn', 'session.refresh-failed', { errorName: errorName(error) });
      if (session === s) scheduleRefreshIn(s, REFRESH_RETRY_MS);
      return;
    }
    if (session !== s) return;
    if (outcome.ok) {
      s.accessToken = outcome.tokens.accessToken;
      s.accessTokenExpiresAt = outcome.tokens.accessTokenExpiresAt;
      scheduleRefresh(s);
    } else if (outcome.terminated) {
      // Access termination (164.312(a)(1)): the provider no longer accepts this user.
      endSession('accessRevoked');
    } else if (outcome.reason !== 'noRefreshToken') {
      scheduleRefreshIn(s, REFRESH_RETRY_MS);
    }
  }

  /** Refresh a minute before the access token expires (halfway through for short-lived tokens). */
  function scheduleRefresh(s: ActiveSession): void {
    if (s.accessTokenExpiresAt === null) return;
    const lifetime = s.accessTokenExpiresAt - clock.now();
    scheduleRefreshIn(s, lifetime > 120_000 ? lifetime - 60_000 : Math.max(1_000, lifetime / 2));
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

  function startSession(user: KnownUser, fullSignInAt: number | null, pinSet: boolean, tokens: Pick<SignedInIdentity, 'accessToken' | 'accessTokenExpiresAt' | 'configuration'> | null): void {
    const startedAt = clock.now();
    const lock = createLockController({
      policy: policy.lock,
      clock,
      timers,
      power: deps.power,
      onListenerError: (error) => logger.log('error', 'session.lock-listener-failed', { errorName: errorName(error) }),
    });
    const s: ActiveSession = {
      user,
      fullSignInAt,
      startedAt,
      pinSet,
      lock,
      accessToken: tokens?.accessToken ?? null,
      accessTokenExpiresAt: tokens?.accessTokenExpiresAt ?? null,
      configuration: tokens?.configuration,
      timers: new Set(),
      refreshTimer: null,
    };
    session = s;
    endedReason = null;
    lock.subscribe((event) => onLockEvent(s, event));
    // The policy's maximum session length forces a full sign-in, locked or not.
    schedule(s, policy.identity.maxSessionHours * HOUR_MS, () => endSession('maxSession'));
    if (tokens) scheduleRefresh(s);
    // A PIN sign-in has no access token yet: ask the provider now; a refusal ends the session.
    else scheduleRefreshIn(s, 0);
  }

  function requireSession(): ActiveSession {
    if (!session) throw new CoreError('unauthenticated', 'Sign in to continue.');
    return session;
  }

  function overMaxSession(s: ActiveSession): boolean {
    return clock.now() - s.startedAt >= policy.identity.maxSessionHours * HOUR_MS;
  }

  async function runSignIn(abort: AbortController): Promise<void> {
    if (!central || !deps.authBrowser) return;
    try {
      const identity = await signIn({
        issuer: central.issuer,
        fetch: centralFetchFor(central),
        clientId: central.clientId,
        allowLoopbackHttp: central.allowLoopbackHttp,
        resource: central.fhirBaseUrl,
        scope: central.scope,
        roleClaim: central.roleClaim,
        roleMap: central.roleMap,
        authBrowser: deps.authBrowser,
        clock,
        logger,
        timeoutMs: SIGN_IN_TIMEOUT_MS,
        signal: abort.signal,
      });
      if (signInAbort !== abort || closed) return;
      signInAbort = null;
      if (session) {
        // Someone signed in with a PIN meanwhile: this sign-in is dropped, not merged.
        signInState = { phase: 'idle' };
        return changed();
      }
      const db = deps.db();
      const at = clock.now();
      const user: KnownUser = { userId: identity.userId, username: identity.username, displayName: identity.displayName, role: identity.role, practitionerId: identity.practitionerId };
      durably(db, () => {
        recordFullSignIn(db, user.userId, clock, logger);
        storeRefreshToken(db, user.userId, identity.refreshToken, clock);
        rememberUser(db, user, at);
      });
      const pin = pinStatus(db, user.userId, policy.identity, clock);
      signInState = { phase: 'idle' };
      record({ action: 'signIn', outcome: 'success', userId: user.userId, role: user.role, detail: 'provider' });
      startSession(user, at, pin.hasPin, identity);
      changed();
    } catch (error) {
      if (signInAbort !== abort || closed) return;
      signInAbort = null;
      const cancelled = error instanceof OidcError && error.code === 'CANCELLED';
      signInState = cancelled ? { phase: 'idle' } : { phase: 'failed', message: failureMessage(error) };
      record({ action: 'signInFailed', outcome: 'failure', userId: null, role: null, detail: error instanceof OidcError ? error.code : 'error' });
      changed();
    }
  }

  return {
    events,
    status,
    current() {
      const s = session;
      if (!s) return null;
      return { userId: s.user.userId, role: s.user.role, practitionerId: s.user.practitionerId, locked: !s.pinSet || s.lock.snapshot().state === 'locked' };
    },
    startSignIn() {
      if (!central || !deps.authBrowser) throw new CoreError('unavailable', 'This workstation is not set up for sign-in yet. Contact IT.');
      if (session) throw new CoreError('conflict', 'Someone is signed in. Use "Switch user" first.');
      deps.db(); // fail now, not after the provider's page, when the cache is unavailable
      if (signInAbort) return status(); // already waiting: the same page stays open
      const abort = new AbortController();
      signInAbort = abort;
      signInState = { phase: 'waiting' };
      endedReason = null;
      void runSignIn(abort);
      changed();
      return status();
    },
    cancelSignIn() {
      if (signInAbort) {
        signInAbort.abort();
        signInAbort = null;
        signInState = { phase: 'idle' };
        changed();
      }
      return status();
    },
    async signInWithPin(username, pin) {
      if (session) throw new CoreError('conflict', 'Someone is signed in. Use "Switch user" first.');
      const db = deps.db();
      const user = findUserByUsername(db, username);
      // An unknown username costs the same scrypt as a known one (pin-store's decoy).
      const result = await checkOfflineSignIn(db, user?.userId ?? 'unknown-user', pin, policy.identity, clock, logger);
      if (!result.ok || !user) {
        record({ action: 'signInFailed', outcome: 'failure', userId: user?.userId ?? null, role: user?.role ?? null, detail: `pin:${result.ok ? 'unknown' : result.reason}` });
        throw pinFailure(result.ok ? { ok: false, reason: 'noPin' } : result, true);
      }
      if (session) throw new CoreError('conflict', 'Someone is signed in. Use "Switch user" first.');
      signInAbort?.abort();
      signInAbort = null;
      signInState = { phase: 'idle' };
      record({ action: 'signIn', outcome: 'success', userId: user.userId, role: user.role, detail: 'pin' });
      startSession(user, null, true, null);
      changed();
      return status();
    },
    async setPin(pin) {
      const s = requireSession();
      if (s.fullSignInAt === null) throw new CoreError('forbidden', 'Setting a PIN needs a full sign-in with your password.');
      if (s.pinSet && s.lock.snapshot().state === 'locked') throw new CoreError('locked', 'The workstation is locked.');
      try {
        await setPin(deps.db(), s.user.userId, pin, policy.identity, clock, s.fullSignInAt, logger);
      } catch (error) {
        if (error instanceof PinError) {
          throw new CoreError(error.code === 'PIN_RULES' || error.code === 'INVALID_INPUT' ? 'invalid' : 'unauthenticated', pinRulesMessage(error));
        }
        throw error;
      }
      if (session !== s) throw new CoreError('unauthenticated', 'Sign in to continue.');
      s.pinSet = true;
      s.lock.reportActivity();
      record({ action: 'pinSet', outcome: 'success', userId: s.user.userId, role: s.user.role, detail: 'set' });
      changed();
      return status();
    },
    async unlock(pin) {
      const s = requireSession();
      if (!s.pinSet || s.lock.snapshot().state !== 'locked') throw new CoreError('conflict', 'The workstation is not locked.');
      if (overMaxSession(s)) {
        endSession('maxSession');
        throw new CoreError('unauthenticated', 'Your session reached its maximum length. Sign in again.');
      }
      const result = await checkPin(deps.db(), s.user.userId, pin, policy.identity, clock, logger);
      if (session !== s) throw new CoreError('unauthenticated', 'Sign in to continue.');
      if (!result.ok) {
        record({ action: 'unlockFailed', outcome: 'failure', userId: s.user.userId, role: s.user.role, detail: result.reason });
        if (result.reason !== 'wrong') endSession(result.reason === 'revoked' ? 'accessRevoked' : 'pinLockedOut');
        throw pinFailure(result, false);
      }
      if (s.lock.snapshot().state === 'locked') s.lock.unlock();
      record({ action: 'unlock', outcome: 'success', userId: s.user.userId, role: s.user.role, detail: 'pin' });
      // Coming back is when a disabled account must be noticed: ask the provider now.
      void refreshNow(s);
      return status();
    },
    async confirmPin(pin) {
      const s = requireSession();
      if (!s.pinSet || s.lock.snapshot().state === 'locked') throw new CoreError('locked', 'The workstation is locked.');
      const result = await checkPin(deps.db(), s.user.userId, pin, policy.identity, clock, logger);
      if (session !== s) throw new CoreError('unauthenticated', 'Sign in to continue.');
      if (!result.ok) {
        if (result.reason !== 'wrong') endSession(result.reason === 'revoked' ? 'accessRevoked' : 'pinLockedOut');
        throw pinFailure(result, false);
      }
    },
    announce: changed,
    accessToken: () => session?.accessToken ?? null,
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
      signInAbort?.abort();
      signInAbort = null;
      if (session) stopSession(session);
      session = null;
      closed = true;
      events.clear();
    },
  };
}

function pinRulesMessage(error: PinError): string {
  if (error.code !== 'PIN_RULES') return error.message;
  const words: Record<PinRuleReason, string> = {
    notDigits: 'use digits only',
    tooShort: 'it is too short',
    tooLong: 'it is too long',
    sameDigit: 'it repeats one digit',
    sequence: 'it is a simple sequence',
    repeatedPattern: 'it repeats a pattern',
    denyListed: 'it is too common',
  };
  return `Choose another PIN: ${error.reasons.map((reason) => words[reason]).join(', ')}.`;
}
