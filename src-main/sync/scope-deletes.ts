import { deleteResource, storedIdsOf } from '../records/index.ts';
import type { Database } from '../vault/index.ts';
import { readCentralResource } from './central-resource.ts';
import { queuedResourceIds } from './outbox-store.ts';
import { readPages, stopsOnlyTheSearch } from './pages.ts';
import { lastSweepAt, markSweepAt, recordTypeFailure } from './pull-store.ts';
import type { PullOptions, PulledType } from './pull.ts';
import { SCOPE_BATCH_SIZE, SCOPE_PARAMETER } from './scope.ts';

/**
 * Deletes at central of the scope's records (issue 15), without a type's whole history.
 *
 * Without a scope, deletes come from each type's `_history` (pull.ts pullDeletes). With one, that
 * history is every patient's: every version of every record central holds since the cursor, PHI
 * of patients this workstation must not receive (minimum necessary), and an unscoped search most
 * EHR APIs refuse. So a scoped type's deletes are found by listing what central holds of the
 * members, by the same searches as the pull (`<type>?patient=<100 ids>`, asking only for ids with
 * `_elements=id`), and comparing with what the cache holds of them. A record missing from the
 * list is read by itself before anything is removed: only a 404 or 410 for it removes it, so a
 * list that missed one (a page shifted by a write meanwhile, a server ignoring `_elements`) never
 * removes a record central still has. A record with a local change waiting is never removed (its
 * push meets central's delete). A list that failed or stopped at the page limit removes nothing.
 *
 * This costs one id listing of the scope per type, so it runs at most once every SWEEP_INTERVAL_MS
 * (sync_cursors key `sweep:<type>`, the time of the last full sweep), and at most
 * SWEEP_CONFIRM_MAX reads of missing records per type and sweep (the rest at the next).
 */
export const SWEEP_INTERVAL_MS = 6 * 3_600_000;
export const SWEEP_CONFIRM_MAX = 200;
const SWEEP_PAGE_SIZE = 1000;

const sweepKey = (type: PulledType) => `sweep:${type}`;

/** What the cache holds of these patients of this type. */
const cachedIdsOf = (db: Database, type: PulledType, patients: readonly string[]) =>
  patients.flatMap((patient) => storedIdsOf(db, type, patient));

/** The ids central lists for these patients; null when the list failed or was cut short. */
async function listedIds(
  options: PullOptions & { limits: NonNullable<PullOptions['limits']> },
  type: PulledType,
  patients: readonly string[],
): Promise<Set<string> | null> {
  const base = new URL(options.fhirBaseUrl.replace(/\/+$/, '') + '/');
  const query = new URLSearchParams({
    [SCOPE_PARAMETER[type]!]: patients.join(','),
    _elements: 'id',
    _count: String(SWEEP_PAGE_SIZE),
  });
  const ids = new Set<string>();
  let pages = 0;
  let lastHadNext = false;
  for await (const { bundle } of readPages(new URL(`${type}?${query}`, base).href, {
    ...options,
    what: `${type} delete sweep`,
  })) {
    pages++;
    lastHadNext = (bundle.link ?? []).some((link) => link.relation === 'next');
    for (const entry of bundle.entry ?? []) {
      const resource = entry.resource as { resourceType?: unknown; id?: unknown } | undefined;
      if (resource?.resourceType === type && typeof resource.id === 'string') ids.add(resource.id);
    }
  }
  return lastHadNext && pages >= options.limits.maxPages ? null : ids;
}

/**
 * One scoped type's delete sweep over these members, when due. Failures that concern this search
 * only are recorded (sync diagnostics, `sweep:<type>`) and leave the type as it is; central
 * unreachable or the token refused are thrown, as for any search of the round.
 */
export async function sweepScopedDeletes(
  options: PullOptions & { limits: NonNullable<PullOptions['limits']> },
  type: PulledType,
  members: readonly string[],
): Promise<{ deleted: number }> {
  const { db, clock } = options;
  const now = clock.now();
  const last = lastSweepAt(db, sweepKey(type));
  if (last === null) {
    // The first scoped round brought what the cache holds: nothing to compare yet.
    markSweepAt(db, sweepKey(type), now);
    return { deleted: 0 };
  }
  if (now - last < SWEEP_INTERVAL_MS && now >= last) return { deleted: 0 };
  const missing: string[] = [];
  try {
    for (let i = 0; i < members.length && missing.length < SWEEP_CONFIRM_MAX; i += SCOPE_BATCH_SIZE) {
      const batch = members.slice(i, i + SCOPE_BATCH_SIZE);
      const cached = cachedIdsOf(db, type, batch);
      if (cached.length === 0) continue;
      const listed = await listedIds(options, type, batch);
      if (listed === null) {
        recordTypeFailure(db, now, sweepKey(type), 'The delete sweep took more pages than one round reads.');
        return { deleted: 0 };
      }
      for (const id of cached) if (!listed.has(id)) missing.push(id);
    }
    let deleted = 0;
    for (const id of missing.slice(0, SWEEP_CONFIRM_MAX)) {
      const current = await readCentralResource(type, id, {
        ...options,
        maxResponseBytes: options.limits.maxResponseBytes,
      });
      if (current !== null) continue; // still at central: the list missed it
      const queued = queuedResourceIds(db, type);
      if (!queued.has(id) && deleteResource(db, type, id)) deleted++;
    }
    if (missing.length < SWEEP_CONFIRM_MAX) markSweepAt(db, sweepKey(type), now);
    if (deleted > 0) options.logger.log('info', 'sync.deleted', { reason: type, count: deleted });
    return { deleted };
  } catch (error) {
    if (!stopsOnlyTheSearch(error)) throw error;
    recordTypeFailure(db, now, sweepKey(type), error.message.slice(0, 1000));
    return { deleted: 0 };
  }
}
