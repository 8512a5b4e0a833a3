/**
 * The privacy officer's side: the alerts not yet reviewed, named by the capabilities that own
 * the names (identity's users, records' patients), and a review written with its audit entry
 * (`access.alertReview`, naming the alert's AuditEvent) in one durable transaction.
 */
import type { AccessAlertQueue } from '../../src-shared/ipc/channels/alerts.ts';
import type { AuditTrail } from '../audit/index.ts';
import { CoreError } from '../base/index.ts';
import { displayNamesOf } from '../identity/index.ts';
import type { Clock } from '../ports.ts';
import { patientNamesOf } from '../records/index.ts';
import { durably, type Database } from '../vault/index.ts';
import { alertById, markAlertReviewed, openAlerts } from './alert-store.ts';

export interface ReviewDeps {
  db(): Database;
  trail(): AuditTrail;
  clock: Clock;
}

export function alertQueue(deps: ReviewDeps): AccessAlertQueue {
  const db = deps.db();
  const rows = openAlerts(db);
  const users = displayNamesOf(
    db,
    rows.flatMap((row) => (row.user_id === null ? [] : [row.user_id])),
  );
  const patients = patientNamesOf(
    db,
    rows.flatMap((row) => (row.patient_id === null ? [] : [row.patient_id])),
  );
  return {
    alerts: rows.map((row) => ({
      alertId: row.id,
      kind: row.kind,
      userId: row.user_id,
      userName: row.user_id === null ? null : (users.get(row.user_id) ?? null),
      patientId: row.patient_id,
      patientName: row.patient_id === null ? null : (patients.get(row.patient_id) ?? null),
      count: row.count,
      windowMinutes: row.window_minutes,
      raisedAt: row.raised_at,
    })),
  };
}

export function markAlertReviewedBy(
  deps: ReviewDeps,
  alertId: string,
  reviewer: { userId: string; role: string },
  comment: string,
): void {
  const text = comment.trim();
  if (text.length === 0) throw new CoreError('invalid', 'Write a comment for the review.');
  const db = deps.db();
  const row = alertById(db, alertId);
  if (!row) throw new CoreError('notFound', 'No such alert.');
  durably(db, () => {
    if (!markAlertReviewed(db, { id: alertId, reviewerId: reviewer.userId, comment: text, at: deps.clock.now() }))
      throw new CoreError('conflict', 'This alert was already reviewed.');
    deps.trail().append({
      action: 'access.alertReview',
      outcome: 'success',
      userId: reviewer.userId,
      role: reviewer.role,
      patientId: row.patient_id,
      resourceRefs: [`AuditEvent/${alertId}`],
      detail: `${row.kind}:reviewed`,
    });
  });
}
