/**
 * Medplum's in-memory repository, with the gaps that matter to a sync engine closed:
 *
 * - a change log of every version written (create, update, delete), in write order, so that
 *   type- and system-level `_history` with `_since` work and deletes can be pulled;
 * - tombstones: a deleted resource reads as 410 Gone (Medplum answers 404 and forgets it);
 * - instance history in a stable order, newest first, deletes included (Medplum reverses its
 *   history array in place on every call, so the order flips and later writes land out of place);
 * - search that clones only the page it returns (Medplum deep-clones every match before slicing,
 *   which makes paging through 100,000 patients quadratic).
 *
 * Everything else (create, update with If-Match -> 412, patch, conditional create, batch) is
 * Medplum's own code.
 */
import {
  OperationOutcomeError,
  badRequest,
  deepClone,
  evalFhirPath,
  generateId,
  globalSchema,
  gone,
  isChainedSearchFilter,
  matchesSearchRequest,
  notFound,
  preconditionFailed,
} from '@medplum/core';
import type { SearchRequest, SortRule, WithId } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { CreateResourceOptions, DeleteResourceOptions } from '@medplum/fhir-router';
import type { Bundle, BundleEntry, OperationOutcome, Resource } from '@medplum/fhirtypes';

/** One version in the change log. `deleted` versions are tombstones and carry no resource. */
export interface ChangeEntry {
  seq: number;
  resourceType: string;
  id: string;
  versionId: string;
  lastUpdatedMs: number;
  lastUpdated: string;
  deleted: boolean;
}

export interface HistoryQuery {
  /** Only this type (type-level history); all types when absent (system-level history). */
  resourceType?: string;
  /** Only this resource (instance-level history). */
  id?: string;
  /** Versions written at or after this instant (FHIR `_since`, inclusive). */
  sinceMs?: number;
  /** Paging cursor: only versions that sort after this one (newest first). */
  before?: { lastUpdatedMs: number; seq: number };
  count: number;
}

export interface HistoryPage {
  entries: { change: ChangeEntry; resource?: Resource }[];
  /** Total number of versions matching the query without the cursor. */
  total: number;
  /** Cursor for the next page, when there is one. */
  next?: { lastUpdatedMs: number; seq: number };
}

type VersionStore = Map<string, Map<string, Resource[]>>;
type ResourceStore = Map<string, Map<string, Resource>>;

export class CentralRepository extends MemoryRepository {
  // The change log, one column per field: a million versions cost pointers, not objects.
  private readonly logTypes: string[] = [];
  private readonly logIds: string[] = [];
  private readonly logVersions: string[] = [];
  private readonly logTimes: number[] = [];
  private readonly logDeleted: boolean[] = [];
  /** `Type/id` -> index of the tombstone in the log, while the resource stays deleted. */
  private readonly tombstones = new Map<string, number>();

  constructor() {
    super();
    // The subclass reads Medplum's private maps; fail loudly if a Medplum upgrade renames them.
    if (!(this.store() instanceof Map) || !(this.versions() instanceof Map)) {
      throw new Error('MemoryRepository internals changed: dev/central/repository.ts needs an update');
    }
  }

  private store(): ResourceStore {
    return (this as unknown as { resources: ResourceStore }).resources;
  }

  private versions(): VersionStore {
    return (this as unknown as { history: VersionStore }).history;
  }

  get changeCount(): number {
    return this.logTypes.length;
  }

  private record(resourceType: string, id: string, versionId: string, lastUpdated: string, deleted: boolean): number {
    const seq = this.logTypes.length;
    this.logTypes.push(resourceType);
    this.logIds.push(id);
    this.logVersions.push(versionId);
    this.logTimes.push(Date.parse(lastUpdated));
    this.logDeleted.push(deleted);
    return seq;
  }

  private change(seq: number): ChangeEntry {
    const lastUpdatedMs = this.logTimes[seq] as number;
    return {
      seq,
      resourceType: this.logTypes[seq] as string,
      id: this.logIds[seq] as string,
      versionId: this.logVersions[seq] as string,
      lastUpdatedMs,
      lastUpdated: new Date(lastUpdatedMs).toISOString(),
      deleted: this.logDeleted[seq] as boolean,
    };
  }

