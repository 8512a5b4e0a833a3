import type { FhirResource } from '../../src-shared/fhir/index.ts';
import type { Clock } from '../ports.ts';
import { deleteResource, storeResources } from '../records/index.ts';
import { durably, type Database } from '../vault/index.ts';
import { versionIdOf, type Json } from './central-reads.ts';
import {
  allOpenConflictRows,
  conflictStateOf,
  insertConflict,
  markResolved,
  openConflictRow,
  openConflictRowById,
  openConflictRows,
  type ConflictRow,
} from './conflict-store.ts';
import { withoutServerMeta } from './outbox.ts';
import {
  conflictedSeqOf,
  insertQueued,
  removeQueued,
  requeueOnVersion,
  setConflict,
  type OutboxRow,
} from './outbox-store.ts';

/**
 * Conflicts: changes central refused because it holds a newer version than the one the edit was
 * made on. A clinician decides: keep mine (sent again, on central's version), keep theirs (the
 * local copy becomes central's; mine stays in the conflict record), or a merge by hand (sent on
 * central's version). Nothing is overwritten without that decision, and both versions stay on
 * record: central's history has theirs and, unless set aside, mine. The SQL is
 * conflict-store.ts's and outbox-store.ts's.
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

/**
 * A pushed change met a conflict: central holds `theirs` (null: central deleted the record). Both
 * are kept for the clinician, and the outbox row waits for the decision; one durable transaction.
 */
export function recordConflict(db: Database, row: OutboxRow, theirs: Json | null, clock: Clock): void {
  durably(db, () => {
    insertConflict(db, {
      resourceType: row.resource_type,
      resourceId: row.resource_id,
      patientId: row.patient_id,
      userId: row.user_id,
      localJson: row.json,
      serverJson: theirs ? JSON.stringify(theirs) : null,
      serverVersion: versionIdOf(theirs),
      detectedAt: clock.now(),
    });
    setConflict(db, row.seq, theirs ? 'central holds a newer version' : 'central deleted this record');
  });
}

/** The user's open conflicts, oldest first. */
export function openConflicts(db: Database, userId: string): ConflictRecord[] {
  return openConflictRows(db, userId).map(toRecord);
}

export function openConflict(db: Database, conflictId: number, userId: string): ConflictRecord | null {
  const row = openConflictRow(db, conflictId, userId);
  return row ? toRecord(row) : null;
}

/** Every user's open conflicts, oldest first. */
export function allOpenConflicts(db: Database): ConflictRecord[] {
  return allOpenConflictRows(db).map(toRecord);
}

/** A conflict someone decided already (the clinician or the privacy officer): a second decision is refused. */
export const ALREADY_DECIDED = 'This conflict was already decided.';

/** Whether this user's conflict was decided already (rather than never there). */
export function wasDecided(db: Database, conflictId: number, userId?: string): boolean {
  return conflictStateOf(db, conflictId, userId) === 'resolved';
}

export type Resolution = { choice: 'mine' } | { choice: 'theirs' } | { choice: 'merged'; merged: FhirResource };

export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  constructor(
    readonly code: 'notFound' | 'invalid' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}

/** Applies the clinician's decision, in one durable transaction with the outbox and the cache. */
export function resolveConflict(
  db: Database,
  conflictId: number,
  userId: string,
  resolution: Resolution,
  clock: Clock,
): void {
  durably(db, () => {
    const row = openConflictRow(db, conflictId, userId);
    if (!row) {
      if (wasDecided(db, conflictId, userId)) throw new ConflictError('conflict', ALREADY_DECIDED);
      throw new ConflictError('notFound', 'No such open conflict.');
    }
    applyResolution(db, row, resolution, clock, userId);
  });
}

/**
 * Another person's decision over a clinician's conflict (the privacy officer's, for one its
 * clinician may no longer decide), in one durable transaction: `check` runs on the open row inside
 * it and may refuse (the clinician regained access meanwhile), and `record` writes the decision's
 * audit entry in the same commit. A change kept is queued in the clinician's name: it is theirs.
 */
export function decideForClinician(
  db: Database,
  conflictId: number,
  decision: { choice: 'mine' | 'theirs'; decidedBy: string },
  hooks: { check(conflict: ConflictRecord): void; record(conflict: ConflictRecord): void },
  clock: Clock,
): void {
  durably(db, () => {
    const row = openConflictRowById(db, conflictId);
    if (!row) {
      if (wasDecided(db, conflictId)) throw new ConflictError('conflict', ALREADY_DECIDED);
      throw new ConflictError('notFound', 'No such open conflict.');
    }
    const conflict = toRecord(row);
    hooks.check(conflict);
    applyResolution(db, row, { choice: decision.choice }, clock, decision.decidedBy);
    hooks.record(conflict);
  });
}

/** The decision's effect on the outbox and the cache; inside the caller's transaction. */
function applyResolution(
  db: Database,
  row: ConflictRow,
  resolution: Resolution,
  clock: Clock,
  resolvedBy: string,
): void {
  // The change stays its clinician's, whoever decides: queued and sent in their name.
  const userId = row.user_id;
  const queued = conflictedSeqOf(db, row.resource_type, row.resource_id);
  if (resolution.choice === 'theirs') {
    if (queued !== undefined) removeQueued(db, queued);
    if (row.server_json === null) deleteResource(db, row.resource_type, row.resource_id);
    else storeResources(db, [JSON.parse(row.server_json)]);
  } else {
    const content =
      resolution.choice === 'merged'
        ? withoutServerMeta(resolution.merged)
        : (JSON.parse(row.local_json) as FhirResource);
    if (content.resourceType !== row.resource_type || content.id !== row.resource_id)
      throw new ConflictError('invalid', 'A merge must keep the record it resolves.');
    const { rejected } = storeResources(db, [content]);
    if (rejected.length > 0)
      throw new ConflictError('invalid', `The merged record is not valid: ${rejected[0]?.issues.join('; ')}`);
    // Sent again on central's current version (none: central deleted it, so it is created anew).
    const json = JSON.stringify(content);
    if (queued !== undefined) requeueOnVersion(db, queued, json, row.server_version, userId);
    else {
      insertQueued(db, {
        resourceType: row.resource_type,
        resourceId: row.resource_id,
        patientId: row.patient_id,
        baseVersion: row.server_version,
        json,
        userId,
        createdAt: clock.now(),
      });
    }
  }
  markResolved(db, row.id, clock.now(), resolution.choice, resolvedBy);
}
