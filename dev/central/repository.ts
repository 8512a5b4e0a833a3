/**
 * Medplum's in-memory repository, with the gaps that matter to a sync engine closed:
 *
 * - a change log of every version written (create, update, delete), in write order, so that
 *   type- and system-level `_history` with `_since` work and deletes can be pulled;
 * - tombstones: a deleted resource reads as 410 Gone (Medplum answers 404 and forgets it);
 * - instance history in a stable order, newest first, deletes included (Medplum reverses its
 *   history array in place on every call, so the order flips and later writes land out of place);
 * - search that clones only the page it returns (Medplum deep-clones every match before slicing,
 *   which makes paging through 100,000 patients quadratic);
 * - searches by `_id` and by `patient` answered from an index (patient-index.ts), not by scanning
 *   every resource of the type: the scoped pull's searches at a central of a million patients.
 *
 * - every create and update validated against the R4 definitions (validation.ts) before it is
 *   stored, whichever route it came by (batch and transaction entries and PATCH included);
 * - version ids as UUIDs (Medplum's) or, for the HAPI personality, "1", "2", ... per resource.
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
import { PatientIndex } from './patient-index.ts';
import { assertValidResource } from './validation.ts';

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
type CreateSync = (resource: Resource, options: CreateResourceOptions | undefined, update: boolean) => WithId<Resource>;

export interface CentralRepositoryOptions {
  /** 'uuid' (Medplum's, the default) or 'sequence': "1", "2", ... per resource, a delete counting as one. */
  versionIds?: 'uuid' | 'sequence';
}

export class CentralRepository extends MemoryRepository {
  // The change log, one column per field: a million versions cost pointers, not objects.
  private readonly logTypes: string[] = [];
  private readonly logIds: string[] = [];
  private readonly logVersions: string[] = [];
  private readonly logTimes: number[] = [];
  private readonly logDeleted: boolean[] = [];
  /** `Type/id` -> index of the tombstone in the log, while the resource stays deleted. */
  private readonly tombstones = new Map<string, number>();
  /** `Type/id` -> its last version number, when version ids are a sequence. */
  private readonly lastVersion = new Map<string, number>();
  private readonly sequence: boolean;
  /** Every write is told to it (afterWrite, deleteResource, expungeResources, seed, clear). */
  private readonly patientIndex = new PatientIndex();

  constructor(options: CentralRepositoryOptions = {}) {
    super();
    this.sequence = options.versionIds === 'sequence';
    // The subclass reads Medplum's private maps and calls its synchronous create; fail loudly if a
    // Medplum upgrade renames them.
    if (
      !(this.store() instanceof Map) ||
      !(this.versions() instanceof Map) ||
      typeof this.createSync() !== 'function'
    ) {
      throw new Error('MemoryRepository internals changed: dev/central/repository.ts needs an update');
    }
  }

