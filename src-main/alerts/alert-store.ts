/**
 * The alert store: every SQL statement on access_alerts. Nothing here audits or decides; the
 * detector and the review write inside the transactions they open, with the audit entry.
 */
import type { AlertKind } from '../../src-shared/ipc/channels/alerts.ts';
import type { Database } from '../vault/index.ts';

export interface AlertRow {
  id: string;
  kind: AlertKind;
  user_id: string | null;
  patient_id: string | null;
  count: number;
  window_minutes: number;
  raised_at: number;
  reviewed_at: number | null;
}

export function insertAlert(
  db: Database,
  alert: {
    id: string;
    kind: AlertKind;
    userId: string | null;
    patientId: string | null;
    count: number;
    windowMinutes: number;
    raisedAt: number;
  },
): void {
  db.prepare(
    'INSERT INTO access_alerts (id, kind, user_id, patient_id, count, window_minutes, raised_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(alert.id, alert.kind, alert.userId, alert.patientId, alert.count, alert.windowMinutes, alert.raisedAt);
}

/** Whether an alert of this kind for this user (null: unknown usernames) was raised at or after `since`. */
export function raisedSince(db: Database, kind: AlertKind, userId: string | null, since: number): boolean {
  return (
    db
      .prepare('SELECT 1 FROM access_alerts WHERE kind = ? AND user_id IS ? AND raised_at >= ? LIMIT 1')
      .get(kind, userId, since) !== undefined
  );
}

/** Whether this user's family-name alert for this patient still waits for review. */
export function familyAlertOpen(db: Database, userId: string, patientId: string): boolean {
  return (
    db
      .prepare(
        `SELECT 1 FROM access_alerts WHERE kind = 'familyName' AND user_id = ? AND patient_id = ? AND reviewed_at IS NULL LIMIT 1`,
      )
      .get(userId, patientId) !== undefined
  );
}

/** Alerts not yet reviewed, oldest first. */
export function openAlerts(db: Database): AlertRow[] {
  return db.prepare('SELECT * FROM access_alerts WHERE reviewed_at IS NULL ORDER BY raised_at, id').all() as AlertRow[];
}

export function alertById(db: Database, id: string): AlertRow | undefined {
  return db.prepare('SELECT * FROM access_alerts WHERE id = ?').get(id) as AlertRow | undefined;
}

/** Records the review; false when the alert was already reviewed (nothing changed). */
export function markAlertReviewed(
  db: Database,
  review: { id: string; reviewerId: string; comment: string; at: number },
): boolean {
  return (
    db
      .prepare(
        'UPDATE access_alerts SET reviewed_at = ?, reviewer_id = ?, comment = ? WHERE id = ? AND reviewed_at IS NULL',
      )
      .run(review.at, review.reviewerId, review.comment, review.id).changes !== 0
  );
}

/** How many alerts wait for review (the compliance report's evidence). */
export function openAlertCount(db: Database): number {
  return db.prepare('SELECT count(*) FROM access_alerts WHERE reviewed_at IS NULL').pluck().get() as number;
}
