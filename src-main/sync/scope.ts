import {
  scopeCareTeamPatient,
  scopeLocationEncounterPatient,
  scopeMembersOf,
  scopeOrganizationPatient,
} from '../../src-shared/fhir/scope-group.ts';
import type { StoredResourceType } from '../../src-shared/fhir/index.ts';
import type { CacheScope } from '../../src-shared/policy/schema.ts';
import type { Clock } from '../ports.ts';
import type { Database } from '../vault/index.ts';
import { readCentralResource } from './central-resource.ts';
import type { HttpDeps } from './http.ts';
import { readPages, stopsOnlyTheSearch, type PageLimits } from './pages.ts';
import { cursorsUnder } from './pull-store.ts';

/**
 * The scoped pull's plan (policy cache.scope, issue 15): which patients, and which searches
 * bring their records.
 *
 * Members, read at the start of each round, bounded (cache.scope.maxMembers) and validated
 * (src-shared/fhir/scope-group.ts): the active members of a FHIR Group at central (`group`);
 * the subjects of the active CareTeams the policy's practitioners take part in (`careTeam`);
 * the Patients whose managingOrganization is the policy's Organization, records marked inactive
 * left out (`organization`: `Patient?organization=Organization/<id>`); or the subjects of the
 * Encounters at the policy's Location whose period reaches into the last withinDays days or
 * later, cancelled and entered-in-error ones left out (`location`:
 * `Encounter?location=Location/<id>&date=ge<first day>`). The searches are read whole each
 * round or not at all (past maxMembers or central.maxPagesPerType the scope is refused), and
 * each resource is checked again here: one central answered that the search did not ask for
 * (another Organization's patient, an Encounter elsewhere or long ago) makes nobody a member.
 *
 * Types: the staff (Practitioner, PractitionerRole) are pulled whole, as without a scope: every
 * chart names them. Every other type belongs to a patient and is searched by its members:
 * `Patient?_id=<ids>`, `<type>?patient=<ids>` (CareTeam too: the clinic's care teams are each a
 * patient's), in batches of SCOPE_BATCH_SIZE ids, comma-separated (FHIR's OR), sorted by
 * `_lastUpdated` like any pull search.
 *
 * Cursors: one per type and member patient (`Observation?patient=<id>` in sync_cursors), how far
 * that patient's records of that type were read. A batch searches from the oldest cursor of its
 * members (from the beginning when one of them has none), minus the overlap; what it brings
 * again is skipped by version as in any pull. Its members' cursors all move to what the batch
 * read. So a patient added to the Group, who has no cursor, is pulled from the beginning, not
 * from where the others are. Batches are cut in cursor order: new members come together (at
 * most one batch mixes them with others), and after a round a batch's members share one cursor,
 * so later rounds' batches start where they stopped. A batch whose search finds nothing moves
 * its members to central's clock of that answer, so a patient with no records of a type is not
 * searched from the beginning every round.
 *
 * A patient removed from the Group is no longer searched: what the cache holds of them stays,
 * with their cursors, until retention removes it (cache.retentionDays, retention.ts), which drops
 * their cursors too, so that if they come back they are pulled whole again. The members read are
 * recorded each round (records' cache_scope_members) for retention to know who is out of scope.
 */

/** Patient ids per search: about 1.2 KB of URL for dev central's ids, well under servers' 8 KB. */
export const SCOPE_BATCH_SIZE = 100;

/** How a type's search names the patients it is about; null: the type is pulled whole (staff). */
export const SCOPE_PARAMETER: Readonly<Record<StoredResourceType, '_id' | 'patient' | null>> = {
  Patient: '_id',
  Practitioner: null,
  PractitionerRole: null,
  CareTeam: 'patient',
  Encounter: 'patient',
  Condition: 'patient',
  AllergyIntolerance: 'patient',
  MedicationRequest: 'patient',
  Observation: 'patient',
  DocumentReference: 'patient',
};

/** The start of a scoped type's per-patient cursor keys: `Observation?patient=`. */
export function scopeCursorPrefix(type: StoredResourceType): string {
  return `${type}?${SCOPE_PARAMETER[type] ?? 'patient'}=`;
}

