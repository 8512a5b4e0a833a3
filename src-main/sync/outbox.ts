import type { SyncMark } from '../../src-shared/sync/status.ts';
import { patientIdOf, type FhirResource } from '../../src-shared/fhir/index.ts';
import type { Clock } from '../ports.ts';
import { readResource, storeResources } from '../records/index.ts';
import { durably, type Database } from '../vault/index.ts';

/**
 * The outbox (PRODUCT.md capability 7): every local create or update is stored in the cache and
 * queued for central in one durable transaction, so a crash at any moment leaves both or neither.
 * A further edit of a resource already queued replaces the queued content (its revision moves on;
 * the version it was based on stays), so each resource has at most one change waiting and its
 * changes reach central in the order they were made.
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

export class OutboxError extends Error {
  override readonly name = 'OutboxError';
  constructor(
    readonly code: 'INVALID' | 'CONFLICT_OPEN',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Stores a resource changed at this workstation and queues it for central, in one durable
 * transaction. The resource is validated like anything from central; server-managed meta is the
 * server's, so a local change carries none until central accepts it. Refused while the resource
 * has an open conflict: the clinician resolves that first.
 */
export function recordLocalChange(db: Database, resource: FhirResource, userId: string, clock: Clock): void {
  if (resource.id === undefined) throw new OutboxError('INVALID', 'A local change needs a client-assigned id.');
  const { id, resourceType } = resource;
  durably(db, () => {
    const queued = db.prepare('SELECT seq, state FROM sync_outbox WHERE resource_type = ? AND resource_id = ?').get(resourceType, id) as
      | { seq: number; state: OutboxRow['state'] }
      | undefined;
    if (queued && queued.state === 'conflict') throw new OutboxError('CONFLICT_OPEN', 'This record has a sync conflict to resolve first.');
    const stored = readResource(db, resourceType, id);
    // An update needs central's version to base it on; a record that never came from central
    // (a bulk import) could otherwise overwrite central's blindly.
    if (!queued && stored && !stored.meta?.versionId) throw new OutboxError('INVALID', 'This record has not come from central yet; sync before changing it.');
    const baseVersion = queued ? undefined : (stored?.meta?.versionId ?? null);
    const local = withoutServerMeta(resource);
    const { rejected } = storeResources(db, [local]);
    if (rejected.length > 0) throw new OutboxError('INVALID', `The ${resourceType} is not valid: ${rejected[0]?.issues.join('; ')}`);
    const json = JSON.stringify(local);
    const patientId = patientIdOf(local);
    if (queued) {
      db.prepare("UPDATE sync_outbox SET json = ?, revision = revision + 1, user_id = ?, state = 'pending', problem = NULL WHERE seq = ?").run(json, userId, queued.seq);
    } else {
      db.prepare('INSERT INTO sync_outbox (resource_type, resource_id, patient_id, base_version, json, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        resourceType,
        id,
        patientId,
        baseVersion,
        json,
        userId,
        clock.now(),
      );
    }
  });
}

/** The resource without what only central sets (versionId, lastUpdated, source). */
export function withoutServerMeta<T extends { meta?: Record<string, unknown> | undefined }>(resource: T): T {
  if (!resource.meta) return resource;
  const { versionId: _v, lastUpdated: _l, source: _s, ...kept } = resource.meta;
  const copy = { ...resource };
  if (Object.keys(kept).length > 0) copy.meta = kept;
  else delete copy.meta;
  return copy;
}

/** Counts for the sync status. `held` includes changes central refused outright (flagged for IT). */
export function outboxCounts(db: Database): { pending: number; conflicts: number; held: number } {
  const rows = db.prepare('SELECT state, count(*) AS n FROM sync_outbox GROUP BY state').all() as { state: OutboxRow['state']; n: number }[];
  const of = (state: OutboxRow['state']) => rows.find((row) => row.state === state)?.n ?? 0;
  return { pending: of('pending'), conflicts: of('conflict'), held: of('held') };
}

/** The sync mark of each of a patient's queued resources ("type/id" → mark); absent means synced. */
export function syncMarksOf(db: Database, patientId: string): Map<string, SyncMark> {
  const rows = db.prepare('SELECT resource_type, resource_id, state FROM sync_outbox WHERE patient_id = ?').all(patientId) as Pick<
    OutboxRow,
    'resource_type' | 'resource_id' | 'state'
  >[];
  return new Map(rows.map((row) => [`${row.resource_type}/${row.resource_id}`, row.state === 'conflict' ? 'conflict' : 'pending']));
}

/** True when a resource has a local change waiting: a pull must not overwrite it with central's. */
export function queuedResourceIds(db: Database, resourceType: string): Set<string> {
  return new Set(db.prepare('SELECT resource_id FROM sync_outbox WHERE resource_type = ?').pluck().all(resourceType) as string[]);
}

/** Why a signed-out user's rows are held; they go back to pending when that user signs in again. */
export const HELD_SIGNED_OUT = 'signed out, and the sign-in can no longer be renewed';

/** The user signed in again: their held rows (held for want of a token) can go. */
export function releaseHeldOf(db: Database, userId: string): number {
  return db.prepare("UPDATE sync_outbox SET state = 'pending', problem = NULL WHERE user_id = ? AND state = 'held' AND problem = ?").run(userId, HELD_SIGNED_OUT).changes;
}

/** IT's decision (ws sync retry-held): every held change goes back to pending. */
export function retryHeld(db: Database): number {
  return durably(db, () => db.prepare("UPDATE sync_outbox SET state = 'pending', problem = NULL WHERE state = 'held'").run().changes);
}

/** Resources central sent that failed validation (type, id and rule only), for IT's status. */
export function syncDiagnosticsCount(db: Database): number {
  return db.prepare('SELECT count(*) FROM sync_diagnostics').pluck().get() as number;
}
