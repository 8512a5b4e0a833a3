import type { Database } from '../vault/index.ts';

/**
 * What retention goes by (schema version 14) and the removal of one patient's records. The
 * decision of whom to remove, and the guard for changes not yet on central, belong to sync's
 * retention job (sync/retention.ts), which calls these inside its one transaction.
 */

/** Chart opens closer together than this leave the first time standing: one write per minute, not per click. */
export const CHART_VIEW_RESOLUTION_MS = 60_000;

/**
 * The scoped pull read these members at `at`: each is in scope as of then. Patients who left keep
 * the time they were last in scope, which retention counts from, as it counts from a view.
 */
export function recordScopeMembers(db: Database, members: readonly string[], at: number): void {
  const member = db.prepare<[string, number]>(
    `INSERT INTO cache_scope_members (patient_id, in_scope, in_scope_at) VALUES (?, 1, ?)
     ON CONFLICT (patient_id) DO UPDATE SET in_scope = 1, in_scope_at = excluded.in_scope_at`,
  );
  db.transaction(() => {
    // A flag, not the time alone: two rounds may read in the same millisecond.
    db.prepare('UPDATE cache_scope_members SET in_scope = 0 WHERE in_scope = 1').run();
    for (const id of members) member.run(id, at);
    db.prepare(
      `INSERT INTO cache_scope (one, read_at) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET read_at = excluded.read_at`,
    ).run(at);
  }).immediate();
}

/** A chart was opened here at `at` (at most one write per patient per CHART_VIEW_RESOLUTION_MS). */
export function recordChartView(db: Database, patientId: string, at: number): void {
  db.prepare(
    `INSERT INTO chart_views (patient_id, viewed_at) VALUES (?, ?)
     ON CONFLICT (patient_id) DO UPDATE SET viewed_at = excluded.viewed_at
     WHERE excluded.viewed_at >= chart_views.viewed_at + ${CHART_VIEW_RESOLUTION_MS}`,
  ).run(patientId, at);
}

/** When this patient's chart was last opened here; null if never (or since retention removed it). */
export function lastChartViewOf(db: Database, patientId: string): number | null {
  return (db.prepare('SELECT viewed_at FROM chart_views WHERE patient_id = ?').pluck().get(patientId) ?? null) as
    number | null;
}

/**
 * The patients the cache holds anything of who were not among the last scoped pull's members, and
 * neither in scope nor viewed since `cutoff`. Null before any scoped pull read its members: then
 * nobody is known to be out of scope.
 */
export function patientsPastRetention(db: Database, cutoff: number): string[] | null {
  const readAt = db.prepare('SELECT read_at FROM cache_scope WHERE one = 1').pluck().get() as number | undefined;
  if (readAt === undefined) return null;
  return db
    .prepare(
      `WITH cached (patient_id) AS (
         SELECT DISTINCT patient_id FROM resources WHERE patient_id IS NOT NULL
         UNION SELECT id FROM patients)
       SELECT c.patient_id FROM cached c
         LEFT JOIN cache_scope_members m ON m.patient_id = c.patient_id
         LEFT JOIN chart_views v ON v.patient_id = c.patient_id
        WHERE coalesce(m.in_scope, 0) = 0
          AND max(coalesce(m.in_scope_at, 0), coalesce(v.viewed_at, 0)) < ?
        ORDER BY c.patient_id`,
    )
    .pluck()
    .all(cutoff) as string[];
}

/**
 * Removes everything of one patient: every resource that names them (their Patient row too),
 * their search row (the patients_fts trigger follows), their view, scope and on-demand marks. Runs in the
 * caller's transaction; secure_delete (set by the vault at open) zeroes the freed pages.
 * Answers how many resources went.
 */
export function removePatientRecords(db: Database, patientId: string): number {
  const removed = db
    .prepare(`DELETE FROM resources WHERE patient_id = ? OR (type = 'Patient' AND id = ?)`)
    .run(patientId, patientId).changes;
  db.prepare('DELETE FROM patients WHERE id = ?').run(patientId);
  db.prepare('DELETE FROM chart_views WHERE patient_id = ?').run(patientId);
  db.prepare('DELETE FROM cache_scope_members WHERE patient_id = ?').run(patientId);
  db.prepare('DELETE FROM charts_on_demand WHERE patient_id = ?').run(patientId);
  return removed;
}

/**
 * Whether the sync rounds keep this patient's records current here: with cache.scope "all",
 * everyone the cache holds; with a scope, the members the last scoped pull read (before any
 * scoped pull has read them, whoever the cache holds, as under "all"). Anyone else is a chart on
 * demand (chart/on-demand.ts).
 */
export function keptInSync(db: Database, scopeIsAll: boolean, patientId: string): boolean {
  const cached = db.prepare('SELECT 1 FROM patients WHERE id = ?').pluck().get(patientId) !== undefined;
  if (scopeIsAll || !cached) return cached;
  const readAt = db.prepare('SELECT read_at FROM cache_scope WHERE one = 1').pluck().get();
  if (readAt === undefined) return true;
  return db.prepare('SELECT in_scope FROM cache_scope_members WHERE patient_id = ?').pluck().get(patientId) === 1;
}

/** Scope marks of patients who left and of whom nothing is cached: no longer needed past `cutoff`. */
export function forgetFormerMembers(db: Database, cutoff: number): void {
  db.prepare(
    `DELETE FROM cache_scope_members
      WHERE in_scope = 0 AND in_scope_at < ?`,
  ).run(cutoff);
}
