/**
 * The PIN flows: signing in with username and PIN in the offline window, setting a PIN after a
 * full sign-in, unlocking a locked session, and the PIN again before break-glass. A PIN that
 * locks the account out (or a revoked one) ends the session.
 */
import type { Policy } from '../../src-shared/policy/schema.ts';
import type { SessionStatus } from '../../src-shared/session/status.ts';
import { CoreError } from '../base/index.ts';
import { offlineExpiredMessage, offlineWindow } from '../contact/index.ts';
import { checkOfflineSignIn, checkPin, findUserByUsername, PinError, setPin } from '../identity/index.ts';
import type { Logger } from '../log/index.ts';
import type { Clock } from '../ports.ts';
import type { Database } from '../vault/index.ts';
import { maxSessionMs, type ActiveSession, type SessionMachine } from './active-session.ts';
import { pinFailure, pinRulesMessage } from './messages.ts';

export interface PinFlowsDeps {
  db(): Database;
  identity: Policy['identity'];
  /** Offline expiry: past it, no PIN sign-in until central is reached (contact/). */
  maxOfflineDays: number;
  clock: Clock;
  logger: Logger;
  machine: SessionMachine;
  /** A PIN sign-in replaces a provider sign-in that is still waiting. */
  supersedeProviderSignIn(): void;
}

export interface PinFlows {
  signInWithPin(username: string, pin: string): Promise<SessionStatus>;
  /** A first PIN after a full sign-in; replacing one needs `currentPin` or a fresh full sign-in. */
  setPin(pin: string, currentPin?: string): Promise<SessionStatus>;
  unlock(pin: string): Promise<SessionStatus>;
  confirmPin(pin: string): Promise<void>;
}

/**
 * How long after a full sign-in the PIN may be replaced without the current one. Long enough to
 * change it right after signing in (the PIN was forgotten, or a lockout), short enough that an
 * unlocked session left behind later in the shift does not let a passer-by take the PIN over.
 */
export const FRESH_SIGN_IN_MS = 5 * 60_000;

