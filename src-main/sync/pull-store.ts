import type { Database } from '../vault/index.ts';

/**
 * The pull's SQL (schema.ts): its cursors (sync_cursors: per resource type the newest
 * `meta.lastUpdated` central sent, `history:<type>` for its deletes, and with a scoped cache
 * `<type>?patient=<id>` / `Patient?_id=<id>` per member patient, scope.ts) and the diagnostics of
 * what central sent that could not be stored (sync_diagnostics: type, id and the rule broken,
 * never the content; a push's answer that fails validation is recorded there too). What a pull
 * runs once per resource or page is prepared once and bound by position: it is on the pull's
 * measured path.
 */

/** Moves a cursor forward only (a page read late never moves it back). */
export function cursorMover(db: Database): (key: string, lastUpdated: string, updatedAt: number) => void {
  const move = db.prepare<[string, string, number]>(
    `INSERT INTO sync_cursors (resource_type, last_updated, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (resource_type) DO UPDATE SET last_updated = excluded.last_updated, updated_at = excluded.updated_at
     WHERE excluded.last_updated > sync_cursors.last_updated`,
  );
  return (key, lastUpdated, updatedAt) => void move.run(key, lastUpdated, updatedAt);
}

/** Reads cursors: a type's, or `history:<type>`; undefined before the first. */
export function cursorReader(db: Database): (key: string) => string | undefined {
  const cursorOf = db.prepare('SELECT last_updated FROM sync_cursors WHERE resource_type = ?').pluck();
  return (key) => cursorOf.get(key) as string | undefined;
}

export function hasCursor(db: Database, key: string): boolean {
  return db.prepare('SELECT 1 FROM sync_cursors WHERE resource_type = ?').get(key) !== undefined;
}

export function cursorCount(db: Database): number {
  return db.prepare('SELECT count(*) FROM sync_cursors').pluck().get() as number;
}

/** Records what central sent that could not be stored. */
export function diagnosticRecorder(
  db: Database,
): (at: number, resourceType: string | null, resourceId: string | null, problem: string) => void {
  const diagnose = db.prepare(
    'INSERT INTO sync_diagnostics (at, resource_type, resource_id, problem) VALUES (?, ?, ?, ?)',
  );
  return (at, resourceType, resourceId, problem) => void diagnose.run(at, resourceType, resourceId, problem);
}

export function recordDiagnostic(
  db: Database,
  at: number,
  resourceType: string | null,
  resourceId: string | null,
  problem: string,
): void {
  diagnosticRecorder(db)(at, resourceType, resourceId, problem);
}

export function diagnosticsCount(db: Database): number {
  return db.prepare('SELECT count(*) FROM sync_diagnostics').pluck().get() as number;
}

/**
 * Records that a type's read stopped (a page too large, a cycle, a refusal): one row per type and
 * problem, moved to the latest time, so a failure that lasts does not add a row every round.
 */
export function recordTypeFailure(db: Database, at: number, key: string, problem: string): void {
  db.transaction(() => {
    db.prepare('DELETE FROM sync_diagnostics WHERE resource_type = ? AND resource_id IS NULL AND problem = ?').run(
      key,
      problem,
    );
    diagnosticRecorder(db)(at, key, null, problem);
  }).immediate();
}

/** Every cursor whose key starts with `prefix`, by the rest of its key (a scoped type's per-patient cursors). */
export function cursorsUnder(db: Database, prefix: string): Map<string, string> {
  const rows = db
    .prepare('SELECT resource_type AS key, last_updated AS at FROM sync_cursors WHERE substr(resource_type, 1, ?) = ?')
    .all(prefix.length, prefix) as { key: string; at: string }[];
  return new Map(rows.map((row) => [row.key.slice(prefix.length), row.at]));
}

/** The oldest cursor whose key starts with `prefix`; undefined when there is none. */
export function oldestCursorUnder(db: Database, prefix: string): string | undefined {
  const oldest = db
    .prepare('SELECT min(last_updated) FROM sync_cursors WHERE substr(resource_type, 1, ?) = ?')
    .pluck()
    .get(prefix.length, prefix) as string | null;
  return oldest ?? undefined;
}

/** Removes these exact cursor keys (a patient's per-type cursors, when retention removes them). */
export function dropCursors(db: Database, keys: readonly string[]): void {
  const drop = db.prepare('DELETE FROM sync_cursors WHERE resource_type = ?');
  for (const key of keys) drop.run(key);
}

/**
 * When a scoped type's delete sweep last ran to its end (scope-deletes.ts): `sweep:<type>` in
 * sync_cursors, its time in updated_at (epoch ms). Null before the first.
 */
export function lastSweepAt(db: Database, key: string): number | null {
  const at = db.prepare('SELECT updated_at FROM sync_cursors WHERE resource_type = ?').pluck().get(key) as
    number | undefined;
  return at ?? null;
}

/** Records a sweep's time (moved back too, unlike a cursor: the clock may have been set back). */
export function markSweepAt(db: Database, key: string, at: number): void {
  db.prepare(
    `INSERT INTO sync_cursors (resource_type, last_updated, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (resource_type) DO UPDATE SET last_updated = excluded.last_updated, updated_at = excluded.updated_at`,
  ).run(key, new Date(at).toISOString(), at);
}
