/**
 * The privacy officer's review of emergency access: the queue of grants not yet reviewed, each
 * with what was viewed under it (from the audit trail: the router audits every read with the
 * grant's id), the alerts for users over policy's per-shift threshold (raised in the trail as a
 * grant is made, and shown again in the queue), and marking a grant reviewed (audited, durably).
 * Names come from the capabilities that own them: identity's users, records' patients.
 */
import type { z } from 'zod';
import type { BreakGlassPolicy } from '../../src-shared/policy/schema.ts';
import type { AuditTrail } from '../audit/index.ts';
import { CoreError } from '../base/index.ts';
import { displayNamesOf } from '../identity/index.ts';
import type { Logger } from '../log/index.ts';
import type { Clock } from '../ports.ts';
import { patientNamesOf } from '../records/index.ts';
import { durably, type Database } from '../vault/index.ts';
import {
  grantById,
  grantsStartedSince,
  insertReview,
  unreviewedGrants,
  usersOverThreshold,
  type GrantRow,
} from './grant-store.ts';

/** What the review needs; the lifecycle needs the same and timers. */
export interface ReviewDeps {
  db(): Database;
  trail(): AuditTrail;
  policy: z.output<typeof BreakGlassPolicy>;
  clock: Clock;
  logger: Logger;
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

const HOUR = 60 * 60_000;

/** When the current shift began, for policy's per-shift threshold. */
const shiftStart = ({ clock, policy }: ReviewDeps) => clock.now() - policy.shiftHours * HOUR;

const reasonDisplay = ({ policy }: ReviewDeps, code: string) =>
  policy.reasons.find((r) => r.code === code)?.display ?? code;

/** More grants by one user within a shift than policy allows: an alert in the trail and the queue. */
export function raiseAlertIfOver(deps: ReviewDeps, user: { userId: string; role: string }): void {
  const since = shiftStart(deps);
  const n = grantsStartedSince(deps.db(), user.userId, since);
  if (n <= deps.policy.alertThresholdPerShift) return;
  deps.trail().append({
    action: 'breakGlass.alert',
    outcome: 'success',
    userId: user.userId,
    role: user.role,
    detail: `${n}-in-${deps.policy.shiftHours}h`,
  });
  deps.logger.log('warn', 'breakGlass.alert', { count: n });
}

/** What was viewed under a grant: its reads in the audit trail. */
function viewedUnder(deps: ReviewDeps, grantId: string): ReviewItem['viewed'] {
  return deps
    .trail()
    .entries({ grantId })
    .filter((entry) => entry.action === 'patient.read')
    .map((entry) => ({
      at: entry.recordedAt,
      what: entry.detail === 'chart.read' ? 'Chart sections' : 'Chart opened',
    }));
}

export function reviewItems(deps: ReviewDeps, db: Database, rows: GrantRow[]): ReviewItem[] {
  const userNames = displayNamesOf(
    db,
    rows.map((row) => row.user_id),
  );
  const patientNames = patientNamesOf(
    db,
    rows.map((row) => row.patient_id),
  );
  return rows.map((row) => ({
    grantId: row.id,
    userId: row.user_id,
    userName: userNames.get(row.user_id) ?? null,
    role: row.role,
    patientId: row.patient_id,
    patientName: patientNames.get(row.patient_id) ?? null,
    reasonCode: row.reason_code,
    reasonDisplay: reasonDisplay(deps, row.reason_code),
    justification: row.justification,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    endReason: row.end_reason,
    expiresAt: row.expires_at,
    viewed: viewedUnder(deps, row.id),
  }));
}

/** The grants not yet reviewed, oldest first, and the users over the threshold this shift. */
export function reviewQueue(deps: ReviewDeps): { items: ReviewItem[]; alerts: ReviewAlert[] } {
  const db = deps.db();
  const items = reviewItems(deps, db, unreviewedGrants(db));
  const counts = usersOverThreshold(db, shiftStart(deps), deps.policy.alertThresholdPerShift);
  const alertNames = displayNamesOf(
    db,
    counts.map((row) => row.userId),
  );
  const alerts = counts.map((row) => ({
    userId: row.userId,
    userName: alertNames.get(row.userId) ?? null,
    count: row.count,
    shiftHours: deps.policy.shiftHours,
  }));
  return { items, alerts };
}

/** The review and its audit entry, in one durable write; a grant is reviewed once. */
export function markReviewed(
  deps: ReviewDeps,
  grantId: string,
  reviewer: { userId: string; role: string },
  comment: string,
): void {
  const text = comment.trim();
  if (text.length === 0) throw new CoreError('invalid', 'Write a comment for the review.');
  const db = deps.db();
  const row = grantById(db, grantId);
  if (!row) throw new CoreError('notFound', 'No such emergency access event.');
  durably(db, () => {
    const inserted = insertReview(db, {
      grantId,
      reviewerId: reviewer.userId,
      comment: text,
      reviewedAt: deps.clock.now(),
    });
    if (!inserted) throw new CoreError('conflict', 'This event was already reviewed.');
    deps.trail().append({
      action: 'breakGlass.review',
      outcome: 'success',
      userId: reviewer.userId,
      role: reviewer.role,
      patientId: row.patient_id,
      grantId,
      detail: 'reviewed',
    });
  });
}
