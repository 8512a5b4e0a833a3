/**
 * Break-glass (PRODUCT.md capability 5): emergency access for one user to one patient, for the
 * policy's duration, with a coded reason and a written justification.
 *
 * The grant and its audit entry ("Emergency Override Started", DICOM 110127) are written in one
 * transaction committed with synchronous=FULL before the caller is told it may read anything; if
 * that write fails, there is no grant. A grant ends at its expiry, when the session ends (sign-out,
 * switch user, maximum length, lockout) or when the session stays locked longer than policy; each
 * end is audited ("Emergency Override Stopped", 110138). Every read under a grant is audited by the
 * router with the grant's id and reason as purpose of use, so the privacy officer's review shows
 * what was viewed.
 */
import { randomUUID } from 'node:crypto';
import type { BreakGlassPolicy } from '../../src-shared/policy/schema.ts';
import type { z } from 'zod';
import type { ActiveGrant } from '../access/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import type { TimerHandle, Timers } from '../ports.ts';
import type { Logger } from '../log/index.ts';
import type { Clock } from '../ports.ts';
import { durably, VaultError, type Database } from '../vault/index.ts';
import type { SessionEvents } from '../session/index.ts';
import type { SessionStatus } from '../../src-shared/session/status.ts';
import { justificationProblem } from './justification.ts';
import { displayNamesOf } from '../identity/index.ts';
import { patientNamesOf } from '../records/index.ts';
import { CoreError, createEmitter, errorName, type Events } from '../base/index.ts';

type Policy = z.output<typeof BreakGlassPolicy>;
export type GrantEndReason = 'expired' | 'signOut' | 'switchUser' | 'maxSession' | 'accessRevoked' | 'pinLockedOut' | 'lockedBeforePin' | 'locked' | 'appClosed';

export interface BreakGlassDeps {
  db(): Database;
  trail(): AuditTrail;
  policy: Policy;
  clock: Clock;
  timers: Timers;
  logger: Logger;
}

/** What break-glass announces: the set of active grants changed (the banner and chart follow). */
export type BreakGlassEvents = { changed: undefined };

/** Emergency access as the signed-in user may use it, for the session status the window shows. */
export type EmergencyAccessView = SessionStatus['emergencyAccess'];

export interface GrantRequest {
  userId: string;
  role: string;
  patientId: string;
  reasonCode: string;
  justification: string;
}

interface GrantRow {
  id: string;
  user_id: string;
  role: string;
  patient_id: string;
  reason_code: string;
  justification: string;
  started_at: number;
  expires_at: number;
  ended_at: number | null;
  end_reason: string | null;
}

export interface ReviewItem {
  grantId: string;
  userId: string;
  userName: string | null;
  role: string;
  patientId: string;
  patientName: string | null;
  reasonCode: string;
  reasonDisplay: string;
  justification: string;
  startedAt: number;
  endedAt: number | null;
  endReason: string | null;
  expiresAt: number;
  viewed: { at: number; what: string }[];
}

export interface ReviewAlert {
  userId: string;
  userName: string | null;
  count: number;
  shiftHours: number;
}

export interface BreakGlass {
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
  sessionLocked(userId: string): void;
  sessionUnlocked(userId: string): void;
  reviewQueue(): { items: ReviewItem[]; alerts: ReviewAlert[] };
  markReviewed(grantId: string, reviewer: { userId: string; role: string }, comment: string): void;
  close(): void;
}

const MINUTE = 60_000;