  /** The tombstone of a deleted resource, or undefined when it exists or never existed. */
  deletedVersion(resourceType: string, id: string): ChangeEntry | undefined {
    const seq = this.tombstones.get(`${resourceType}/${id}`);
    return seq === undefined ? undefined : this.change(seq);
  }

  /** True when `versionId` is the first version of the resource (it was created, not updated). */
  isFirstVersion(resourceType: string, id: string, versionId: string): boolean {
    return this.versions().get(resourceType)?.get(id)?.[0]?.meta?.versionId === versionId;
  }

  exists(resourceType: string, id: string): boolean {
    return this.store().get(resourceType)?.has(id) ?? false;
  }

  count(resourceType: string): number {
    return this.store().get(resourceType)?.size ?? 0;
  }

  resourceTypes(): string[] {
    return [...this.store().keys()].sort();
  }

  override async createResource<T extends Resource>(
    resource: T,
    options?: CreateResourceOptions,
    update = false,
  ): Promise<WithId<T>> {
    const result = await super.createResource(resource, options, update);
    this.afterWrite(result);
    return result;
  }

  override async conditionalCreate<T extends Resource>(
    resource: T,
    search: SearchRequest<T>,
    options?: CreateResourceOptions,
  ): Promise<{ resource: WithId<T>; outcome: OperationOutcome }> {
    const before = this.count(resource.resourceType);
    const result = await super.conditionalCreate(resource, search, options);
    // Medplum creates through a private method here, not through createResource.
    if (this.count(resource.resourceType) > before) this.afterWrite(result.resource);
    return result;
  }

  private afterWrite(result: WithId<Resource>): void {
    const { resourceType, id } = result;
    this.tombstones.delete(`${resourceType}/${id}`);
    this.record(
      resourceType,
      id,
      result.meta?.versionId ?? '',
      result.meta?.lastUpdated ?? new Date().toISOString(),
      false,
    );
  }

  override async readResource<T extends Resource>(resourceType: string, id: string): Promise<T> {
    if (this.tombstones.has(`${resourceType}/${id}`)) throw new OperationOutcomeError(gone);
    return super.readResource<T>(resourceType, id);
  }

  override async deleteResource(resourceType: string, id: string, options?: DeleteResourceOptions): Promise<void> {
    const key = `${resourceType}/${id}`;
    if (this.tombstones.has(key)) {
      // Deleting a deleted resource is a no-op (FHIR allows 200), unless a version is demanded.
      if (options?.ifMatch) throw new OperationOutcomeError(preconditionFailed);
      return;
    }
    await super.deleteResource(resourceType, id, options);
    const seq = this.record(resourceType, id, generateId(), new Date().toISOString(), true);
    this.tombstones.set(key, seq);
  }

  override async readHistory<T extends Resource>(resourceType: string, id: string): Promise<Bundle<T>> {
    const page = this.changes({ resourceType, id, count: Number.MAX_SAFE_INTEGER });
    if (page.total === 0) throw new OperationOutcomeError(notFound);
    return {
      resourceType: 'Bundle',
      type: 'history',
      total: page.total,
      entry: page.entries.flatMap((e) => (e.resource ? [{ resource: e.resource as T }] : [])),
    };
  }

  override async readVersion<T extends Resource>(resourceType: string, id: string, versionId: string): Promise<T> {
    const version = this.versions()
      .get(resourceType)
      ?.get(id)
      ?.find((v) => v.meta?.versionId === versionId);
    if (!version) throw new OperationOutcomeError(notFound);
    return deepClone(version) as T;
  }

  /** Versions newest first (lastUpdated, then write order), deletes included, paged by cursor. */
  changes(query: HistoryQuery): HistoryPage {
    const { resourceType, id, sinceMs, before } = query;
    const matches: number[] = [];
    const n = this.logTypes.length;
    for (let seq = 0; seq < n; seq++) {
      if (resourceType !== undefined && this.logTypes[seq] !== resourceType) continue;
      if (id !== undefined && this.logIds[seq] !== id) continue;
      if (sinceMs !== undefined && (this.logTimes[seq] as number) < sinceMs) continue;
      matches.push(seq);
    }
    const times = this.logTimes;
    matches.sort((a, b) => (times[b] as number) - (times[a] as number) || b - a);
    let start = 0;
    if (before) {
      const { lastUpdatedMs, seq } = before;
      start = matches.findIndex(
        (s) => (times[s] as number) < lastUpdatedMs || ((times[s] as number) === lastUpdatedMs && s < seq),
      );
      if (start < 0) start = matches.length;
    }
    const slice = matches.slice(start, start + query.count);
    const entries = slice.map((seq) => {
      const change = this.change(seq);
      if (change.deleted) return { change };
      const version = this.versions()
        .get(change.resourceType)
        ?.get(change.id)
        ?.find((v) => v.meta?.versionId === change.versionId);
      return version ? { change, resource: deepClone(version) } : { change };
    });
    const last = slice.at(-1);
    const page: HistoryPage = { entries, total: matches.length };
    if (last !== undefined && start + query.count < matches.length)
      page.next = { lastUpdatedMs: times[last] as number, seq: last };
    return page;
  }

