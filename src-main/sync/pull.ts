import { StoredResourceType } from '../../src-shared/fhir/index.ts';
import type { Logger } from '../log/index.ts';
import type { Clock } from '../ports.ts';
import type { PreparedResource, RejectedResource } from '../../src-shared/fhir/prepare.ts';
import { deleteResource, storePrepared, storedVersionOf } from '../records/index.ts';
import { enterRollbackJournal, type Database } from '../vault/index.ts';
import type { HttpDeps } from './http.ts';
import { startPageReader, type PageReader, type SearchFailure } from './page-reader.ts';
import { preparePage, readPages, stopsOnlyTheSearch, type PageLimits, type PreparedPage } from './pages.ts';
import { queuedResourceIds } from './outbox-store.ts';
import {
  cursorCount,
  cursorMover,
  cursorReader,
  diagnosticRecorder,
  hasCursor,
  recordTypeFailure,
} from './pull-store.ts';
import { CentralPolicy, type Policy } from '../../src-shared/policy/schema.ts';

/**
 * Incremental pull from the central FHIR API, one resource type at a time: search by the
 * server's `_lastUpdated` from the type's cursor minus an overlap window (many resources share a
 * millisecond, and a page may have been read while others were written at the same instant),
 * sorted, paged by the Bundle's next links. Every resource is validated before it is stored; an
 * invalid one is recorded in sync diagnostics and the rest go on. What was already stored at the
 * same version is skipped (the overlap brings it again), and so is a resource with a local change
 * waiting (its push meets central's version). The new cursor is the newest `meta.lastUpdated` the
 * server sent, committed with the resources that carried it, never past central's own clock (a
 * resource dated in the future is stored and recorded, but does not move the cursor). Deletes come
 * from the type's history (pullDeletes). What central sends is bounded (PageLimits): a type whose
 * read fails alone (too large, cyclic paging, refused) is recorded and the other types go on.
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
  /**
   * Read the pages in a worker thread (page-worker.ts), so central keeps sending while this
   * thread stores: what the sync engine does. Off, pages are read here (tests inject fetch).
   */
  inWorker?: boolean;
  /** Policy central.tlsPins, for the worker's own connections. */
  tlsPins?: readonly string[];
  /** What central may send (policy central.maxResponseMiB...); the policy's defaults unless told. */
  limits?: PageLimits;
}

/** Bytes and pages from the policy's MiB and page counts. */
export function pageLimitsOf(
  central: Pick<
    NonNullable<Policy['central']>,
    'maxResponseMiB' | 'maxResourceMiB' | 'maxPagesPerType' | 'maxAttachmentKiB'
  >,
): PageLimits {
  return {
    maxResponseBytes: central.maxResponseMiB * 1048576,
    maxResourceBytes: central.maxResourceMiB * 1048576,
    maxPages: central.maxPagesPerType,
    maxAttachmentBytes: central.maxAttachmentKiB * 1024,
  };
}

export const DEFAULT_PAGE_LIMITS: PageLimits = pageLimitsOf({
  maxResponseMiB: CentralPolicy.shape.maxResponseMiB.parse(undefined),
  maxResourceMiB: CentralPolicy.shape.maxResourceMiB.parse(undefined),
  maxPagesPerType: CentralPolicy.shape.maxPagesPerType.parse(undefined),
  maxAttachmentKiB: CentralPolicy.shape.maxAttachmentKiB.parse(undefined),
});

export interface PullResult {
  /** Resources stored (new or at a new version). */
  stored: number;
  /** Resources the server sent that were already stored at that version. */
  unchanged: number;
  /** Resources refused by validation or size (see sync_diagnostics). */
  rejected: number;
  pages: number;
  /** Why this type's read stopped before its end (recorded in sync_diagnostics), or null. */
  failed: string | null;
}

const DEFAULT_OVERLAP_MS = 2_000;
/** Resources per page asked of central: fewer round trips, pages of a few hundred kilobytes. */
export const PULL_PAGE_SIZE = 500;
/** Resources stored per transaction: larger groups commit less often, but block the core longer. */
export const PULL_COMMIT_SIZE = 5_000;
/** SQLite's page cache during a pull (negative: KiB), 32 MiB. */
const PULL_CACHE_SIZE = -32_768;

/** The search of a type from its cursor (minus the overlap), sorted by central's lastUpdated. */
function searchUrl(options: PullOptions, type: PulledType): string {
  const base = new URL(options.fhirBaseUrl.replace(/\/+$/, '') + '/');
  const cursor = cursorReader(options.db)(type);
  const query = new URLSearchParams({ _sort: '_lastUpdated', _count: String(options.pageSize ?? PULL_PAGE_SIZE) });
  if (cursor)
    query.set(
      '_lastUpdated',
      `ge${new Date(Date.parse(cursor) - (options.overlapMs ?? DEFAULT_OVERLAP_MS)).toISOString()}`,
    );
  return new URL(`${type}?${query}`, base).href;
}

