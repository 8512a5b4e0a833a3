import type { FhirResource } from '../../src-shared/fhir/index.ts';
import type { Clock } from '../ports.ts';
import { deleteResource, storeResources } from '../records/index.ts';
import { durably, type Database } from '../vault/index.ts';
import { withoutServerMeta } from './outbox.ts';

/**
 * Conflicts: changes central refused because it holds a newer version than the one the edit was
 * made on. A clinician decides: keep mine (sent again, on central's version), keep theirs (the
 * local copy becomes central's; mine stays in the conflict record), or a merge by hand (sent on
 * central's version). Nothing is overwritten without that decision, and both versions stay on
 * record: central's history has theirs and, unless set aside, mine.
 */
export interface ConflictRecord {
  id: number;
  resourceType: string;
  resourceId: string;
  patientId: string | null;
  userId: string;
  mine: FhirResource;
  theirs: FhirResource | null;
  detectedAt: number;
}

interface ConflictRow {
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

const toRecord = (row: ConflictRow): ConflictRecord => ({
  id: row.id,
  resourceType: row.resource_type,
  resourceId: row.resource_id,
  patientId: row.patient_id,
  userId: row.user_id,
  mine: JSON.parse(row.local_json) as FhirResource,
  theirs: row.server_json === null ? null : (JSON.parse(row.server_json) as FhirResource),
  detectedAt: row.detected_at,
});

/** The user's open conflicts, oldest first. */
export function openConflicts(db: Database, userId: string): ConflictRecord[] {
  const rows = db.prepare('SELECT * FROM sync_conflicts WHERE user_id = ? AND resolved_at IS NULL ORDER BY id').all(userId) as ConflictRow[];
  return rows.map(toRecord);
}

export function openConflict(db: Database, conflictId: number, userId: string): ConflictRecord | null {
  const row = db.prepare('SELECT * FROM sync_conflicts WHERE id = ? AND user_id = ? AND resolved_at IS NULL').get(conflictId, userId) as ConflictRow | undefined;
  return row ? toRecord(row) : null;
}

export type Resolution = { choice: 'mine' } | { choice: 'theirs' } | { choice: 'merged'; merged: FhirResource };

export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  constructor(
    readonly code: 'notFound' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

/** Applies the clinician's decision, in one durable transaction with the outbox and the cache. */
export function resolveConflict(db: Database, conflictId: number, userId: string, resolution: Resolution, clock: Clock): void {
  durably(db, () => {
    const row = db.prepare('SELECT * FROM sync_conflicts WHERE id = ? AND user_id = ? AND resolved_at IS NULL').get(conflictId, userId) as ConflictRow | undefined;
    if (!row) throw new ConflictError('notFound', 'No such open conflict.');
    const queued = db.prepare("SELECT seq FROM sync_outbox WHERE resource_type = ? AND resource_id = ? AND state = 'conflict'").pluck().get(row.resource_type, row.resource_id) as
      | number
      | undefined;
    if (resolution.choice === 'theirs') {
      if (queued !== undefined) db.prepare('DELETE FROM sync_outbox WHERE seq = ?').run(queued);
      if (row.server_json === null) deleteResource(db, row.resource_type, row.resource_id);
      else storeResources(db, [JSON.parse(row.server_json)]);
    } else {
      const content = resolution.choice === 'merged' ? withoutServerMeta(resolution.merged) : (JSON.parse(row.local_json) as FhirResource);
      if (content.resourceType !== row.resource_type || content.id !== row.resource_id) throw new ConflictError('invalid', 'A merge must keep the record it resolves.');
      const { rejected } = storeResources(db, [content]);
      if (rejected.length > 0) throw new ConflictError('invalid', `The merged record is not valid: ${rejected[0]?.issues.join('; ')}`);
      // Sent again on central's current version (none: central deleted it, so it is created anew).
      const args = [JSON.stringify(content), row.server_version, userId];
      if (queued !== undefined) {
        db.prepare("UPDATE sync_outbox SET json = ?, base_version = ?, user_id = ?, revision = revision + 1, attempted = 0, state = 'pending', problem = NULL WHERE seq = ?").run(...args, queued);
      } else {
        db.prepare('INSERT INTO sync_outbox (resource_type, resource_id, patient_id, json, base_version, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
          row.resource_type,
          row.resource_id,
          row.patient_id,
          ...args,
          clock.now(),
        );
      }
    }
    db.prepare('UPDATE sync_conflicts SET resolved_at = ?, resolution = ?, resolved_by = ? WHERE id = ?').run(clock.now(), resolution.choice, userId, row.id);
  });
}
