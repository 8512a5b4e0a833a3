import type { Database } from '../vault/index.ts';

/**
 * The conflicts' SQL (table sync_conflicts, schema.ts). A conflict is kept after it is resolved
 * (its resolution, when and by whom), so a version set aside is never thrown away; open ones are
 * those not resolved yet. Statements only: the transactions are the callers' (conflicts.ts).
 */

export interface ConflictRow {
  id: number;
  resource_type: string;
  resource_id: string;
  patient_id: string | null;
  user_id: string;
  local_json: string;
  server_json: string | null;
  server_version: string | null;
  detected_at: number;
}

/** A conflict as detected: the local change and central's version (null: central deleted it). */
export interface NewConflict {
  resourceType: string;
  resourceId: string;
  patientId: string | null;
  userId: string;
  localJson: string;
  serverJson: string | null;
  serverVersion: string | null;
  detectedAt: number;
}

export function insertConflict(db: Database, conflict: NewConflict): void {
  db.prepare(
    `INSERT INTO sync_conflicts (resource_type, resource_id, patient_id, user_id, local_json, server_json, server_version, detected_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    conflict.resourceType,
    conflict.resourceId,
    conflict.patientId,
    conflict.userId,
    conflict.localJson,
    conflict.serverJson,
    conflict.serverVersion,
    conflict.detectedAt,
  );
}

/** The user's open conflicts, oldest first. */
export function openConflictRows(db: Database, userId: string): ConflictRow[] {
  return db
    .prepare('SELECT * FROM sync_conflicts WHERE user_id = ? AND resolved_at IS NULL ORDER BY id')
    .all(userId) as ConflictRow[];
}

/** Every user's open conflicts, oldest first (the privacy officer's review of restricted ones). */
export function allOpenConflictRows(db: Database): ConflictRow[] {
  return db.prepare('SELECT * FROM sync_conflicts WHERE resolved_at IS NULL ORDER BY id').all() as ConflictRow[];
}

/** Whether a conflict (of this user's, when one is named) exists and is still open. */
export function conflictStateOf(db: Database, conflictId: number, userId?: string): 'open' | 'resolved' | 'none' {
  const row = db.prepare('SELECT user_id, resolved_at FROM sync_conflicts WHERE id = ?').get(conflictId) as
    { user_id: string; resolved_at: number | null } | undefined;
  if (!row || (userId !== undefined && row.user_id !== userId)) return 'none';
  return row.resolved_at === null ? 'open' : 'resolved';
}

/** One open conflict, whoever's it is. */
export function openConflictRowById(db: Database, conflictId: number): ConflictRow | undefined {
  return db.prepare('SELECT * FROM sync_conflicts WHERE id = ? AND resolved_at IS NULL').get(conflictId) as
    ConflictRow | undefined;
}

/** One of the user's open conflicts. */
export function openConflictRow(db: Database, conflictId: number, userId: string): ConflictRow | undefined {
  return db
    .prepare('SELECT * FROM sync_conflicts WHERE id = ? AND user_id = ? AND resolved_at IS NULL')
    .get(conflictId, userId) as ConflictRow | undefined;
}

export function markResolved(
  db: Database,
  conflictId: number,
  resolvedAt: number,
  resolution: 'mine' | 'theirs' | 'merged',
  resolvedBy: string,
): void {
  db.prepare('UPDATE sync_conflicts SET resolved_at = ?, resolution = ?, resolved_by = ? WHERE id = ?').run(
    resolvedAt,
    resolution,
    resolvedBy,
    conflictId,
  );
}
