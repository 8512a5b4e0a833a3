import type { SyncMark } from '../../src-shared/sync/status.ts';
import { patientIdOf, type FhirResource } from '../../src-shared/fhir/index.ts';
import type { Clock } from '../ports.ts';
import { readResource, storeResources } from '../records/index.ts';
import { durably, type Database } from '../vault/index.ts';
import { versionIdOf, type Json } from './central-reads.ts';
import {
  countsByState,
  insertQueued,
  queuedOfPatient,
  queuedRowOf,
  rebaseQueued,
  releaseAllHeld,
  releaseHeldFor,
  removeQueued,
  replaceQueuedContent,
  revisionOf,
  setAttempted,
  setHeld,
  type OutboxRow,
  type OutboxState,
} from './outbox-store.ts';
import { diagnosticsCount, recordDiagnostic } from './pull-store.ts';

/**
 * The outbox (PRODUCT.md capability 7): every local create or update is stored in the cache and
 * queued for central in one durable transaction, so a crash at any moment leaves both or neither.
 * A further edit of a resource already queued replaces the queued content (its revision moves on;
 * the version it was based on stays), so each resource has at most one change waiting and its
 * changes reach central in the order they were made. The push's bookkeeping is here too (a batch
 * marked attempted, a change settled or held); the SQL is outbox-store.ts's.
 */

export type { OutboxRow } from './outbox-store.ts';
export { pendingCountOf, queuedResourceIds } from './outbox-store.ts';

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
    const queued = queuedRowOf(db, resourceType, id);
    if (queued && queued.state === 'conflict')
      throw new OutboxError('CONFLICT_OPEN', 'This record has a sync conflict to resolve first.');
    const stored = readResource(db, resourceType, id);
    // An update needs central's version to base it on; a record that never came from central
    // (a bulk import) could otherwise overwrite central's blindly.
    if (!queued && stored && !stored.meta?.versionId)
      throw new OutboxError('INVALID', 'This record has not come from central yet; sync before changing it.');
    const local = withoutServerMeta(resource);
    const { rejected } = storeResources(db, [local]);
    if (rejected.length > 0)
      throw new OutboxError('INVALID', `The ${resourceType} is not valid: ${rejected[0]?.issues.join('; ')}`);
    const json = JSON.stringify(local);
    const patientId = patientIdOf(local);
    if (queued) replaceQueuedContent(db, queued.seq, json, userId);
    else
      insertQueued(db, {
        resourceType,
        resourceId: id,
        patientId,
        baseVersion: stored?.meta?.versionId ?? null,
        json,
        userId,
        createdAt: clock.now(),
      });
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

/** One durable commit for a batch of rows about to be pushed: from here on, any of them may reach central. */
export function markAttempted(db: Database, rows: readonly Pick<OutboxRow, 'seq'>[]): void {
  durably(db, () =>
    setAttempted(
      db,
      rows.map((row) => row.seq),
    ),
  );
}

/**
 * Central accepted a pushed change (`accepted`: the version it now holds): the row goes and the
 * local copy becomes central's version, in one transaction; an answer that fails validation is
 * recorded in the diagnostics instead. Edited again meanwhile, the row stays for the newer edit,
 * based now on central's version.
 */
export function settlePushed(db: Database, row: OutboxRow, accepted: Json, clock: Clock): void {
  db.transaction(() => {
    const revision = revisionOf(db, row.seq);
    if (revision === row.revision) {
      removeQueued(db, row.seq);
      const { rejected } = storeResources(db, [accepted]);
      if (rejected.length > 0) {
        recordDiagnostic(
          db,
          clock.now(),
          row.resource_type,
          row.resource_id,
          `central's answer to a push failed validation: ${rejected[0]?.issues.join('; ').slice(0, 900)}`,
        );
      }
    } else if (revision !== undefined) {
      rebaseQueued(db, row.seq, versionIdOf(accepted));
    }
  }).immediate();
}

/** A change that cannot go (no token for its user, or central refused it): kept, and flagged for IT. */
export function holdChange(db: Database, row: Pick<OutboxRow, 'seq'>, problem: string): void {
  durably(db, () => setHeld(db, row.seq, problem));
}

/** Counts for the sync status. `held` includes changes central refused outright (flagged for IT). */
/** When a pull last stored a page from central (epoch ms), or null when it never did. */
export function lastPullAt(db: Database): number | null {
  return (db.prepare('SELECT max(updated_at) FROM sync_cursors').pluck().get() as number | null) ?? null;
}

export function outboxCounts(db: Database): { pending: number; conflicts: number; held: number } {
  const rows = countsByState(db);
  const of = (state: OutboxState) => rows.find((row) => row.state === state)?.n ?? 0;
  return { pending: of('pending'), conflicts: of('conflict'), held: of('held') };
}

/** The sync mark of each of a patient's queued resources ("type/id" → mark); absent means synced. */
export function syncMarksOf(db: Database, patientId: string): Map<string, SyncMark> {
  const rows = queuedOfPatient(db, patientId);
  return new Map(
    rows.map((row) => [`${row.resource_type}/${row.resource_id}`, row.state === 'conflict' ? 'conflict' : 'pending']),
  );
}

/** Why a signed-out user's rows are held; they go back to pending when that user signs in again. */
export const HELD_SIGNED_OUT = 'signed out, and the sign-in can no longer be renewed';

/** The user signed in again: their held rows (held for want of a token) can go. */
export function releaseHeldOf(db: Database, userId: string): number {
  return releaseHeldFor(db, userId, HELD_SIGNED_OUT);
}

/** IT's decision (ws sync retry-held): every held change goes back to pending. */
export function retryHeld(db: Database): number {
  return durably(db, () => releaseAllHeld(db));
}

/** Resources central sent that failed validation (type, id and rule only), for IT's status. */
export function syncDiagnosticsCount(db: Database): number {
  return diagnosticsCount(db);
}