  /**
   * Medplum's private synchronous create. Called directly so that a write and the renaming of its
   * version id happen in one turn of the event loop: a concurrent If-Match never sees the UUID
   * Medplum gave the version before it became "3".
   */
  private createSync(): CreateSync {
    return (this as unknown as { createResourceSync: CreateSync }).createResourceSync;
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

  /** Every create and update (Medplum's updateResource and patchResource end here). */
  override async createResource<T extends Resource>(
    resource: T,
    options?: CreateResourceOptions,
    update = false,
  ): Promise<WithId<T>> {
    assertValidResource(resource);
    const before = resource.id === undefined ? undefined : this.store().get(resource.resourceType)?.get(resource.id);
    const result = this.createSync().call(this, resource, options, update) as WithId<T>;
    this.afterWrite(result, before);
    return result;
  }

  override async conditionalCreate<T extends Resource>(
    resource: T,
    search: SearchRequest<T>,
    options?: CreateResourceOptions,
  ): Promise<{ resource: WithId<T>; outcome: OperationOutcome }> {
    assertValidResource(resource);
    const before = this.count(resource.resourceType);
    const result = await super.conditionalCreate(resource, search, options);
    // Medplum creates through a private method here, not through createResource (never over an
    // existing id: it refuses that).
    if (this.count(resource.resourceType) > before) this.afterWrite(result.resource, undefined);
    return result;
  }

  /** The next version id of a resource: a UUID, or its next number. */
  private nextVersionId(key: string): string {
    if (!this.sequence) return generateId();
    const next = (this.lastVersion.get(key) ?? 0) + 1;
    this.lastVersion.set(key, next);
    return String(next);
  }

  /** `before`: the stored version this write replaced, undefined when the resource is new to the store. */
  private afterWrite(result: WithId<Resource>, before: Resource | undefined): void {
    const { resourceType, id } = result;
    const key = `${resourceType}/${id}`;
    const stored = this.store().get(resourceType)?.get(id);
    if (stored) this.patientIndex.written(before, stored as WithId<Resource>);
    if (this.sequence) {
      // The stored version is the same object in the resource map and at the end of its history.
      const versionId = this.nextVersionId(key);
      if (stored?.meta) stored.meta.versionId = versionId;
      result.meta = { ...result.meta, versionId };
    }
    this.tombstones.delete(key);
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
    const before = this.store().get(resourceType)?.get(id);
    await super.deleteResource(resourceType, id, options);
    if (before) this.patientIndex.removed(before as WithId<Resource>);
    const seq = this.record(resourceType, id, this.nextVersionId(key), new Date().toISOString(), true);
    this.tombstones.set(key, seq);
  }

  override async expungeResources(resourceType: string, ids: string[]): Promise<void> {
    const byId = this.store().get(resourceType);
    const present = ids.flatMap((id) => {
      const resource = byId?.get(id);
      return resource ? [resource as WithId<Resource>] : [];
    });
    await super.expungeResources(resourceType, ids);
    for (const resource of present) this.patientIndex.removed(resource);
  }

  override clear(): void {
    super.clear();
    this.patientIndex.clear();
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

  /** Log positions of the versions a history asks for, newest first (lastUpdated, then write order). */
  private changeSeqs(query: Omit<HistoryQuery, 'count' | 'before'>): number[] {
    const { resourceType, id, sinceMs } = query;
    const matches: number[] = [];
    const n = this.logTypes.length;
    for (let seq = 0; seq < n; seq++) {
      if (resourceType !== undefined && this.logTypes[seq] !== resourceType) continue;
      if (id !== undefined && this.logIds[seq] !== id) continue;
      if (sinceMs !== undefined && (this.logTimes[seq] as number) < sinceMs) continue;
      matches.push(seq);
    }
    const times = this.logTimes;
    return matches.sort((a, b) => (times[b] as number) - (times[a] as number) || b - a);
  }

  /** Every version a history asks for, newest first, deletes included, without their resources. */
  changeList(query: Omit<HistoryQuery, 'count' | 'before'>): ChangeEntry[] {
    return this.changeSeqs(query).map((seq) => this.change(seq));
  }

  /** The resource of one version in the log (a copy), or undefined for a delete. */
  versionOf(change: ChangeEntry): Resource | undefined {
    if (change.deleted) return undefined;
    const version = this.versions()
      .get(change.resourceType)
      ?.get(change.id)
      ?.find((v) => v.meta?.versionId === change.versionId);
    return version ? deepClone(version) : undefined;
  }

  /** Versions newest first (lastUpdated, then write order), deletes included, paged by cursor. */
  changes(query: HistoryQuery): HistoryPage {
    const { before } = query;
    const matches = this.changeSeqs(query);
    const times = this.logTimes;
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
      const resource = this.versionOf(change);
      return resource ? { change, resource } : { change };
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
    const matches = this.matching(searchRequest);
    if (!matches) return super.search(searchRequest);
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
   * Every match of a search in its order, uncloned (read only!); null for what search() leaves to
   * Medplum (chained parameters, _include/_revinclude, multiple types).
   */
  private matching(searchRequest: SearchRequest): Resource[] | null {
    if (
      searchRequest.types?.length ||
      searchRequest.include?.length ||
      searchRequest.revInclude?.length ||
      searchRequest.filters?.some((f) => isChainedSearchFilter(f) || f.code.includes('.') || f.code.startsWith('_has:'))
    ) {
      return null;
    }
    const resources = this.store().get(searchRequest.resourceType) ?? new Map<string, Resource>();
    const { candidates, requestFor } = candidatesOf(resources, this.patientIndex, searchRequest);
    let matches: Resource[] = [];
    for (const resource of candidates) {
      if (matchesSearchRequest(resource, requestFor(resource))) matches.push(resource);
    }
    for (const rule of [...(searchRequest.sortRules ?? [])].reverse()) matches = sortBy(matches, rule);
    return matches;
  }

  /** The ids of every match of a search, in its order: what a server that holds results keeps. */
  async searchIds(searchRequest: SearchRequest): Promise<string[]> {
    const matches =
      this.matching(searchRequest) ??
      (await super.search({ ...searchRequest, offset: 0, count: Number.MAX_SAFE_INTEGER })).entry?.flatMap((e) =>
        e.resource ? [e.resource] : [],
      ) ??
      [];
    return matches.flatMap((resource) => (resource.id ? [resource.id] : []));
  }

  /** The current version (a copy) of each of these resources that still exists, in order. */
  currentVersions(resourceType: string, ids: readonly string[]): WithId<Resource>[] {
    const byId = this.store().get(resourceType);
    return ids.flatMap((id) => {
      const resource = byId?.get(id);
      return resource ? [deepClone(resource) as WithId<Resource>] : [];
    });
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
      this.afterWrite(stored, undefined);
      count++;
    }
    return count;
  }
}

/**
 * What a search need look at, before Medplum's own matching decides (issue 15's scoped pull asks
 * `_id=<100 ids>` and `patient=<100 ids>`, page after page, of a central that may hold a million
 * patients, and reads its members by `organization=` on Patient and `location=` on Encounter;
 * Medplum evaluates FHIRPath over every resource of the type for each): with `_id`, those
 * resources only; with `patient`, those whose subject or patient reference (relative,
 * `Patient/<id>`: what this clinic writes) is one of them, from the index. Both in the order a
 * scan would have met them (the store's), so that ties of a sort fall as in Medplum's scan. With
 * `organization` (Patient), those whose managingOrganization is one of them; with `location`
 * (Encounter), those with one of them among their locations. Anything else: every resource. Only
 * ever fewer to check, never a match Medplum would not make.
 *
 * `requestFor`: what Medplum checks a candidate against. For `patient`, the same search without
 * that filter where the index has already decided it: when the type's own term of the parameter
 * is `<Type>.subject.where(resolve() is Patient)` and the candidate was found by its subject, or
 * `<Type>.patient` and it was found by its patient (a reference `Patient/<id>` that the filter
 * names). Medplum evaluates the parameter's FHIRPath for every candidate: most of the time
 * central spent on a scoped page. Otherwise the search as asked.
 */
function candidatesOf(
  resources: Map<string, Resource>,
  index: PatientIndex,
  searchRequest: SearchRequest,
): { candidates: Iterable<Resource>; requestFor: (resource: Resource) => SearchRequest } {
  const plain = (code: string) =>
    searchRequest.filters?.find(
      (f) => f.code === code && (f.operator as string) === 'eq' && typeof f.value === 'string',
    );
  const present = (ids: string[]) =>
    ids.flatMap((id) => {
      const resource = resources.get(id);
      return resource ? [resource] : [];
    });
  const asAsked = () => searchRequest;
  const { resourceType } = searchRequest;
  const ids = plain('_id');
  if (ids) return { candidates: present(index.inStoreOrder(resourceType, ids.value.split(','))), requestFor: asAsked };
  const patients = plain('patient');
  if (!patients) return { candidates: byOtherReference(resources, plain, resourceType), requestFor: asAsked };
  const references = patients.value.split(',').map((v) => (v.startsWith('Patient/') ? v : `Patient/${v}`));
  const candidates = present(index.idsFor(resourceType, references));
  const decidedBy = patientTermOf(resourceType);
  if (decidedBy === null) return { candidates, requestFor: asAsked };
  const without = { ...searchRequest, filters: searchRequest.filters?.filter((f) => f !== patients) ?? [] };
  const foundBySubject = (r: Resource) =>
    typeof (r as { subject?: { reference?: unknown } }).subject?.reference === 'string';
  return {
    candidates,
    requestFor: (resource) => (foundBySubject(resource) === (decidedBy === 'subject') ? without : searchRequest),
  };
}

/** Which element the `patient` search parameter reads on this type, when it is one the index keys by. */
const patientTerms = new Map<string, 'subject' | 'patient' | null>();
function patientTermOf(resourceType: string): 'subject' | 'patient' | null {
  let term = patientTerms.get(resourceType);
  if (term === undefined) {
    const expression = globalSchema.types[resourceType]?.searchParams?.['patient']?.expression ?? '';
    const terms = expression.split('|').map((t) => t.trim());
    term = terms.includes(`${resourceType}.subject.where(resolve() is Patient)`)
      ? 'subject'
      : terms.includes(`${resourceType}.patient`)
        ? 'patient'
        : null;
    // Only when that is the type's one term (no second way to match that the index would miss).
    if (terms.filter((t) => t.startsWith(`${resourceType}.`)).length !== 1) term = null;
    patientTerms.set(resourceType, term);
  }
  return term;
}

/**
 * Patients by `organization=`, Encounters by `location=`: relative references, an id alone read
 * as one of the parameter's only target type, as Medplum reads it. Anything else: every resource.
 */
function byOtherReference(
  resources: Map<string, Resource>,
  plain: (code: string) => { value: string } | undefined,
  type: string,
): Iterable<Resource> {
  const byReference = (code: string, target: string, referencesOf: (resource: Resource) => (string | undefined)[]) => {
    const filter = plain(code);
    if (!filter) return null;
    const wanted = new Set(filter.value.split(',').map((v) => (v.startsWith(`${target}/`) ? v : `${target}/${v}`)));
    return [...resources.values()].filter((resource) =>
      referencesOf(resource).some((reference) => reference !== undefined && wanted.has(reference)),
    );
  };
  return (
    (type === 'Patient'
      ? byReference('organization', 'Organization', (r) => [
          (r as { managingOrganization?: { reference?: string } }).managingOrganization?.reference,
        ])
      : null) ??
    (type === 'Encounter'
      ? byReference('location', 'Location', (r) =>
          ((r as { location?: { location?: { reference?: string } }[] }).location ?? []).map(
            (l) => l.location?.reference,
          ),
        )
      : null) ??
    resources.values()
  );
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