export function createBreakGlass(deps: BreakGlassDeps): BreakGlass {
  const { policy, clock, timers, logger } = deps;
  const expiryTimers = new Map<string, TimerHandle>();
  const lockTimers = new Map<string, TimerHandle>();
  const events = createEmitter<BreakGlassEvents>((event, error) => logger.log('error', 'breakGlass.listener-failed', { reason: event, errorName: errorName(error) }));
  const reasonDisplay = (code: string) => policy.reasons.find((r) => r.code === code)?.display ?? code;

  const activeRows = (userId: string): GrantRow[] =>
    deps.db().prepare('SELECT * FROM break_glass_grants WHERE user_id = ? AND ended_at IS NULL ORDER BY started_at').all(userId) as GrantRow[];

  function end(row: GrantRow, reason: GrantEndReason): void {
    const at = clock.now();
    const ended = durably(deps.db(), () => {
      const changed = deps.db().prepare('UPDATE break_glass_grants SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL').run(at, reason, row.id).changes;
      if (changed === 0) return false;
      deps.trail().append({
        action: 'breakGlass.stop', outcome: 'success', userId: row.user_id, role: row.role, patientId: row.patient_id,
        purposeOfUse: row.reason_code, grantId: row.id, detail: reason,
      });
      return true;
    });
    const timer = expiryTimers.get(row.id);
    if (timer !== undefined) timers.clearTimeout(timer);
    expiryTimers.delete(row.id);
    if (ended) {
      logger.log('info', 'breakGlass.ended', { reason });
      events.emit('changed', undefined);
    }
  }

  function scheduleExpiry(grantId: string, expiresAt: number): void {
    const handle = timers.setTimeout(() => {
      expiryTimers.delete(grantId);
      const row = deps.db().prepare('SELECT * FROM break_glass_grants WHERE id = ?').get(grantId) as GrantRow | undefined;
      if (row && row.ended_at === null) end(row, 'expired');
    }, Math.max(0, expiresAt - clock.now()));
    expiryTimers.set(grantId, handle);
  }

  const self: BreakGlass = {
    events,
    follow(sessions) {
      sessions.on('locked', ({ userId }) => self.sessionLocked(userId));
      sessions.on('unlocked', ({ userId }) => self.sessionUnlocked(userId));
      sessions.on('ended', ({ userId, reason }) => self.endAll(userId, reason));
    },
    view(user) {
      return {
        allowed: user !== null && self.allowedFor(user.role),
        reasons: policy.reasons,
        minJustificationLength: policy.minJustificationLength,
        durationMinutes: policy.durationMinutes,
        grants: user ? self.grantsOf(user.userId) : [],
      };
    },
    allowedFor: (role) => (policy.roles as string[]).includes(role),
    check(request) {
      if (!self.allowedFor(request.role)) throw new CoreError('forbidden', 'Your role cannot use emergency access on this workstation.');
      if (!policy.reasons.some((r) => r.code === request.reasonCode)) throw new CoreError('invalid', 'Choose one of the listed reasons.');
      const problem = justificationProblem(request.justification, policy.minJustificationLength);
      if (problem) throw new CoreError('invalid', problem);
      if (self.activeGrants(request.userId).some((g) => g.patientId === request.patientId)) {
        throw new CoreError('conflict', 'You already have emergency access to this patient.');
      }
    },
    grant(request) {
      self.check(request);
      const grantId = randomUUID();
      const startedAt = clock.now();
      const expiresAt = startedAt + policy.durationMinutes * MINUTE;
      try {
        // The justification reaches the disk (synchronous=FULL) before anything is shown.
        durably(deps.db(), () => {
          deps.trail().append({
            action: 'breakGlass.start', outcome: 'success', userId: request.userId, role: request.role, patientId: request.patientId,
            purposeOfUse: request.reasonCode, grantId, detail: `until:${expiresAt}`, justification: request.justification.trim(),
          });
          deps.db()
            .prepare('INSERT INTO break_glass_grants (id, user_id, role, patient_id, reason_code, justification, started_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
            .run(grantId, request.userId, request.role, request.patientId, request.reasonCode, request.justification.trim(), startedAt, expiresAt);
        });
      } catch (error) {
        logger.log('error', 'breakGlass.write-failed', { errorName: errorName(error) });
        throw new CoreError('unavailable', 'Emergency access could not be recorded, so it was not granted. Try again, or contact IT.');
      }
      scheduleExpiry(grantId, expiresAt);
      logger.log('warn', 'breakGlass.granted', { durationMs: expiresAt - startedAt });
      raiseAlertIfOver(request);
      events.emit('changed', undefined);
      return { grantId, expiresAt };
    },
    deny(request, why) {
      try {
        deps.trail().append({ action: 'breakGlass.denied', outcome: 'denied', userId: request.userId, role: request.role, patientId: request.patientId, detail: why });
      } catch (error) {
        logger.log('error', 'audit.append-failed', { reason: 'breakGlass.denied', errorName: errorName(error) });
      }
    },
    activeGrants(userId) {
      const now = clock.now();
      const grants: ActiveGrant[] = [];
      for (const row of activeRows(userId)) {
        if (row.expires_at <= now) end(row, 'expired');
        else grants.push({ grantId: row.id, userId: row.user_id, patientId: row.patient_id, expiresAt: row.expires_at });
      }
      return grants;
    },
    grantsOf(userId) {
      const now = clock.now();
      return activeRows(userId).filter((row) => row.expires_at > now).map((row) => ({ patientId: row.patient_id, expiresAt: row.expires_at }));
    },
    reasonOf(grantId) {
      const row = deps.db().prepare('SELECT reason_code FROM break_glass_grants WHERE id = ?').get(grantId) as { reason_code: string } | undefined;
      return row?.reason_code ?? null;
    },
    endAll(userId, reason) {
      const timer = lockTimers.get(userId);
      if (timer !== undefined) timers.clearTimeout(timer);
      lockTimers.delete(userId);
      for (const row of activeRows(userId)) end(row, reason);
    },
    sessionLocked(userId) {
      if (lockTimers.has(userId) || activeRows(userId).length === 0) return;
      lockTimers.set(userId, timers.setTimeout(() => {
        lockTimers.delete(userId);
        for (const row of activeRows(userId)) end(row, 'locked');
      }, policy.endAfterLockedMinutes * MINUTE));
    },
    sessionUnlocked(userId) {
      const timer = lockTimers.get(userId);
      if (timer !== undefined) timers.clearTimeout(timer);
      lockTimers.delete(userId);
    },
    reviewQueue() {
      const db = deps.db();
      const rows = db
        .prepare(
          `SELECT g.* FROM break_glass_grants g
            WHERE NOT EXISTS (SELECT 1 FROM break_glass_reviews r WHERE r.grant_id = g.id)
            ORDER BY g.started_at`,
        )
        .all() as GrantRow[];
      // Names come from the capabilities that own them: identity's users, records' patients.
      const userNames = displayNamesOf(db, rows.map((row) => row.user_id));
      const patientNames = patientNamesOf(db, rows.map((row) => row.patient_id));
      const items = rows.map((row) => ({
        grantId: row.id,
        userId: row.user_id,
        userName: userNames.get(row.user_id) ?? null,
        role: row.role,
        patientId: row.patient_id,
        patientName: patientNames.get(row.patient_id) ?? null,
        reasonCode: row.reason_code,
        reasonDisplay: reasonDisplay(row.reason_code),
        justification: row.justification,
        startedAt: row.started_at,
        endedAt: row.ended_at,
        endReason: row.end_reason,
        expiresAt: row.expires_at,
        viewed: deps
          .trail()
          .entries({ grantId: row.id })
          .filter((entry) => entry.action === 'patient.read')
          .map((entry) => ({ at: entry.recordedAt, what: entry.detail === 'chart.read' ? 'Chart sections' : 'Chart opened' })),
      }));
      const since = clock.now() - policy.shiftHours * 60 * MINUTE;
      const counts = db
        .prepare('SELECT user_id, count(*) AS n FROM break_glass_grants WHERE started_at >= ? GROUP BY user_id HAVING n > ? ORDER BY n DESC')
        .all(since, policy.alertThresholdPerShift) as { user_id: string; n: number }[];
      const alertNames = displayNamesOf(db, counts.map((row) => row.user_id));
      const alerts = counts.map((row) => ({ userId: row.user_id, userName: alertNames.get(row.user_id) ?? null, count: row.n, shiftHours: policy.shiftHours }));
      return { items, alerts };
    },
    markReviewed(grantId, reviewer, comment) {
      const text = comment.trim();
      if (text.length === 0) throw new CoreError('invalid', 'Write a comment for the review.');
      const db = deps.db();
      const row = db.prepare('SELECT * FROM break_glass_grants WHERE id = ?').get(grantId) as GrantRow | undefined;
      if (!row) throw new CoreError('notFound', 'No such emergency access event.');
      durably(db, () => {
        const inserted = db.prepare('INSERT INTO break_glass_reviews (grant_id, reviewer_id, comment, reviewed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(grantId, reviewer.userId, text, clock.now()).changes;
        if (inserted === 0) throw new CoreError('conflict', 'This event was already reviewed.');
        deps.trail().append({ action: 'breakGlass.review', outcome: 'success', userId: reviewer.userId, role: reviewer.role, patientId: row.patient_id, grantId, detail: 'reviewed' });
      });
    },
    close() {
      // Sessions do not outlive the app, and a grant belongs to a session.
      endLeftOpen();
      for (const handle of [...expiryTimers.values(), ...lockTimers.values()]) timers.clearTimeout(handle);
      expiryTimers.clear();
      lockTimers.clear();
      events.clear();
    },
  };

  /** More grants by one user within a shift than policy allows: an alert in the trail and the queue. */
  function raiseAlertIfOver(request: GrantRequest): void {
    const since = clock.now() - policy.shiftHours * 60 * MINUTE;
    const { n } = deps.db().prepare('SELECT count(*) AS n FROM break_glass_grants WHERE user_id = ? AND started_at >= ?').get(request.userId, since) as { n: number };
    if (n <= policy.alertThresholdPerShift) return;
    deps.trail().append({ action: 'breakGlass.alert', outcome: 'success', userId: request.userId, role: request.role, detail: `${n}-in-${policy.shiftHours}h` });
    logger.log('warn', 'breakGlass.alert', { count: n });
  }

  /** Ends every open grant as the app closes (with no cache there are none, nobody could ask). */
  function endLeftOpen(): void {
    try {
      for (const row of deps.db().prepare('SELECT * FROM break_glass_grants WHERE ended_at IS NULL').all() as GrantRow[]) end(row, 'appClosed');
    } catch (error) {
      if (!(error instanceof VaultError)) throw error;
    }
  }

  // A grant belongs to a session; sessions do not outlive the app. Grants left open by a crash end now.
  endLeftOpen();
  return self;
}
