/**
 * The grant lifecycle: a request checked (role, reason, justification, no second grant to the
 * same patient), the grant and its audit entry ("Emergency Override Started", DICOM 110127)
 * written in one transaction committed with synchronous=FULL before the caller is told it may
 * read anything (if that write fails, there is no grant), a refusal audited, and every end audited
 * ("Emergency Override Stopped", 110138): at expiry, when the session ends, when the session stays
 * locked longer than policy, and as the app closes or opens again after a crash. Break-glass
 * follows the session's events itself, and shows the window what it may use (the view).
 */
import { randomUUID } from 'node:crypto';
import type { SessionStatus } from '../../src-shared/session/status.ts';
import type { ActiveGrant } from '../access/index.ts';
import { createEmitter, errorName, type Events } from '../base/index.ts';
import type { TimerHandle, Timers } from '../ports.ts';
import type { SessionEvents } from '../session/index.ts';
import { durably, VaultError } from '../vault/index.ts';
import { allOpenGrants, grantById, markEnded, openGrantsOf, reasonCodeOf, type GrantRow } from './grant-store.ts';
import { checkRequest, recordDenial, writeGrant, type GrantRequest } from './requests.ts';
import { raiseAlertIfOver, type ReviewDeps } from './review.ts';

export type GrantEndReason =
  | 'expired'
  | 'endedByUser'
  | 'signOut'
  | 'switchUser'
  | 'maxSession'
  | 'accessRevoked'
  | 'pinLockedOut'
  | 'lockedBeforePin'
  | 'remoteWipe'
  | 'locked'
  | 'appClosed';

export interface BreakGlassDeps extends ReviewDeps {
  /** Where the review history's exports are written (review-history.ts); none: unavailable. */
  exportsDir?: string | undefined;
  timers: Timers;
}

/** What break-glass announces: the set of active grants changed (the banner and chart follow). */
export type BreakGlassEvents = { changed: undefined };

/** Emergency access as the signed-in user may use it, for the session status the window shows. */
export type EmergencyAccessView = SessionStatus['emergencyAccess'];

export type { GrantRequest } from './requests.ts';

export interface GrantLifecycle {
  readonly events: Events<BreakGlassEvents>;
  /** Grants end with the session that holds them, and after a lock longer than policy allows. */
  follow(sessions: Events<SessionEvents>): void;
  /** Policy's rules and the grants this user holds (null: nobody at the keyboard may see them). */
  view(user: { userId: string; role: string } | null): EmergencyAccessView;
  /** Whether policy lets this role ask at all. */
  allowedFor(role: string): boolean;
  /** Checks a request before the PIN is asked for; throws CoreError (audited as a denial). */
  check(request: GrantRequest): void;
  /** Writes the grant and its audit entry durably; throws CoreError UNAVAILABLE when it cannot. */
  grant(request: GrantRequest): { grantId: string; expiresAt: number };
  /** Records a refused request (role, reason, justification, PIN) in the audit trail. */
  deny(request: Pick<GrantRequest, 'userId' | 'role' | 'patientId'>, why: string): void;
  /** The user's unexpired grants (an expired one is ended on the way). */
  activeGrants(userId: string): ActiveGrant[];
  /** For the window: which patients the user holds a grant for, and until when. */
  grantsOf(userId: string): { patientId: string; expiresAt: number }[];
  /** The reason code of a grant: the purpose of use of reads under it. */
  reasonOf(grantId: string): string | null;
  endAll(userId: string, reason: GrantEndReason): void;
  /** "End emergency access": the user ends their own grant to this patient; false when none is open. */
  endByUser(userId: string, patientId: string): boolean;
  sessionLocked(userId: string): void;
  sessionUnlocked(userId: string): void;
  /** Ends the grants still open (sessions do not outlive the app) and stops every timer. */
  close(): void;
}

const MINUTE = 60_000;

/** One pending timer per key (a grant's expiry, a user's lock); forgotten once it fires or is cancelled. */
function createKeyedTimers(timers: Timers) {
  const pending = new Map<string, TimerHandle>();
  return {
    has: (key: string) => pending.has(key),
    start(key: string, delayMs: number, callback: () => void): void {
      pending.set(
        key,
        timers.setTimeout(() => {
          pending.delete(key);
          callback();
        }, delayMs),
      );
    },
    cancel(key: string): void {
      const handle = pending.get(key);
      if (handle !== undefined) timers.clearTimeout(handle);
      pending.delete(key);
    },
    clear(): void {
      for (const handle of pending.values()) timers.clearTimeout(handle);
      pending.clear();
    },
  };
}

/** Policy's rules and the user's grants, as the session status shows them. */
function emergencyAccessView(
  lifecycle: Pick<GrantLifecycle, 'allowedFor' | 'grantsOf'>,
  policy: BreakGlassDeps['policy'],
  user: { userId: string; role: string } | null,
): EmergencyAccessView {
  return {
    allowed: user !== null && lifecycle.allowedFor(user.role),
    reasons: policy.reasons,
    minJustificationLength: policy.minJustificationLength,
    durationMinutes: policy.durationMinutes,
    grants: user ? lifecycle.grantsOf(user.userId) : [],
  };
}