export interface ScopeBatch {
  /** Member patient ids, sorted. */
  patients: string[];
  /** The oldest cursor of its members; undefined when one has none (searched from the beginning). */
  from: string | undefined;
  /** No member has a cursor: nothing the search brings can be in the cache already. */
  fresh: boolean;
}

/** A scoped type's batches for these members (sorted ids), cut in cursor order (none first). */
export function planBatches(db: Database, type: StoredResourceType, members: readonly string[]): ScopeBatch[] {
  const cursors = cursorsUnder(db, scopeCursorPrefix(type));
  const ordered = members
    .map((id) => ({ id, at: cursors.get(id) }))
    .sort((a, b) => {
      if (a.at !== b.at) return a.at === undefined ? -1 : b.at === undefined ? 1 : a.at < b.at ? -1 : 1;
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
  const batches: ScopeBatch[] = [];
  for (let i = 0; i < ordered.length; i += SCOPE_BATCH_SIZE) {
    const part = ordered.slice(i, i + SCOPE_BATCH_SIZE);
    batches.push({
      patients: part.map((p) => p.id).sort(),
      from: part[0]!.at,
      fresh: part.every((p) => p.at === undefined),
    });
  }
  return batches;
}

export interface ScopeReadOptions extends HttpDeps {
  fhirBaseUrl: string;
  accessToken: string;
  limits: PageLimits;
  /** Today, for a location scope's window. */
  clock: Clock;
}

type Members = { ok: true; members: string[] } | { ok: false; problem: string };

/** The patients in scope this round (scope.ts's header says how each kind is read). */
export function readScopeMembers(
  scope: Exclude<CacheScope, { kind: 'all' }>,
  options: ScopeReadOptions,
): Promise<Members> {
  switch (scope.kind) {
    case 'group':
      return readGroupMembers(scope, options);
    case 'careTeam':
      return readCareTeamMembers(scope, options);
    case 'organization':
      return readOrganizationMembers(scope, options);
    case 'location':
      return readLocationMembers(scope, options, options.clock.now());
  }
}

/** Resources read per member search: few round trips, pages of a few hundred kilobytes. */
const MEMBER_PAGE_SIZE = 1000;

/** A member search: what it reads, for messages ("The scope's care teams"), and how it reads one resource. */
interface MemberSearch {
  /** `CareTeam?participant=...`, relative to the FHIR base. */
  search: string;
  /** The resource type answered; other entries (an OperationOutcome, an include) are skipped. */
  type: string;
  /** The subject of the messages: "The scope's care teams". */
  what: string;
  /** The patient one resource makes a member, null for none, or why the answer is unusable. */
  read: (resource: unknown) => { ok: true; patient: string | null } | { ok: false; problem: string };
}

/**
 * The patients a member search names, each once, sorted, read page by page; bounded like a Group
 * (maxMembers), and refused whole when central pages past what one round reads
 * (central.maxPagesPerType): a part of the scope would make patients come and go.
 */
async function readSearchMembers(
  search: MemberSearch,
  maxMembers: number,
  options: ScopeReadOptions,
): Promise<Members> {
  const base = new URL(options.fhirBaseUrl.replace(/\/+$/, '') + '/');
  const patients = new Set<string>();
  let pages = 0;
  try {
    for await (const { bundle } of readPages(new URL(search.search, base).href, {
      ...options,
      what: `scope ${search.type} search`,
    })) {
      pages++;
      for (const entry of bundle.entry ?? []) {
        if ((entry.resource as { resourceType?: unknown } | undefined)?.resourceType !== search.type) continue;
        const read = search.read(entry.resource);
        if (!read.ok) return read;
        if (read.patient !== null) patients.add(read.patient);
      }
      if (patients.size > maxMembers)
        return {
          ok: false,
          problem: `${search.what} name more than cache.scope.maxMembers (${maxMembers}) patients.`,
        };
    }
  } catch (error) {
    if (stopsOnlyTheSearch(error)) return { ok: false, problem: `${search.what} could not be read: ${error.message}` };
    throw error;
  }
  if (pages >= options.limits.maxPages)
    return {
      ok: false,
      problem: `${search.what} take more pages than one round reads (central.maxPagesPerType).`,
    };
  return { ok: true, members: [...patients].sort() };
}

/** The subjects of the active CareTeams the scope's practitioners take part in. */
function readCareTeamMembers(
  scope: Extract<CacheScope, { kind: 'careTeam' }>,
  options: ScopeReadOptions,
): Promise<Members> {
  const query = new URLSearchParams({
    participant: scope.practitioners.map((id) => `Practitioner/${id}`).join(','),
    status: 'active',
    _count: String(MEMBER_PAGE_SIZE),
  });
  return readSearchMembers(
    { search: `CareTeam?${query}`, type: 'CareTeam', what: "The scope's care teams", read: scopeCareTeamPatient },
    scope.maxMembers,
    options,
  );
}

/**
 * The patients the scope Organization manages (Patient.managingOrganization), records marked
 * inactive left out (scopeOrganizationPatient says why). Central is not asked to filter on
 * `active`: `active=true` would drop every record that does not say (many servers' records), and
 * `:not` is not served everywhere; the few inactive records a page carries cost little.
 */
function readOrganizationMembers(
  scope: Extract<CacheScope, { kind: 'organization' }>,
  options: ScopeReadOptions,
): Promise<Members> {
  const query = new URLSearchParams({
    organization: `Organization/${scope.organization}`,
    // Only what decides membership; a server that sends more is read the same way.
    _elements: 'active,managingOrganization',
    _count: String(MEMBER_PAGE_SIZE),
  });
  return readSearchMembers(
    {
      search: `Patient?${query}`,
      type: 'Patient',
      what: "The scope Organization's patients",
      read: (resource) => scopeOrganizationPatient(resource, scope.organization),
    },
    scope.maxMembers,
    options,
  );
}

const DAY_MS = 86_400_000;

/**
 * Where a location scope's window begins: 00:00 UTC `withinDays` days before today. A whole day,
 * so that the patients in scope change once a day, not at every round, and the search's value is
 * a plain date (`date=ge2026-01-31`) every server reads the same way.
 */
export function locationScopeSince(withinDays: number, nowMs: number): number {
  return (Math.floor(nowMs / DAY_MS) - withinDays) * DAY_MS;
}

/**
 * The subjects of the Encounters at the scope Location whose period reaches into the window or
 * later (finished within it, in progress, planned), not cancelled or entered in error
 * (scopeLocationEncounterPatient checks each again: central's date matching is not trusted).
 */
function readLocationMembers(
  scope: Extract<CacheScope, { kind: 'location' }>,
  options: ScopeReadOptions,
  nowMs: number,
): Promise<Members> {
  const since = locationScopeSince(scope.withinDays, nowMs);
  const query = new URLSearchParams({
    location: `Location/${scope.location}`,
    date: `ge${new Date(since).toISOString().slice(0, 10)}`,
    _elements: 'status,subject,location,period',
    _count: String(MEMBER_PAGE_SIZE),
  });
  return readSearchMembers(
    {
      search: `Encounter?${query}`,
      type: 'Encounter',
      what: "The scope Location's encounters",
      read: (resource) => scopeLocationEncounterPatient(resource, scope.location, since),
    },
    scope.maxMembers,
    options,
  );
}

/**
 * The members of the scope Group at central, or why there are none to go by this round (the
 * Group missing, refused or unusable): a problem that concerns only the scoped types, which the
 * round then leaves as they are. Central unreachable or the token refused are thrown, as for any
 * search of the round.
 */
async function readGroupMembers(
  scope: Extract<CacheScope, { kind: 'group' }>,
  options: ScopeReadOptions,
): Promise<Members> {
  let group: unknown;
  try {
    group = await readCentralResource('Group', scope.group, {
      ...options,
      maxResponseBytes: options.limits.maxResponseBytes,
    });
  } catch (error) {
    // Refused, too large, not JSON: this Group alone (the staff's searches go on).
    if (stopsOnlyTheSearch(error)) return { ok: false, problem: `The scope Group could not be read: ${error.message}` };
    throw error;
  }
  if (group === null) return { ok: false, problem: 'The scope Group (cache.scope.group) is not on central.' };
  if ((group as { id?: unknown }).id !== scope.group)
    return { ok: false, problem: 'Central answered the scope Group with another resource.' };
  return scopeMembersOf(group, scope.maxMembers);
}