/**
 * Where one type's validated pages go: skipped when already stored at that version or when a
 * local change waits, else stored in groups of about PULL_COMMIT_SIZE resources, each group in one
 * transaction with the cursor it reaches (with SQLCipher every commit re-encrypts the pages it
 * touched, so fewer, larger commits do far less work).
 */
function typeSink(options: PullOptions, type: PulledType) {
  const { db } = options;
  // Before a type's first pull nothing here has central's version: no lookup can skip anything.
  const firstOfType = !hasCursor(db, type);
  // A resource with a local change waiting keeps it: its push meets central's version (412).
  const queued = queuedResourceIds(db, type);
  const setCursor = cursorMover(db);
  const diagnose = diagnosticRecorder(db);
  const result: PullResult = { stored: 0, unchanged: 0, rejected: 0, pages: 0, failed: null };
  let future: Set<string> = new Set();
  let group: PreparedResource[] = [];
  let rejected: Omit<RejectedResource, 'index'>[] = [];
  let groupNewest: string | null = null;

  const commitGroup = () => {
    const resources = group;
    const refused = rejected;
    const newest = groupNewest;
    const ahead = future;
    group = [];
    rejected = [];
    groupNewest = null;
    future = new Set();
    db.transaction(() => {
      result.stored += storePrepared(db, resources);
      result.rejected += refused.length;
      for (const bad of refused)
        diagnose(options.clock.now(), bad.resourceType, bad.id, bad.issues.join('; ').slice(0, 1000));
      // Recorded when stored (a new version), not each time the overlap brings it again.
      for (const resource of resources)
        if (ahead.has(resource.id))
          diagnose(options.clock.now(), type, resource.id, "meta.lastUpdated: after central's own clock");
      if (newest) setCursor(type, new Date(Date.parse(newest)).toISOString(), options.clock.now());
    }).immediate();
  };

  return {
    add(page: PreparedPage): void {
      result.pages++;
      if (page.newest !== null && (groupNewest === null || Date.parse(page.newest) > Date.parse(groupNewest)))
        groupNewest = page.newest;
      for (const outcome of page.prepared) {
        if (!outcome.ok) {
          rejected.push(outcome.rejected);
          continue;
        }
        const resource = outcome.resource;
        if (
          queued.has(resource.id) ||
          (!firstOfType && resource.versionId !== null && storedVersionOf(db, type, resource.id) === resource.versionId)
        ) {
          result.unchanged++;
          continue;
        }
        group.push(resource);
      }
      for (const id of page.future) future.add(id);
      if (group.length >= PULL_COMMIT_SIZE) commitGroup();
    },
    /** The type's read stopped: what was read is kept, the failure recorded once per problem. */
    fail(failure: Pick<SearchFailure, 'message'>): void {
      result.failed = failure.message;
      recordTypeFailure(db, options.clock.now(), type, failure.message.slice(0, 1000));
    },
    finish(): PullResult {
      if (group.length > 0 || rejected.length > 0 || groupNewest !== null) commitGroup();
      options.logger.log(result.rejected > 0 ? 'warn' : 'info', 'sync.pulled', {
        reason: type,
        count: result.stored,
        status: result.rejected,
      });
      return result;
    },
  };
}

function pageJob(options: PullOptions, types: readonly PulledType[]) {
  return {
    searches: types.map((type) => ({ url: searchUrl(options, type), type, what: `${type} pull` })),
    accessToken: options.accessToken,
    allowLoopbackHttp: options.allowLoopbackHttp,
    tlsPins: options.tlsPins ?? [],
    ...(options.retry ? { retry: options.retry } : {}),
  };
}

function readOptions(options: PullOptions, what: string, sortedByLastUpdated = false) {
  return { ...options, what, limits: options.limits ?? DEFAULT_PAGE_LIMITS, sortedByLastUpdated };
}

/** One type's pull: its pages read here, or by the page worker when a reader is given. */
export async function pullType(options: PullOptions, type: PulledType, reader?: PageReader): Promise<PullResult> {
  const sink = typeSink(options, type);
  const limits = options.limits ?? DEFAULT_PAGE_LIMITS;
  if (reader) {
    for await (const item of reader.read(pageJob(options, [type]))) {
      if ('page' in item) sink.add(item.page);
      if ('failed' in item) sink.fail(item.failed);
    }
  } else {
    try {
      for await (const page of readPages(searchUrl(options, type), readOptions(options, `${type} pull`, true)))
        sink.add(preparePage(page, type, limits));
    } catch (error) {
      if (!stopsOnlyTheSearch(error)) throw error;
      sink.fail(error);
    }
  }
  return sink.finish();
}

