import { StoredResourceType } from '../../src-shared/fhir/index.ts';
import type { Logger } from '../log/logger.ts';
import type { Clock } from '../ports.ts';
import { deleteResource, storeResources } from '../records/repository.ts';
import type { Database } from '../vault/sqlcipher.ts';
import { fetchWithRetry, SyncHttpError, type HttpDeps } from './http.ts';
import { queuedResourceIds } from './outbox.ts';

/**
 * Incremental pull from the central FHIR API, one resource type at a time: search by the
 * server's `_lastUpdated` from the type's cursor minus an overlap window (many resources share a
 * millisecond, and a page may have been read while others were written at the same instant),
 * sorted, paged by the Bundle's next links. Every resource is validated before it is stored; an
 * invalid one is recorded in sync diagnostics and the rest go on. What was already stored at the
 * same version is skipped (the overlap brings it again). The new cursor is the newest
 * `meta.lastUpdated` the server sent, committed with the page that carried it. Deletes come from
 * the type's history (pullDeletes).
 */
/** Every type the cache keeps (the contract's list), pulled in that order. */
export const PULLED_TYPES: readonly StoredResourceType[] = StoredResourceType.options;
export type PulledType = StoredResourceType;

export interface PullOptions extends HttpDeps {
  db: Database;
  fhirBaseUrl: string;
  accessToken: string;
  clock: Clock;
  logger: Logger;
  pageSize?: number;
  /** How far before the cursor each pull starts again. */
  overlapMs?: number;
  types?: readonly PulledType[];
}

export interface PullResult {
  /** Resources stored (new or at a new version). */
  stored: number;
  /** Resources the server sent that were already stored at that version. */
  unchanged: number;
  /** Resources refused by validation (see sync_diagnostics). */
  rejected: number;
  pages: number;
}

interface Bundle {
  resourceType?: unknown;
  entry?: { resource?: unknown }[];
  link?: { relation?: unknown; url?: unknown }[];
}

const DEFAULT_OVERLAP_MS = 2_000;

/** Moves a cursor forward only (a page read late never moves it back). */
function cursorMover(db: Database) {
  return db.prepare<[string, string, number]>(
    `INSERT INTO sync_cursors (resource_type, last_updated, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (resource_type) DO UPDATE SET last_updated = excluded.last_updated, updated_at = excluded.updated_at
     WHERE excluded.last_updated > sync_cursors.last_updated`,
  );
}

function nextLink(bundle: Bundle, base: URL): string | null {
  const next = bundle.link?.find((link) => link.relation === 'next')?.url;
  if (typeof next !== 'string') return null;
  const url = new URL(next, base);
  // Follow only links on the same server: a Bundle cannot send the token elsewhere.
  return url.origin === base.origin ? url.href : null;
}

export async function pullType(options: PullOptions, type: PulledType): Promise<PullResult> {
  const { db } = options;
  const base = new URL(options.fhirBaseUrl.replace(/\/+$/, '') + '/');
  const cursorRow = db.prepare('SELECT last_updated FROM sync_cursors WHERE resource_type = ?').get(type) as { last_updated: string } | undefined;
  const from = cursorRow ? new Date(Date.parse(cursorRow.last_updated) - (options.overlapMs ?? DEFAULT_OVERLAP_MS)).toISOString() : null;
  const query = new URLSearchParams({ _sort: '_lastUpdated', _count: String(options.pageSize ?? 200) });
  if (from) query.set('_lastUpdated', `ge${from}`);
  let url: string | null = new URL(`${type}?${query}`, base).href;

  const versionOf = db.prepare('SELECT version_id FROM resources WHERE type = ? AND id = ?').pluck();
  // A resource with a local change waiting keeps it: its push meets central's version (412).
  const queued = queuedResourceIds(db, type);
  const setCursor = cursorMover(db);
  const diagnose = db.prepare('INSERT INTO sync_diagnostics (at, resource_type, resource_id, problem) VALUES (?, ?, ?, ?)');
  const result: PullResult = { stored: 0, unchanged: 0, rejected: 0, pages: 0 };

  while (url) {
    const response = await fetchWithRetry(url, { headers: { accept: 'application/fhir+json', authorization: `Bearer ${options.accessToken}` } }, options);
    if (!response.ok) {
      await response.body?.cancel();
      throw new SyncHttpError(`http-${response.status}`, `The central FHIR API refused the ${type} pull (HTTP ${response.status}).`, response.status);
    }
    let bundle: Bundle;
    try {
      bundle = (await response.json()) as Bundle;
    } catch {
      throw new SyncHttpError('malformed-response', `The central FHIR API sent a ${type} page that is not JSON.`);
    }
    if (bundle.resourceType !== 'Bundle') throw new SyncHttpError('malformed-response', `The central FHIR API sent a ${type} page that is not a Bundle.`);
    result.pages++;

    const fresh: unknown[] = [];
    let newest: string | null = null;
    for (const entry of bundle.entry ?? []) {
      const resource = entry.resource as { resourceType?: unknown; id?: unknown; meta?: { versionId?: unknown; lastUpdated?: unknown } } | undefined;
      if (!resource || resource.resourceType !== type) continue; // included or outcome entries: not this type's
      const lastUpdated = resource.meta?.lastUpdated;
      if (typeof lastUpdated === 'string' && !Number.isNaN(Date.parse(lastUpdated)) && (newest === null || Date.parse(lastUpdated) > Date.parse(newest))) newest = lastUpdated;
      if (typeof resource.id === 'string' && queued.has(resource.id)) {
        result.unchanged++;
        continue;
      }
      const stored = typeof resource.id === 'string' ? versionOf.get(type, resource.id) : undefined;
      if (stored !== undefined && stored !== null && stored === resource.meta?.versionId) {
        result.unchanged++;
        continue;
      }
      fresh.push(resource);
    }
    // The page's resources and the cursor it moves to, in one transaction.
    db.transaction(() => {
      const { stored, rejected } = storeResources(db, fresh);
      result.stored += stored;
      result.rejected += rejected.length;
      for (const bad of rejected) diagnose.run(options.clock.now(), bad.resourceType, bad.id, bad.issues.join('; ').slice(0, 1000));
      if (newest) setCursor.run(type, new Date(Date.parse(newest)).toISOString(), options.clock.now());
    })();
    url = nextLink(bundle, base);
  }
  options.logger.log(result.rejected > 0 ? 'warn' : 'info', 'sync.pulled', { reason: type, count: result.stored, status: result.rejected });
  return result;
}

