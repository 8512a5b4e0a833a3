import type { PreparedResource } from '../../src-shared/fhir/prepare.ts';
import type { StoredResourceType } from '../../src-shared/fhir/index.ts';
import type { HttpDeps } from './http.ts';
import { preparePage, readPages, type PageLimits } from './pages.ts';
import { SCOPE_PARAMETER } from './scope.ts';

/**
 * What charts on demand ask of central (issue 15): patients outside the cache that match a search,
 * and one patient's records of some types. HTTP and validation only; the chart capability decides
 * whether to ask (local authorization) and stores what comes (chart/on-demand.ts).
 *
 * Central is untrusted here as in the pull: every resource validated and sized (preparePage),
 * pages bounded (policy central.maxPagesPerType), answers bounded (maxResponseMiB), and a resource
 * about another patient than the one asked about is refused, never stored.
 */
export interface CentralPatientsOptions extends HttpDeps {
  fhirBaseUrl: string;
  accessToken: string;
  limits: PageLimits;
}

/** A person waits for these reads: fewer tries than a background round makes. */
const ON_DEMAND_RETRY = { attempts: 2, timeoutMs: 10_000 } as const;
/** Resources per page of one patient's records: most charts come in one page per type. */
const CHART_PAGE_SIZE = 500;

const BIRTH_DATE = /^\d{4}(-\d{2}(-\d{2})?)?$/;

/**
 * The FHIR search for what a clinician typed, as the local search reads it (records'
 * searchPatients): a birth date (FHIR's date search takes YYYY, YYYY-MM or YYYY-MM-DD as the
 * range it names), an MRN (with digits: exact, as FHIR token searches are; any identifier of
 * that value matches, as servers rarely support `:of-type`), or
 * name words (each a `name` parameter: FHIR string search matches the start of any part of the
 * name, case and accents aside; several are all required).
 */
export function centralPatientQuery(text: string, count: number): URLSearchParams {
  const query = text.trim();
  const params = new URLSearchParams({ _count: String(count) });
  if (BIRTH_DATE.test(query)) params.set('birthdate', query);
  else if (/^[A-Za-z]*\d[A-Za-z0-9-]*$/.test(query)) params.set('identifier', query);
  else
    for (const word of query
      .normalize('NFKC')
      .split(/[^\p{L}\p{N}'-]+/u)
      .filter((w) => w.length > 0)
      .slice(0, 5))
      params.append('name', word);
  return params;
}

export interface CentralPatientMatches {
  patients: PreparedResource[];
  /** Central has more matches than were asked for. */
  more: boolean;
}

/**
 * The patients central finds for this search: one page of at most `limit`, each a valid Patient
 * (others left out: what cannot be validated cannot be shown). Throws SyncHttpError when central
 * cannot be reached or refuses.
 */
export async function searchCentralPatients(
  text: string,
  limit: number,
  options: CentralPatientsOptions,
): Promise<CentralPatientMatches> {
  const params = centralPatientQuery(text, limit);
  if (!params.has('birthdate') && !params.has('identifier') && !params.has('name'))
    return { patients: [], more: false };
  const url = new URL(`Patient?${params}`, baseOf(options)).href;
  const patients: PreparedResource[] = [];
  let more = false;
  for await (const page of readPages(url, {
    ...options,
    retry: { ...ON_DEMAND_RETRY, ...options.retry },
    what: 'central patient search',
    limits: { ...options.limits, maxPages: 1 },
  })) {
    for (const outcome of preparePage(page, 'Patient', options.limits).prepared)
      if (outcome.ok && outcome.resource.patient && patients.length < limit) patients.push(outcome.resource);
    more = (page.bundle.link ?? []).some((link) => link.relation === 'next');
  }
  return { patients, more };
}

export interface PatientTypeRead {
  type: StoredResourceType;
  /** Valid resources of this patient. */
  resources: PreparedResource[];
  /** Resources refused: invalid, too large, or about someone else. */
  rejected: number;
  /** The search was read to its end: what the cache holds of this type and patient beyond it is gone at central. */
  complete: boolean;
}

/**
 * One patient's records of these types, each type's search read in parallel (a person waits):
 * `Patient?_id=<id>`, `<type>?patient=<id>` (the scoped pull's searches, scope.ts). Throws
 * SyncHttpError when central cannot be reached or refuses one of them: a chart partly brought
 * would show a clinician less than there is.
 */
export async function readPatientTypes(
  patientId: string,
  types: readonly StoredResourceType[],
  options: CentralPatientsOptions,
): Promise<PatientTypeRead[]> {
  return Promise.all(types.map((type) => readPatientType(patientId, type, options)));
}

async function readPatientType(
  patientId: string,
  type: StoredResourceType,
  options: CentralPatientsOptions,
): Promise<PatientTypeRead> {
  const parameter = SCOPE_PARAMETER[type];
  if (parameter === null) throw new Error(`${type} is not a patient's record`);
  const params = new URLSearchParams({ [parameter]: patientId, _count: String(CHART_PAGE_SIZE) });
  const read: PatientTypeRead = { type, resources: [], rejected: 0, complete: false };
  let pages = 0;
  let lastHadNext = false;
  for await (const page of readPages(new URL(`${type}?${params}`, baseOf(options)).href, {
    ...options,
    retry: { ...ON_DEMAND_RETRY, ...options.retry },
    what: `${type} of one patient`,
  })) {
    pages++;
    lastHadNext = (page.bundle.link ?? []).some((link) => link.relation === 'next');
    for (const outcome of preparePage(page, type, options.limits).prepared) {
      if (outcome.ok && outcome.resource.patientId === patientId) read.resources.push(outcome.resource);
      else read.rejected++;
    }
  }
  // Past maxPages the search stopped early: what was not read may still be at central.
  read.complete = pages > 0 && !(lastHadNext && pages >= options.limits.maxPages);
  return read;
}

function baseOf(options: CentralPatientsOptions): URL {
  return new URL(options.fhirBaseUrl.replace(/\/+$/, '') + '/');
}
