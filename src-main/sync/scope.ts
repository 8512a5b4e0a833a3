import { scopeCareTeamPatient, scopeMembersOf } from '../../src-shared/fhir/scope-group.ts';
import type { StoredResourceType } from '../../src-shared/fhir/index.ts';
import type { CacheScope } from '../../src-shared/policy/schema.ts';
import type { Database } from '../vault/index.ts';
import { readCentralResource } from './central-resource.ts';
import type { HttpDeps } from './http.ts';
import { readPages, stopsOnlyTheSearch, type PageLimits } from './pages.ts';
import { cursorsUnder } from './pull-store.ts';

/**
 * The scoped pull's plan (policy cache.scope `{ kind: 'group' }`, issue 15): which patients, and
 * which searches bring their records.
 *
 * Members, read at the start of each round, bounded (cache.scope.maxMembers) and validated
 * (src-shared/fhir/scope-group.ts): the active members of a FHIR Group at central (`group`), or
 * the subjects of the active CareTeams the policy's practitioners take part in (`careTeam`).
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
}

type Members = { ok: true; members: string[] } | { ok: false; problem: string };

/** The patients in scope this round (group: the Group's members; careTeam: their care teams' subjects). */
export function readScopeMembers(
  scope: Exclude<CacheScope, { kind: 'all' }>,
  options: ScopeReadOptions,
): Promise<Members> {
  return scope.kind === 'group' ? readGroupMembers(scope, options) : readCareTeamMembers(scope, options);
}

/** CareTeams read per search: few round trips, pages of a few hundred kilobytes. */
const CARE_TEAM_PAGE_SIZE = 1000;

/**
 * The subjects of the active CareTeams the scope's practitioners take part in, each once, sorted;
 * bounded like a Group (maxMembers), and refused whole when central pages past what one round
 * reads (central.maxPagesPerType): a part of the scope would make patients come and go.
 */
async function readCareTeamMembers(
  scope: Extract<CacheScope, { kind: 'careTeam' }>,
  options: ScopeReadOptions,
): Promise<Members> {
  const base = new URL(options.fhirBaseUrl.replace(/\/+$/, '') + '/');
  const query = new URLSearchParams({
    participant: scope.practitioners.map((id) => `Practitioner/${id}`).join(','),
    status: 'active',
    _count: String(CARE_TEAM_PAGE_SIZE),
  });
  const patients = new Set<string>();
  let pages = 0;
  try {
    for await (const { bundle } of readPages(new URL(`CareTeam?${query}`, base).href, {
      ...options,
      what: 'scope CareTeam search',
    })) {
      pages++;
      for (const entry of bundle.entry ?? []) {
        if ((entry.resource as { resourceType?: unknown } | undefined)?.resourceType !== 'CareTeam') continue;
        const read = scopeCareTeamPatient(entry.resource);
        if (!read.ok) return read;
        if (read.patient !== null) patients.add(read.patient);
      }
      if (patients.size > scope.maxMembers)
        return {
          ok: false,
          problem: `The scope's care teams name more than cache.scope.maxMembers (${scope.maxMembers}) patients.`,
        };
    }
  } catch (error) {
    if (stopsOnlyTheSearch(error))
      return { ok: false, problem: `The scope's care teams could not be read: ${error.message}` };
    throw error;
  }
  if (pages >= options.limits.maxPages)
    return {
      ok: false,
      problem: "The scope's care teams take more pages than one round reads (central.maxPagesPerType).",
    };
  return { ok: true, members: [...patients].sort() };
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