export function createPinFlows(deps: PinFlowsDeps): PinFlows {
  const { identity, clock, logger, machine } = deps;

  function overMaxSession(s: ActiveSession): boolean {
    return clock.now() - s.startedAt >= maxSessionMs(identity);
  }

  /** The session is gone or another one started while the PIN was checked. */
  function requireStill(s: ActiveSession): void {
    if (machine.session() !== s) throw new CoreError('unauthenticated', 'Sign in to continue.');
  }

  return {
    async signInWithPin(username, pin) {
      if (machine.session()) throw new CoreError('conflict', 'Someone is signed in. Use "Switch user" first.');
      const db = deps.db();
      // Before the PIN is even checked: past the window a PIN proves nothing central still
      // vouches for (the account may have been disabled there). Not a failed sign-in: no count.
      if (offlineWindow(db, clock.now(), deps.maxOfflineDays).expired)
        throw new CoreError('unavailable', offlineExpiredMessage(deps.maxOfflineDays));
      const user = findUserByUsername(db, username);
      // An unknown username costs the same scrypt as a known one (pin-store's decoy).
      const result = await checkOfflineSignIn(db, user?.userId ?? 'unknown-user', pin, identity, clock, logger);
      if (!result.ok || !user) {
        machine.record({
          action: 'signInFailed',
          outcome: 'failure',
          userId: user?.userId ?? null,
          role: user?.role ?? null,
          detail: `pin:${result.ok ? 'unknown' : result.reason}`,
        });
        throw pinFailure(result.ok ? { ok: false, reason: 'noPin' } : result, true);
      }
      if (machine.session()) throw new CoreError('conflict', 'Someone is signed in. Use "Switch user" first.');
      deps.supersedeProviderSignIn();
      machine.record({ action: 'signIn', outcome: 'success', userId: user.userId, role: user.role, detail: 'pin' });
      machine.start(user, null, true, null);
      machine.changed();
      return machine.status();
    },
    async setPin(pin, currentPin) {
      const s = machine.require();
      if (s.fullSignInAt === null)
        throw new CoreError('forbidden', 'Setting a PIN needs a full sign-in with your password.');
      if (s.pinSet && s.lock.snapshot().state === 'locked') throw new CoreError('locked', 'The workstation is locked.');
      // Replacing a PIN (issue 17): the PIN unlocks this session, signs in offline as this user
      // and proves presence for break-glass, so whoever has the unlocked session must not simply
      // set their own. The current PIN (counted toward the lockout, as at the lock screen) or a
      // fresh full sign-in proves it is the user.
      let how = 'set';
      if (s.pinSet) {
        const audit = (outcome: 'success' | 'failure', detail: string) =>
          machine.record({ action: 'pinSet', outcome, userId: s.user.userId, role: s.user.role, detail });
        if (currentPin !== undefined) {
          const result = await checkPin(deps.db(), s.user.userId, currentPin, identity, clock, logger);
          requireStill(s);
          if (!result.ok) {
            audit('failure', 'change:wrongCurrentPin');
            if (result.reason !== 'wrong') machine.end(result.reason === 'revoked' ? 'accessRevoked' : 'pinLockedOut');
            throw pinFailure(result, false);
          }
          how = 'change:currentPin';
        } else if (clock.now() - s.fullSignInAt <= FRESH_SIGN_IN_MS) {
          how = 'change:freshSignIn';
        } else {
          audit('failure', 'change:currentPinRequired');
          throw new CoreError(
            'forbidden',
            'Changing your PIN needs your current PIN, or a new full sign-in with your password.',
          );
        }
      }
      try {
        await setPin(deps.db(), s.user.userId, pin, identity, clock, s.fullSignInAt, logger);
      } catch (error) {
        if (error instanceof PinError) {
          throw new CoreError(
            error.code === 'PIN_RULES' || error.code === 'INVALID_INPUT' ? 'invalid' : 'unauthenticated',
            pinRulesMessage(error),
          );
        }
        throw error;
      }
      requireStill(s);
      s.pinSet = true;
      s.lock.reportActivity();
      machine.record({ action: 'pinSet', outcome: 'success', userId: s.user.userId, role: s.user.role, detail: how });
      machine.changed();
      return machine.status();
    },
    async unlock(pin) {
      const s = machine.require();
      if (!s.pinSet || s.lock.snapshot().state !== 'locked')
        throw new CoreError('conflict', 'The workstation is not locked.');
      if (overMaxSession(s)) {
        machine.end('maxSession');
        throw new CoreError('unauthenticated', 'Your session reached its maximum length. Sign in again.');
      }
      const result = await checkPin(deps.db(), s.user.userId, pin, identity, clock, logger);
      requireStill(s);
      if (!result.ok) {
        machine.record({
          action: 'unlockFailed',
          outcome: 'failure',
          userId: s.user.userId,
          role: s.user.role,
          detail: result.reason,
        });
        if (result.reason !== 'wrong') machine.end(result.reason === 'revoked' ? 'accessRevoked' : 'pinLockedOut');
        throw pinFailure(result, false);
      }
      if (s.lock.snapshot().state === 'locked') s.lock.unlock();
      machine.record({ action: 'unlock', outcome: 'success', userId: s.user.userId, role: s.user.role, detail: 'pin' });
      // Coming back is when a disabled account must be noticed: ask the provider now.
      void s.refresh.now();
      return machine.status();
    },
    async confirmPin(pin) {
      const s = machine.require();
      if (!s.pinSet || s.lock.snapshot().state === 'locked')
        throw new CoreError('locked', 'The workstation is locked.');
      const result = await checkPin(deps.db(), s.user.userId, pin, identity, clock, logger);
      requireStill(s);
      if (!result.ok) {
        if (result.reason !== 'wrong') machine.end(result.reason === 'revoked' ? 'accessRevoked' : 'pinLockedOut');
        throw pinFailure(result, false);
      }
    },
  };
}
