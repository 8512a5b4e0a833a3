import { StoredResourceType } from '../../src-shared/fhir/index.ts';
import type { Logger } from '../log/index.ts';
import type { Clock } from '../ports.ts';
import type { PreparedResource, RejectedResource } from '../../src-shared/fhir/prepare.ts';
import { deleteResource, recordScopeMembers, storePrepared, storedVersionOf } from '../records/index.ts';
import { enterRollbackJournal, type Database } from '../vault/index.ts';
import type { HttpDeps } from './http.ts';
import { startPageReader, type PageReader, type SearchFailure } from './page-reader.ts';
import { preparePage, readPages, stopsOnlyTheSearch, type PageLimits, type PreparedPage } from './pages.ts';
import { queuedResourceIds } from './outbox-store.ts';
import {
  cursorCount,
  cursorMover,
  cursorReader,
  cursorsUnder,
  diagnosticRecorder,
  hasCursor,
  oldestCursorUnder,
  recordTypeFailure,
} from './pull-store.ts';
import { CentralPolicy, type CacheScope, type Policy } from '../../src-shared/policy/schema.ts';
import { planBatches, readScopeMembers, SCOPE_PARAMETER, scopeCursorPrefix, type ScopeBatch } from './scope.ts';
import { sweepScopedDeletes } from './scope-deletes.ts';
import { ExportRefused, offersGroupExport, runGroupExport } from './bulk-export.ts';

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
 * from the type's history (pullDeletes); with a cache scope, a scoped type's from a sweep of its
 * members' records (scope-deletes.ts). What central sends is bounded (PageLimits): a type whose
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
   * thread stores: one started for this pull, unless `reader` is given. Off, and no reader, pages
   * are read here (tests inject fetch).
   */
  inWorker?: boolean;
  /**
   * The page worker to read with, kept by the caller across pulls (the sync engine's, started
   * before its first pull and not closed here); it must be usable and have these `limits`.
   */
  reader?: PageReader;
  /** Policy central.tlsPins, for the worker's own connections. */
  tlsPins?: readonly string[];
  /** What central may send (policy central.maxResponseMiB...); the policy's defaults unless told. */
  limits?: PageLimits;
  /** Which patients the cache keeps (policy cache.scope): every patient unless told (scope.ts). */
  scope?: CacheScope;
  /**
   * With a Group scope, use FHIR Bulk Data's Group export where central's CapabilityStatement
   * offers it (bulk-export.ts); on unless told.
   */
  bulkExport?: boolean;
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

/**
 * The search of a type from its cursor (minus the overlap), sorted by central's lastUpdated; with
 * `patients`, only theirs (a scoped batch, scope.ts) from the cursor given.
 */
function searchUrl(
  options: PullOptions,
  type: PulledType,
  batch?: { patients: readonly string[]; from: string | undefined },
): string {
  const base = new URL(options.fhirBaseUrl.replace(/\/+$/, '') + '/');
  const cursor = batch ? batch.from : cursorReader(options.db)(type);
  const query = new URLSearchParams({ _sort: '_lastUpdated', _count: String(options.pageSize ?? PULL_PAGE_SIZE) });
  if (batch) query.set(SCOPE_PARAMETER[type] ?? 'patient', batch.patients.join(','));
  if (cursor)
    query.set(
      '_lastUpdated',
      `ge${new Date(Date.parse(cursor) - (options.overlapMs ?? DEFAULT_OVERLAP_MS)).toISOString()}`,
    );
  return new URL(`${type}?${query}`, base).href;
}

/** Where a search's cursor is kept: the type's own, or a scoped batch's members' (scope.ts). */
interface CursorTarget {
  /** Nothing this search brings can be stored already (no lookups needed). */
  first: boolean;
  /** Moves the cursor to the newest lastUpdated committed (in the commit's transaction). */
  move(lastUpdated: string, at: number): void;
  /** Whether a resource the search brought belongs to it. */
  accepts(resource: PreparedResource): boolean;
  /** The search read to its end found nothing: central's clock then (scoped batches only). */
  nothingFound?(centralNow: string, at: number): void;
}

function typeCursor(db: Database, type: PulledType): CursorTarget {
  const setCursor = cursorMover(db);
  return { first: !hasCursor(db, type), move: (to, at) => setCursor(type, to, at), accepts: () => true };
}

