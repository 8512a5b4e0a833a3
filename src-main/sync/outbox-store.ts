import type { Database } from '../vault/index.ts';

/**
 * The outbox's SQL (table sync_outbox, schema.ts): every statement on it, for the local changes
 * (outbox.ts), the push (push.ts) and the resolution of conflicts (conflicts.ts). Statements only:
 * the transactions, and what goes with them in the cache, are the callers'.
 */

export interface OutboxRow {
  seq: number;
  resource_type: string;
  resource_id: string;
  patient_id: string | null;
  base_version: string | null;
  json: string;
  revision: number;
  user_id: string;
  attempted: 0 | 1;
  state: 'pending' | 'conflict' | 'held';
  problem: string | null;
}

export type OutboxState = OutboxRow['state'];

/** A change queued anew (a resource with no row yet). */
export interface NewOutboxRow {
  resourceType: string;
  resourceId: string;
  patientId: string | null;
  /** Central's version the change is based on; null: a create (client-assigned id). */
  baseVersion: string | null;
  json: string;
  userId: string;
  createdAt: number;
}

// A resource's row: at most one (UNIQUE (resource_type, resource_id)).

export function queuedRowOf(
  db: Database,
  resourceType: string,
  resourceId: string,
): Pick<OutboxRow, 'seq' | 'state'> | undefined {
  return db
    .prepare('SELECT seq, state FROM sync_outbox WHERE resource_type = ? AND resource_id = ?')
    .get(resourceType, resourceId) as Pick<OutboxRow, 'seq' | 'state'> | undefined;
}

/** The row of a resource whose push became a conflict. */
export function conflictedSeqOf(db: Database, resourceType: string, resourceId: string): number | undefined {
  return db
    .prepare("SELECT seq FROM sync_outbox WHERE resource_type = ? AND resource_id = ? AND state = 'conflict'")
    .pluck()
    .get(resourceType, resourceId) as number | undefined;
}

export function insertQueued(db: Database, row: NewOutboxRow): void {
  db.prepare(
    'INSERT INTO sync_outbox (resource_type, resource_id, patient_id, base_version, json, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(row.resourceType, row.resourceId, row.patientId, row.baseVersion, row.json, row.userId, row.createdAt);
}

/** A further edit of a queued resource: new content and revision; the version it is based on stays. */
export function replaceQueuedContent(db: Database, seq: number, json: string, userId: string): void {
  db.prepare(
    "UPDATE sync_outbox SET json = ?, revision = revision + 1, user_id = ?, state = 'pending', problem = NULL WHERE seq = ?",
  ).run(json, userId, seq);
}

/** Queued again on another version of central's (a resolved conflict), as never attempted. */
export function requeueOnVersion(
  db: Database,
  seq: number,
  json: string,
  baseVersion: string | null,
  userId: string,
): void {
  db.prepare(
    "UPDATE sync_outbox SET json = ?, base_version = ?, user_id = ?, revision = revision + 1, attempted = 0, state = 'pending', problem = NULL WHERE seq = ?",
  ).run(json, baseVersion, userId, seq);
}

export function removeQueued(db: Database, seq: number): void {
  db.prepare('DELETE FROM sync_outbox WHERE seq = ?').run(seq);
}

// The push.

/** Pending rows after `after`, in the order they were queued. */
export function pendingAfter(db: Database, after: number, limit: number): OutboxRow[] {
  return db
    .prepare("SELECT * FROM sync_outbox WHERE state = 'pending' AND seq > ? ORDER BY seq LIMIT ?")
    .all(after, limit) as OutboxRow[];
}

export function setAttempted(db: Database, seqs: readonly number[]): void {
  const markAttempted = db.prepare('UPDATE sync_outbox SET attempted = 1 WHERE seq = ? AND attempted = 0');
  for (const seq of seqs) markAttempted.run(seq);
}

/** The row's revision now (undefined: the row is gone). */
export function revisionOf(db: Database, seq: number): number | undefined {
  return db.prepare('SELECT revision FROM sync_outbox WHERE seq = ?').pluck().get(seq) as number | undefined;
}

/** Edited again while its push was in flight: the newer edit goes next, on central's version. */
export function rebaseQueued(db: Database, seq: number, baseVersion: string | null): void {
  db.prepare('UPDATE sync_outbox SET base_version = ?, attempted = 0 WHERE seq = ?').run(baseVersion, seq);
}

export function setHeld(db: Database, seq: number, problem: string): void {
  db.prepare("UPDATE sync_outbox SET state = 'held', problem = ? WHERE seq = ?").run(problem, seq);
}

export function setConflict(db: Database, seq: number, problem: string): void {
  db.prepare("UPDATE sync_outbox SET state = 'conflict', problem = ? WHERE seq = ?").run(problem, seq);
}

// Held rows.

/** A user's rows held for `problem` go back to pending; how many. */
export function releaseHeldFor(db: Database, userId: string, problem: string): number {
  return db
    .prepare(
      "UPDATE sync_outbox SET state = 'pending', problem = NULL WHERE user_id = ? AND state = 'held' AND problem = ?",
    )
    .run(userId, problem).changes;
}

/** Every held row goes back to pending; how many. */
export function releaseAllHeld(db: Database): number {
  return db.prepare("UPDATE sync_outbox SET state = 'pending', problem = NULL WHERE state = 'held'").run().changes;
}

// What is queued.

export function countsByState(db: Database): { state: OutboxState; n: number }[] {
  return db.prepare('SELECT state, count(*) AS n FROM sync_outbox GROUP BY state').all() as {
    state: OutboxState;
    n: number;
  }[];
}

/** A user's changes still waiting to be sent (not conflicts, not held for IT). */
export function pendingCountOf(db: Database, userId: string): number {
  return db
    .prepare("SELECT count(*) FROM sync_outbox WHERE state = 'pending' AND user_id = ?")
    .pluck()
    .get(userId) as number;
}

export function queuedOfPatient(
  db: Database,
  patientId: string,
): Pick<OutboxRow, 'resource_type' | 'resource_id' | 'state'>[] {
  return db
    .prepare('SELECT resource_type, resource_id, state FROM sync_outbox WHERE patient_id = ?')
    .all(patientId) as Pick<OutboxRow, 'resource_type' | 'resource_id' | 'state'>[];
}

/** The ids of a type's resources with a local change waiting: a pull must not overwrite them with central's. */
export function queuedResourceIds(db: Database, resourceType: string): Set<string> {
  return new Set(
    db.prepare('SELECT resource_id FROM sync_outbox WHERE resource_type = ?').pluck().all(resourceType) as string[],
  );
}

/**
 * The patients with a change not yet settled on central: anything in the outbox (pending, held or
 * in conflict) and any conflict not yet resolved. Retention keeps such a patient whole.
 */
export function patientsWithUnsettledChanges(db: Database): Set<string> {
  return new Set(
    db
      .prepare(
        `SELECT patient_id FROM sync_outbox WHERE patient_id IS NOT NULL
         UNION SELECT patient_id FROM sync_conflicts WHERE resolved_at IS NULL AND patient_id IS NOT NULL`,
      )
      .pluck()
      .all() as string[],
  );
}