  /**
   * Search that clones only the returned page. Falls back to Medplum for what this does not
   * handle itself (chained parameters, _include/_revinclude, multiple types).
   */
  override async search<T extends Resource>(searchRequest: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    if (
      searchRequest.types?.length ||
      searchRequest.include?.length ||
      searchRequest.revInclude?.length ||
      searchRequest.filters?.some((f) => isChainedSearchFilter(f) || f.code.includes('.') || f.code.startsWith('_has:'))
    ) {
      return super.search(searchRequest);
    }
    const resources = this.store().get(searchRequest.resourceType) ?? new Map<string, Resource>();
    let matches: Resource[] = [];
    for (const resource of resources.values()) {
      if (matchesSearchRequest(resource, searchRequest)) matches.push(resource);
    }
    for (const rule of [...(searchRequest.sortRules ?? [])].reverse()) matches = sortBy(matches, rule);
    const offset = searchRequest.offset ?? 0;
    const page =
      searchRequest.count === undefined ? matches.slice(offset) : matches.slice(offset, offset + searchRequest.count);
    const entry = page.map((resource): BundleEntry<WithId<T>> => ({
      search: { mode: 'match' },
      resource: deepClone(resource) as WithId<T>,
    }));
    return { resourceType: 'Bundle', type: 'searchset', ...(entry.length ? { entry } : {}), total: matches.length };
  }

  /**
   * Stores seed resources straight into the repository (no HTTP, no JSON round trip), keeping
   * their meta.lastUpdated but giving each a server version id (a UUID, like every other
   * version). Call before the server takes requests.
   */
  seed(resources: Iterable<Resource>): number {
    const store = this.store();
    const versions = this.versions();
    const now = new Date().toISOString();
    let count = 0;
    for (const resource of resources) {
      const { resourceType } = resource;
      const id = resource.id ?? generateId();
      const stored = {
        ...resource,
        id,
        meta: { ...resource.meta, versionId: generateId(), lastUpdated: resource.meta?.lastUpdated ?? now },
      } as WithId<Resource>;
      let byId = store.get(resourceType);
      if (!byId) store.set(resourceType, (byId = new Map()));
      if (byId.has(id)) throw new OperationOutcomeError(badRequest(`Seed has a duplicate id: ${resourceType}/${id}`));
      byId.set(id, stored);
      let history = versions.get(resourceType);
      if (!history) versions.set(resourceType, (history = new Map()));
      history.set(id, [stored]);
      this.afterWrite(stored);
      count++;
    }
    return count;
  }
}

/** A stable sort by one rule, evaluating the sort key once per resource (Medplum evaluates per comparison). */
function sortBy(resources: Resource[], rule: SortRule): Resource[] {
  const key = sortKey(resources[0]?.resourceType ?? '', rule.code);
  const keyed = resources.map((resource) => ({ resource, key: key(resource) }));
  const sign = rule.descending ? -1 : 1;
  keyed.sort((a, b) => (a.key < b.key ? -sign : a.key > b.key ? sign : 0));
  return keyed.map((k) => k.resource);
}

function sortKey(resourceType: string, code: string): (resource: Resource) => string {
  if (code === '_lastUpdated') return (r) => r.meta?.lastUpdated ?? '';
  if (code === '_id') return (r) => r.id ?? '';
  const expression = globalSchema.types[resourceType]?.searchParams?.[code]?.expression;
  if (!expression) return () => '';
  return (r) => JSON.stringify(evalFhirPath(expression, r));
}