/**
 * Deletes on the server since the last look, from the type's history (`_since`, with the same
 * overlap): each DELETE removes the local copy. The history cursor is the newest lastModified the
 * server reported; it starts at the search cursor (deletes before the first pull do not concern
 * this cache), so nothing is asked before something was pulled.
 */
export async function pullDeletes(options: PullOptions, type: PulledType): Promise<{ deleted: number }> {
  try {
    return await readDeletes(options, type);
  } catch (error) {
    if (!stopsOnlyTheSearch(error)) throw error;
    recordTypeFailure(options.db, options.clock.now(), `history:${type}`, error.message.slice(0, 1000));
    return { deleted: 0 };
  }
}

async function readDeletes(options: PullOptions, type: PulledType): Promise<{ deleted: number }> {
  const { db } = options;
  const base = new URL(options.fhirBaseUrl.replace(/\/+$/, '') + '/');
  const cursorOf = cursorReader(db);
  const since = cursorOf(`history:${type}`) ?? cursorOf(type);
  if (since === undefined) return { deleted: 0 };
  const from = new Date(Date.parse(since) - (options.overlapMs ?? DEFAULT_OVERLAP_MS)).toISOString();
  const url = new URL(
    `${type}/_history?${new URLSearchParams({ _since: from, _count: String(options.pageSize ?? PULL_PAGE_SIZE) })}`,
    base,
  ).href;
  const setCursor = cursorMover(db);
  let deleted = 0;
  for await (const { bundle } of readPages(url, readOptions(options, `${type} history`))) {
    let newest: string | null = null;
    const gone: string[] = [];
    for (const entry of bundle.entry ?? []) {
      const at =
        entry.response?.lastModified ??
        (entry.resource as { meta?: { lastUpdated?: unknown } } | undefined)?.meta?.lastUpdated;
      if (
        typeof at === 'string' &&
        !Number.isNaN(Date.parse(at)) &&
        (newest === null || Date.parse(at) > Date.parse(newest))
      )
        newest = at;
      const target =
        typeof entry.request?.url === 'string' ? /^([A-Za-z]+)\/([A-Za-z0-9.-]{1,64})$/.exec(entry.request.url) : null;
      if (entry.request?.method === 'DELETE' && target?.[1] === type && target[2]) gone.push(target[2]);
    }
    const queued = queuedResourceIds(db, type);
    db.transaction(() => {
      for (const id of gone) if (!queued.has(id) && deleteResource(db, type, id)) deleted++;
      if (newest) setCursor(`history:${type}`, new Date(Date.parse(newest)).toISOString(), options.clock.now());
    }).immediate();
  }
  if (deleted > 0) options.logger.log('info', 'sync.deleted', { reason: type, count: deleted });
  return { deleted };
}

/** One pull of every type: the deletes, then the changes. */
export async function pullAll(options: PullOptions): Promise<Record<PulledType, PullResult & { deleted: number }>> {
  const results = {} as Record<PulledType, PullResult & { deleted: number }>;
  const reader = options.inWorker ? startPageReader(options.limits ?? DEFAULT_PAGE_LIMITS) : undefined;
  // A pull writes far more than anyone reads back soon: a smaller page cache meanwhile keeps the
  // pages it wrote from taking the memory the chart's reads are given.
  const cacheSize = options.db.pragma('cache_size', { simple: true }) as number;
  options.db.pragma(`cache_size = ${PULL_CACHE_SIZE}`);
  // The first pull of a clinic is a bulk write: through the rollback journal, which encrypts each
  // page once instead of twice (WAL frame, then checkpoint). Later pulls are small: WAL.
  const firstPull = cursorCount(options.db) === 0;
  const backToWal = firstPull ? enterRollbackJournal(options.db) : null;
  try {
    const types = options.types ?? PULLED_TYPES;
    // Deletes first (small, read here), then every type's changes.
    const deleted = new Map<PulledType, number>();
    for (const type of types) deleted.set(type, (await pullDeletes(options, type)).deleted);
    if (reader) {
      // One stream for all types: the worker reads the next type while this thread stores the last.
      const sinks = types.map((type) => typeSink(options, type));
      for await (const item of reader.read(pageJob(options, types))) {
        const sink = sinks[item.index]!;
        if ('page' in item) {
          sink.add(item.page);
          continue;
        }
        if ('failed' in item) sink.fail(item.failed); // the type ends here; the next goes on
        results[types[item.index]!] = { ...sink.finish(), deleted: deleted.get(types[item.index]!) ?? 0 };
      }
    } else {
      for (const type of types) results[type] = { ...(await pullType(options, type)), deleted: deleted.get(type) ?? 0 };
    }
  } finally {
    backToWal?.();
    options.db.pragma(`cache_size = ${cacheSize}`);
    await reader?.close();
  }
  return results;
}
