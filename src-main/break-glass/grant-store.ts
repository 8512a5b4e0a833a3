/**
 * The grant store: every SQL statement on break-glass's own tables, break_glass_grants and
 * break_glass_reviews, as plain functions over the vault's database. Nothing here audits,
 * schedules or decides; the lifecycle and the review do, inside the transactions they open
 * (`durably`), so a grant or a review and its audit entry are still one write. Other capabilities'
 * tables are never read here (names come from identity and records).
 */
import type { Database } from '../vault/index.ts';

/** One row of break_glass_grants, as SQLite returns it. */
export interface GrantRow {
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

export interface NewGrant {
  id: string;
  userId: string;
  role: string;
  patientId: string;
  reasonCode: string;
  justification: string;
  startedAt: number;
  expiresAt: number;
}

/** The user's grants not yet ended (expired ones included), oldest first. */
export function openGrantsOf(db: Database, userId: string): GrantRow[] {
  return db
    .prepare('SELECT * FROM break_glass_grants WHERE user_id = ? AND ended_at IS NULL ORDER BY started_at')
    .all(userId) as GrantRow[];
}

/** Every grant not yet ended, whoever holds it. */
export function allOpenGrants(db: Database): GrantRow[] {
  return db.prepare('SELECT * FROM break_glass_grants WHERE ended_at IS NULL').all() as GrantRow[];
}

export function grantById(db: Database, grantId: string): GrantRow | undefined {
  return db.prepare('SELECT * FROM break_glass_grants WHERE id = ?').get(grantId) as GrantRow | undefined;
}

export function reasonCodeOf(db: Database, grantId: string): string | null {
  const row = db.prepare('SELECT reason_code FROM break_glass_grants WHERE id = ?').get(grantId) as
    { reason_code: string } | undefined;
  return row?.reason_code ?? null;
}

export function insertGrant(db: Database, grant: NewGrant): void {
  db.prepare(
    'INSERT INTO break_glass_grants (id, user_id, role, patient_id, reason_code, justification, started_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(
    grant.id,
    grant.userId,
    grant.role,
    grant.patientId,
    grant.reasonCode,
    grant.justification,
    grant.startedAt,
    grant.expiresAt,
  );
}

/** Ends a grant still open; false when it had already ended (nothing changed). */
export function markEnded(db: Database, grantId: string, at: number, reason: string): boolean {
  return (
    db
      .prepare('UPDATE break_glass_grants SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL')
      .run(at, reason, grantId).changes !== 0
  );
}

/** How many grants the user started at or after `since`. */
export function grantsStartedSince(db: Database, userId: string, since: number): number {
  const { n } = db
    .prepare('SELECT count(*) AS n FROM break_glass_grants WHERE user_id = ? AND started_at >= ?')
    .get(userId, since) as { n: number };
  return n;
}

/** How many grants wait for the privacy officer's review. */
export function unreviewedGrantCount(db: Database): number {
  return db
    .prepare(
      'SELECT count(*) FROM break_glass_grants g WHERE NOT EXISTS (SELECT 1 FROM break_glass_reviews r WHERE r.grant_id = g.id)',
    )
    .pluck()
    .get() as number;
}

/** Grants nobody has reviewed yet, oldest first. */
export function unreviewedGrants(db: Database): GrantRow[] {
  return db
    .prepare(
      `SELECT g.* FROM break_glass_grants g
        WHERE NOT EXISTS (SELECT 1 FROM break_glass_reviews r WHERE r.grant_id = g.id)
        ORDER BY g.started_at`,
    )
    .all() as GrantRow[];
}

/** Users who started more than `threshold` grants at or after `since`, most first. */
export function usersOverThreshold(
  db: Database,
  since: number,
  threshold: number,
): { userId: string; count: number }[] {
  const rows = db
    .prepare(
      'SELECT user_id, count(*) AS n FROM break_glass_grants WHERE started_at >= ? GROUP BY user_id HAVING n > ? ORDER BY n DESC',
    )
    .all(since, threshold) as { user_id: string; n: number }[];
  return rows.map((row) => ({ userId: row.user_id, count: row.n }));
}

/** Records a review; false when the grant was already reviewed (nothing written). */
export function insertReview(
  db: Database,
  review: { grantId: string; reviewerId: string; comment: string; reviewedAt: number },
): boolean {
  return (
    db
      .prepare(
        'INSERT INTO break_glass_reviews (grant_id, reviewer_id, comment, reviewed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      )
      .run(review.grantId, review.reviewerId, review.comment, review.reviewedAt).changes !== 0
  );
}

/** A grant with its review, when there is one (LEFT JOIN break_glass_reviews). */
export interface GrantWithReviewRow extends GrantRow {
  reviewer_id: string | null;
  comment: string | null;
  reviewed_at: number | null;
}

export interface GrantFilter {
  status: 'awaiting' | 'reviewed' | 'all';
  userId?: string | undefined;
  /** Started at or after (epoch ms). */
  from?: number | undefined;
  /** Started at or before (epoch ms). */
  to?: number | undefined;
}

/** Grants as the filter asks, newest first, each with its review or nulls. */
export function grantsWithReviews(db: Database, filter: GrantFilter): GrantWithReviewRow[] {
  const where: string[] = [];
  if (filter.status === 'awaiting') where.push('r.grant_id IS NULL');
  if (filter.status === 'reviewed') where.push('r.grant_id IS NOT NULL');
  // Each condition only when its value is given; values always as parameters.
  const given = (
    [
      ['g.user_id = ?', filter.userId],
      ['g.started_at >= ?', filter.from],
      ['g.started_at <= ?', filter.to],
    ] as const
  ).filter(([, value]) => value !== undefined);
  where.push(...given.map(([clause]) => clause));
  const params = given.map(([, value]) => value!);
  return db
    .prepare(
      `SELECT g.*, r.reviewer_id, r.comment, r.reviewed_at FROM break_glass_grants g
        LEFT JOIN break_glass_reviews r ON r.grant_id = g.id
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY g.started_at DESC, g.id`,
    )
    .all(...params) as GrantWithReviewRow[];
}

/** Everyone who holds or held a grant here. */
export function grantUserIds(db: Database): string[] {
  return db.prepare('SELECT DISTINCT user_id FROM break_glass_grants ORDER BY user_id').pluck().all() as string[];
}