/**
 * Deletes on the server since the last look, from the type's history (`_since`, with the same
 * overlap): each DELETE removes the local copy. The history cursor is the newest lastModified the
 * server reported; it starts at the search cursor (deletes before the first pull do not concern
 * this cache), so nothing is asked before something was pulled.
 */
export async function pullDeletes(options: PullOptions, type: PulledType): Promise<{ deleted: number }> {
  const { db } = options;
  const base = new URL(options.fhirBaseUrl.replace(/\/+$/, '') + '/');
  const cursorOf = db.prepare('SELECT last_updated FROM sync_cursors WHERE resource_type = ?').pluck();
  const since = (cursorOf.get(`history:${type}`) ?? cursorOf.get(type)) as string | undefined;
  if (since === undefined) return { deleted: 0 };
  const from = new Date(Date.parse(since) - (options.overlapMs ?? DEFAULT_OVERLAP_MS)).toISOString();
  let url: string | null = new URL(`${type}/_history?${new URLSearchParams({ _since: from, _count: String(options.pageSize ?? 200) })}`, base).href;
  const setCursor = cursorMover(db);
  let deleted = 0;
  while (url) {
    const response = await fetchWithRetry(url, { headers: { accept: 'application/fhir+json', authorization: `Bearer ${options.accessToken}` } }, options);
    if (!response.ok) {
      await response.body?.cancel();
      throw new SyncHttpError(`http-${response.status}`, `The central FHIR API refused the ${type} history (HTTP ${response.status}).`, response.status);
    }
    let bundle: Bundle & { entry?: { request?: { method?: unknown; url?: unknown }; response?: { lastModified?: unknown }; resource?: { meta?: { lastUpdated?: unknown } } }[] };
    try {
      bundle = (await response.json()) as typeof bundle;
    } catch {
      throw new SyncHttpError('malformed-response', `The central FHIR API sent a ${type} history page that is not JSON.`);
    }
    let newest: string | null = null;
    const gone: string[] = [];
    for (const entry of bundle.entry ?? []) {
      const at = entry.response?.lastModified ?? entry.resource?.meta?.lastUpdated;
      if (typeof at === 'string' && !Number.isNaN(Date.parse(at)) && (newest === null || Date.parse(at) > Date.parse(newest))) newest = at;
      const target = typeof entry.request?.url === 'string' ? /^([A-Za-z]+)\/([A-Za-z0-9.-]{1,64})$/.exec(entry.request.url) : null;
      if (entry.request?.method === 'DELETE' && target?.[1] === type && target[2]) gone.push(target[2]);
    }
    const queued = queuedResourceIds(db, type);
    db.transaction(() => {
      for (const id of gone) if (!queued.has(id) && deleteResource(db, type, id)) deleted++;
      if (newest) setCursor.run(`history:${type}`, new Date(Date.parse(newest)).toISOString(), options.clock.now());
    })();
    url = nextLink(bundle, base);
  }
  if (deleted > 0) options.logger.log('info', 'sync.deleted', { reason: type, count: deleted });
  return { deleted };
}

/** One pull of every type: its deletes, then its changes. */
export async function pullAll(options: PullOptions): Promise<Record<PulledType, PullResult & { deleted: number }>> {
  const results = {} as Record<PulledType, PullResult & { deleted: number }>;
  for (const type of options.types ?? PULLED_TYPES) {
    const { deleted } = await pullDeletes(options, type);
    results[type] = { ...(await pullType(options, type)), deleted };
  }
  return results;
}