/** A scoped batch's cursor: each member's own, all moved together (scope.ts). */
function batchCursor(db: Database, type: PulledType, batch: ScopeBatch): CursorTarget {
  const setCursor = cursorMover(db);
  const prefix = scopeCursorPrefix(type);
  const patients = new Set(batch.patients);
  const moveAll = (to: string, at: number) => {
    for (const id of batch.patients) setCursor(prefix + id, to, at);
  };
  return {
    // A batch mixing new members with others (or after an unscoped pull, when cache.scope was
    // "all") may bring what is stored already: looked up, so it is not stored again.
    first: batch.fresh && !hasCursor(db, type),
    move: moveAll,
    accepts: (resource) => resource.patientId !== null && patients.has(resource.patientId),
    nothingFound: moveAll,
  };
}

/**
 * The writes of several searches in one transaction, about PULL_COMMIT_SIZE resources at a time.
 * A scoped pull makes hundreds of small searches (a batch of 100 patients' allergies is one page):
 * a commit each, every commit syncing the rollback journal and the database file, kept the core's
 * thread in COMMIT for 4.5 s of a 7.8 s first pull of 5,000 patients (0.7 s and 6.4 s this way). Each search's group keeps its cursor in the transaction
 * its resources are in, so a crash loses whole groups with their cursors, never one without the
 * other. The searches it serves are about different resources (other types, or other patients'),
 * so none needs to see another's uncommitted rows.
 */
export interface CommitQueue {
  /** A group's write, run in the next commit; `resources` counts towards its size. */
  add(write: () => void, resources: number): void;
  /** Runs after the commit that carries every write added so far. */
  afterCommit(then: () => void): void;
  /** Commits what is waiting (if anything), then runs what waited for it. */
  flush(): void;
}

export function commitQueue(db: Database, size = PULL_COMMIT_SIZE): CommitQueue {
  let writes: (() => void)[] = [];
  let after: (() => void)[] = [];
  let count = 0;
  const queue: CommitQueue = {
    add(write, resources) {
      writes.push(write);
      count += resources;
      if (count >= size) queue.flush();
    },
    afterCommit(then) {
      if (writes.length === 0) then();
      else after.push(then);
    },
    flush() {
      const pending = writes;
      const waiting = after;
      writes = [];
      after = [];
      count = 0;
      if (pending.length > 0)
        db.transaction(() => {
          for (const write of pending) write();
        }).immediate();
      for (const then of waiting) then();
    },
  };
  return queue;
}

/**
 * Where one type's validated pages go: skipped when already stored at that version or when a
 * local change waits, else stored in groups of about PULL_COMMIT_SIZE resources, each group in one
 * transaction with the cursor it reaches (with SQLCipher every commit re-encrypts the pages it
 * touched, so fewer, larger commits do far less work). With `commits`, the groups of several
 * searches share transactions (CommitQueue), and the result's counts are complete once it has
 * flushed; without, each group commits at once.
 */
function typeSink(
  options: PullOptions,
  type: PulledType,
  target: CursorTarget = typeCursor(options.db, type),
  commits?: CommitQueue,
) {
  const { db } = options;
  // Before a type's first pull nothing here has central's version: no lookup can skip anything.
  const firstOfType = target.first;
  // A resource with a local change waiting keeps it: its push meets central's version (412).
  const queued = queuedResourceIds(db, type);
  const diagnose = diagnosticRecorder(db);
  let foundAny = false;
  let centralNow: number | null = null;
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
    const write = () => {
      result.stored += storePrepared(db, resources);
      result.rejected += refused.length;
      for (const bad of refused)
        diagnose(options.clock.now(), bad.resourceType, bad.id, bad.issues.join('; ').slice(0, 1000));
      // Recorded when stored (a new version), not each time the overlap brings it again.
      for (const resource of resources)
        if (ahead.has(resource.id))
          diagnose(options.clock.now(), type, resource.id, "meta.lastUpdated: after central's own clock");
      if (newest) target.move(new Date(Date.parse(newest)).toISOString(), options.clock.now());
    };
    if (commits) commits.add(write, resources.length);
    else db.transaction(write).immediate();
  };

  return {
    add(page: PreparedPage): void {
      result.pages++;
      centralNow ??= page.centralNow;
      if (page.prepared.length > 0) foundAny = true;
      if (page.newest !== null && (groupNewest === null || Date.parse(page.newest) > Date.parse(groupNewest)))
        groupNewest = page.newest;
      for (const outcome of page.prepared) {
        if (!outcome.ok) {
          rejected.push(outcome.rejected);
          continue;
        }
        const resource = outcome.resource;
        // A scoped search's answer about another patient is not stored: central is not trusted.
        if (!target.accepts(resource)) {
          rejected.push({
            resourceType: resource.type,
            id: resource.id,
            issues: ['(root): not a record of the patients searched (cache.scope)'],
          });
          continue;
        }
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
      // Read to its end and nothing there: nothing of these is older than central's clock then.
      if (!foundAny && result.failed === null && result.pages > 0 && centralNow !== null && target.nothingFound) {
        const at = new Date(centralNow).toISOString();
        const write = () => target.nothingFound!(at, options.clock.now());
        if (commits) commits.add(write, 0);
        else db.transaction(write).immediate();
      }
      const log = () =>
        options.logger.log(result.rejected > 0 ? 'warn' : 'info', 'sync.pulled', {
          reason: type,
          count: result.stored,
          status: result.rejected,
        });
      if (commits) commits.afterCommit(log);
      else log();
      return result;
    },
  };
}