export function createGrantLifecycle(deps: BreakGlassDeps): GrantLifecycle {
  const { policy, clock, logger } = deps;
  const expiryTimers = createKeyedTimers(deps.timers); // by grant id
  const lockTimers = createKeyedTimers(deps.timers); // by user id
  const events = createEmitter<BreakGlassEvents>((event, error) =>
    logger.log('error', 'breakGlass.listener-failed', { reason: event, errorName: errorName(error) }),
  );
  const activeRows = (userId: string): GrantRow[] => openGrantsOf(deps.db(), userId);

  function end(row: GrantRow, reason: GrantEndReason): void {
    const at = clock.now();
    const ended = durably(deps.db(), () => {
      if (!markEnded(deps.db(), row.id, at, reason)) return false;
      deps.trail().append({
        action: 'breakGlass.stop',
        outcome: 'success',
        userId: row.user_id,
        role: row.role,
        patientId: row.patient_id,
        purposeOfUse: row.reason_code,
        grantId: row.id,
        detail: reason,
      });
      return true;
    });
    expiryTimers.cancel(row.id);
    if (ended) {
      logger.log('info', 'breakGlass.ended', { reason });
      events.emit('changed', undefined);
    }
  }

  function scheduleExpiry(grantId: string, expiresAt: number): void {
    expiryTimers.start(grantId, Math.max(0, expiresAt - clock.now()), () => {
      const row = grantById(deps.db(), grantId);
      if (row && row.ended_at === null) end(row, 'expired');
    });
  }

  /** Ends every open grant as the app closes (with no cache there are none, nobody could ask). */
  function endLeftOpen(): void {
    try {
      for (const row of allOpenGrants(deps.db())) end(row, 'appClosed');
    } catch (error) {
      if (!(error instanceof VaultError)) throw error;
    }
  }

  const self: GrantLifecycle = {
    events,
    follow(sessions) {
      sessions.on('locked', ({ userId }) => self.sessionLocked(userId));
      sessions.on('unlocked', ({ userId }) => self.sessionUnlocked(userId));
      sessions.on('ended', ({ userId, reason }) => self.endAll(userId, reason));
    },
    view: (user) => emergencyAccessView(self, policy, user),
    allowedFor: (role) => (policy.roles as string[]).includes(role),
    check: (request) => checkRequest(policy, request, () => self.activeGrants(request.userId)),
    grant(request) {
      self.check(request);
      const grantId = randomUUID();
      const startedAt = clock.now();
      const expiresAt = startedAt + policy.durationMinutes * MINUTE;
      writeGrant(deps, request, { grantId, startedAt, expiresAt });
      scheduleExpiry(grantId, expiresAt);
      logger.log('warn', 'breakGlass.granted', { durationMs: expiresAt - startedAt });
      raiseAlertIfOver(deps, request);
      events.emit('changed', undefined);
      return { grantId, expiresAt };
    },
    deny: (request, why) => recordDenial(deps, request, why),
    activeGrants(userId) {
      const now = clock.now();
      const grants: ActiveGrant[] = [];
      for (const row of activeRows(userId)) {
        if (row.expires_at <= now) end(row, 'expired');
        else
          grants.push({ grantId: row.id, userId: row.user_id, patientId: row.patient_id, expiresAt: row.expires_at });
      }
      return grants;
    },
    grantsOf(userId) {
      const now = clock.now();
      return activeRows(userId)
        .filter((row) => row.expires_at > now)
        .map((row) => ({ patientId: row.patient_id, expiresAt: row.expires_at }));
    },
    reasonOf: (grantId) => reasonCodeOf(deps.db(), grantId),
    endAll(userId, reason) {
      lockTimers.cancel(userId);
      for (const row of activeRows(userId)) end(row, reason);
    },
    endByUser(userId, patientId) {
      const rows = activeRows(userId).filter((row) => row.patient_id === patientId);
      for (const row of rows) end(row, 'endedByUser');
      return rows.length > 0;
    },
    sessionLocked(userId) {
      if (lockTimers.has(userId) || activeRows(userId).length === 0) return;
      lockTimers.start(userId, policy.endAfterLockedMinutes * MINUTE, () => {
        for (const row of activeRows(userId)) end(row, 'locked');
      });
    },
    sessionUnlocked(userId) {
      lockTimers.cancel(userId);
    },
    close() {
      // Sessions do not outlive the app, and a grant belongs to a session.
      endLeftOpen();
      expiryTimers.clear();
      lockTimers.clear();
      events.clear();
    },
  };

  // A grant belongs to a session; sessions do not outlive the app. Grants left open by a crash end now.
  endLeftOpen();
  return self;
}