function pageJob(options: PullOptions, searches: readonly PullSearch[]) {
  return {
    searches: searches.map(({ url, type }) => ({ url, type, what: `${type} pull` })),
    accessToken: options.accessToken,
    allowLoopbackHttp: options.allowLoopbackHttp,
    tlsPins: options.tlsPins ?? [],
    ...(options.retry ? { retry: options.retry } : {}),
  };
}

function readOptions(options: PullOptions, what: string, sortedByLastUpdated = false) {
  return { ...options, what, limits: options.limits ?? DEFAULT_PAGE_LIMITS, sortedByLastUpdated };
}

/** One type's pull (unscoped): its pages read here, or by the page worker when a reader is given. */
export async function pullType(options: PullOptions, type: PulledType, reader?: PageReader): Promise<PullResult> {
  const search = { type, url: searchUrl(options, type) };
  if (!reader) return pullSearch(options, search);
  const sink = typeSink(options, type);
  for await (const item of reader.read(pageJob(options, [search]))) {
    if ('page' in item) sink.add(item.page);
    if ('failed' in item) sink.fail(item.failed);
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
  // A scoped type has no cursor of its own: its deletes start at its oldest member's (scope.ts).
  const since = cursorOf(`history:${type}`) ?? cursorOf(type) ?? oldestCursorUnder(db, scopeCursorPrefix(type));
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

/** One search of a pull: a type's (unscoped), or one batch of its member patients' (scope.ts). */
interface PullSearch {
  type: PulledType;
  url: string;
  target?: CursorTarget;
}

const emptyResult = (): PullResult => ({ stored: 0, unchanged: 0, rejected: 0, pages: 0, failed: null });

/** A type's result over its searches (a scoped type has one per batch). */
function addResult(into: PullResult, from: PullResult): PullResult {
  return {
    stored: into.stored + from.stored,
    unchanged: into.unchanged + from.unchanged,
    rejected: into.rejected + from.rejected,
    pages: into.pages + from.pages,
    failed: into.failed ?? from.failed,
  };
}

/**
 * The round's searches. Without a scope, one per type from its cursor. With a scope, its members
 * first (scope.ts: a Group's, care teams', an Organization's or a Location's), then the staff
 * types whole and each patient type in batches of members; when the members cannot be read, the
 * patient types are left as they are this round, their result failed with why (recorded in sync
 * diagnostics like a type's failed read).
 */
async function planSearches(
  options: PullOptions,
  types: readonly PulledType[],
): Promise<{
  searches: PullSearch[];
  failed: Map<PulledType, string>;
  members: string[] | null;
  exportPlan: ExportPlan | null;
}> {
  const failed = new Map<PulledType, string>();
  const scope = options.scope;
  if (!scope || scope.kind === 'all')
    return {
      searches: types.map((type) => ({ type, url: searchUrl(options, type) })),
      failed,
      members: null,
      exportPlan: null,
    };
  const scoped = types.filter((type) => SCOPE_PARAMETER[type] !== null);
  const searches: PullSearch[] = types
    .filter((type) => SCOPE_PARAMETER[type] === null)
    .map((type) => ({ type, url: searchUrl(options, type) }));
  if (scoped.length === 0) return { searches, failed, members: null, exportPlan: null };
  const read = await readScopeMembers(scope, { ...options, limits: options.limits ?? DEFAULT_PAGE_LIMITS });
  if (!read.ok) {
    for (const type of scoped) {
      failed.set(type, read.problem);
      recordTypeFailure(options.db, options.clock.now(), `scope:${type}`, read.problem.slice(0, 1000));
    }
    return { searches, failed, members: null, exportPlan: null };
  }
  // Who is in scope as of now, for retention (sync/retention.ts): recorded when read, before
  // their searches, so a round that stops halfway still knows who left.
  recordScopeMembers(options.db, read.members, options.clock.now());
  const exportPlan =
    scope.kind === 'group' && options.bulkExport !== false && (await offersGroupExport(exportOptionsOf(options)))
      ? planExport(options, scope.group, scoped, read.members)
      : null;
  const searched = exportPlan ? read.members.filter((id) => !exportPlan.members.has(id)) : read.members;
  searches.push(...scopedSearches(options, scoped, searched));
  return { searches, failed, members: read.members, exportPlan };
}

/** The scoped types' searches of these members, in batches (scope.ts). */
function scopedSearches(options: PullOptions, types: readonly PulledType[], members: readonly string[]): PullSearch[] {
  return types.flatMap((type) =>
    planBatches(options.db, type, members).map((batch) => ({
      type,
      url: searchUrl(options, type, batch),
      target: batchCursor(options.db, type, batch),
    })),
  );
}

/** A Group export in the round: of which members, which types, since when (bulk-export.ts). */
interface ExportPlan {
  group: string;
  types: readonly PulledType[];
  members: Set<string>;
  since: string | undefined;
}

/**
 * Who the Group export brings: before the scope's first pull (no member has a cursor), every
 * member, everything; after, the members read before (a cursor for every scoped type), what
 * changed since the oldest of their cursors (minus the overlap). Members new to the Group are
 * searched as without an export: an export since a time would not bring their older records.
 */
function planExport(
  options: PullOptions,
  group: string,
  types: readonly PulledType[],
  members: readonly string[],
): ExportPlan {
  const cursors = types.map((type) => cursorsUnder(options.db, scopeCursorPrefix(type)));
  const known = members.filter((id) => cursors.every((of) => of.has(id)));
  if (known.length === 0) return { group, types, members: new Set(members), since: undefined };
  let oldest: string | undefined;
  for (const id of known)
    for (const of of cursors) if (oldest === undefined || of.get(id)! < oldest) oldest = of.get(id)!;
  const since = new Date(Date.parse(oldest!) - (options.overlapMs ?? DEFAULT_OVERLAP_MS)).toISOString();
  return { group, types, members: new Set(known), since };
}

function exportOptionsOf(options: PullOptions) {
  return { ...options, limits: options.limits ?? DEFAULT_PAGE_LIMITS };
}

/**
 * The round's Group export: its files' resources through each type's sink (validated, skipped
 * when stored at that version or when a local change waits, refused when about someone else),
 * then every exported member's cursors moved to central's transactionTime, in one transaction,
 * only once every file was read. Refused by central (or unreadable), its members are searched as
 * without an export this round, and why is recorded (sync diagnostics, `export:Group`).
 */
async function pullExport(options: PullOptions, plan: ExportPlan): Promise<Map<PulledType, PullResult>> {
  const { db } = options;
  const sinks = new Map(
    plan.types.map((type) => [
      type,
      typeSink(options, type, {
        first: false,
        move: () => undefined,
        accepts: (resource) => resource.patientId !== null && plan.members.has(resource.patientId),
      }),
    ]),
  );
  try {
    const { transactionTime } = await runGroupExport(
      exportOptionsOf(options),
      plan.group,
      plan.types,
      plan.since,
      (type, page) => sinks.get(type as PulledType)?.add(page),
    );
    const results = new Map([...sinks].map(([type, sink]) => [type, sink.finish()]));
    const setCursor = cursorMover(db);
    const at = new Date(Date.parse(transactionTime)).toISOString();
    db.transaction(() => {
      for (const type of plan.types)
        for (const id of plan.members) setCursor(scopeCursorPrefix(type) + id, at, options.clock.now());
    }).immediate();
    return results;
  } catch (error) {
    if (!(error instanceof ExportRefused) && !stopsOnlyTheSearch(error)) throw error;
    recordTypeFailure(db, options.clock.now(), 'export:Group', error.message.slice(0, 1000));
    const results = new Map<PulledType, PullResult>();
    for (const search of scopedSearches(options, plan.types, [...plan.members].sort()))
      results.set(search.type, addResult(results.get(search.type) ?? emptyResult(), await pullSearch(options, search)));
    return results;
  }
}

/** One pull of every type: the deletes, then the changes (of the scope's patients, scope.ts). */
export async function pullAll(options: PullOptions): Promise<Record<PulledType, PullResult & { deleted: number }>> {
  const types = options.types ?? PULLED_TYPES;
  const totals = new Map<PulledType, PullResult>(types.map((type) => [type, emptyResult()]));
  const own = !options.reader && options.inWorker ? startPageReader(options.limits ?? DEFAULT_PAGE_LIMITS) : undefined;
  const reader = options.reader ?? own;
  // A pull writes far more than anyone reads back soon: a smaller page cache meanwhile keeps the
  // pages it wrote from taking the memory the chart's reads are given.
  const cacheSize = options.db.pragma('cache_size', { simple: true }) as number;
  options.db.pragma(`cache_size = ${PULL_CACHE_SIZE}`);
  // The first pull of a clinic is a bulk write: through the rollback journal, which encrypts each
  // page once instead of twice (WAL frame, then checkpoint). Later pulls are small: WAL.
  const firstPull = cursorCount(options.db) === 0;
  const backToWal = firstPull ? enterRollbackJournal(options.db) : null;
  const deleted = new Map<PulledType, number>();
  try {
    const { searches, failed, members, exportPlan } = await planSearches(options, types);
    for (const [type, problem] of failed) totals.set(type, { ...emptyResult(), failed: problem });
    // Deletes first (small, read here), then every type's changes. With a scope, a scoped type's
    // history is everyone's: its deletes come from the sweep of its members after its changes.
    const scoped = (type: PulledType) =>
      options.scope !== undefined && options.scope.kind !== 'all' && SCOPE_PARAMETER[type] !== null;
    for (const type of types) if (!scoped(type)) deleted.set(type, (await pullDeletes(options, type)).deleted);
    const finish = (search: PullSearch, result: PullResult) =>
      totals.set(search.type, addResult(totals.get(search.type)!, result));
    if (reader) {
      // One stream for all searches: the worker reads the next while this thread stores the last.
      // Their groups share commits; a search's counts are added up once they are committed.
      const commits = commitQueue(options.db);
      const sinks = searches.map((search) => typeSink(options, search.type, search.target, commits));
      try {
        for await (const item of reader.read(pageJob(options, searches))) {
          const sink = sinks[item.index]!;
          if ('page' in item) {
            sink.add(item.page);
            continue;
          }
          if ('failed' in item) sink.fail(item.failed); // the search ends here; the next goes on
          const search = searches[item.index]!;
          const result = sink.finish();
          commits.afterCommit(() => finish(search, result));
        }
      } catch (error) {
        // What finished searches read is kept, as when each committed on its own (and the first
        // error is the one to report).
        try {
          commits.flush();
        } catch {
          // the pull's own error below says what stopped it
        }
        throw error;
      }
      commits.flush();
    } else {
      for (const search of searches) finish(search, await pullSearch(options, search));
    }
    if (exportPlan)
      for (const [type, result] of await pullExport(options, exportPlan))
        totals.set(type, addResult(totals.get(type)!, result));
    if (members !== null) {
      const limits = options.limits ?? DEFAULT_PAGE_LIMITS;
      for (const type of types)
        if (scoped(type)) deleted.set(type, (await sweepScopedDeletes({ ...options, limits }, type, members)).deleted);
    }
  } finally {
    backToWal?.();
    options.db.pragma(`cache_size = ${cacheSize}`);
    await own?.close();
  }
  const results = {} as Record<PulledType, PullResult & { deleted: number }>;
  for (const type of types) results[type] = { ...totals.get(type)!, deleted: deleted.get(type) ?? 0 };
  return results;
}

/** One search read here (no worker): its pages validated and stored as they come. */
async function pullSearch(options: PullOptions, search: PullSearch): Promise<PullResult> {
  const sink = typeSink(options, search.type, search.target);
  const limits = options.limits ?? DEFAULT_PAGE_LIMITS;
  try {
    for await (const page of readPages(search.url, readOptions(options, `${search.type} pull`, true)))
      sink.add(preparePage(page, search.type, limits));
  } catch (error) {
    if (!stopsOnlyTheSearch(error)) throw error;
    sink.fail(error);
  }
  return sink.finish();
}
