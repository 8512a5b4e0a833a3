import type { StoredResourceType } from '../../src-shared/fhir/index.ts';
import { CENTRAL_SEARCH_MAX, type OnDemandChart, type PatientSummary } from '../../src-shared/ipc/contract.ts';
import type { Policy } from '../../src-shared/policy/schema.ts';
import type { AuditTrail } from '../audit/index.ts';
import { CoreError } from '../base/index.ts';
import type { Session } from '../ipc/index.ts';
import { centralFetchFor } from '../net/index.ts';
import type { Clock } from '../ports.ts';
import {
  keptInSync,
  onDemandStateOf,
  readPatientSummary,
  recordOnDemandFetch,
  storeFetchedRecords,
  type OnDemandState,
} from '../records/index.ts';
import { pageLimitsOf, queuedResourceIds, readPatientTypes, searchCentralPatients } from '../sync/index.ts';
import { durably, type Database } from '../vault/index.ts';
import { centralRefusal } from './central-refusal.ts';

/**
 * Charts on demand (issue 15): with a cache scope, a clinician may still need a patient the
 * workstation does not keep (a walk-in, a covering shift). Online, a search also asks central for
 * patients outside the cache; opening one brings their chart here under the same local
 * authorization as any chart, in two steps:
 *
 * 1. The patient and their care relationships (Patient, CareTeam, Encounter): what the
 *    authorization goes by, so it decides on central's current care teams, not on nothing.
 * 2. Only if this user may then see the clinical chart (on the care team, or an emergency grant):
 *    the clinical records (Condition, AllergyIntolerance, MedicationRequest, Observation,
 *    DocumentReference). A user who may not gets the restricted view, and the workstation holds
 *    no more of this patient's clinical data than before. Emergency access granted later brings
 *    the rest at the next open.
 *
 * Each step is stored in one durable transaction with its audit entry (chart.fetch: the patient,
 * the user, how many records; the chart's open is audited as any view), and kept for retention
 * (cache.retentionDays from the last open, sync/retention.ts). The sync rounds do not keep such a
 * chart current: each open online reads it again (not more than once a REFETCH_AFTER_MS), and
 * the chart says when it was read. Offline, a chart brought before opens as it was, saying so; one
 * never brought is refused as offline, and one whose clinical records were never brought is
 * refused rather than shown empty: an empty allergy list would read as "no allergies".
 */

/** What authorization goes by: read first. */
export const RELATIONSHIP_TYPES: readonly StoredResourceType[] = ['Patient', 'CareTeam', 'Encounter'];
/** What only a user allowed to see the clinical chart brings here. */
export const CLINICAL_TYPES: readonly StoredResourceType[] = [
  'Condition',
  'AllergyIntolerance',
  'MedicationRequest',
  'Observation',
  'DocumentReference',
];
/** An open, a close and an open again within this reads central once. */
export const REFETCH_AFTER_MS = 60_000;

export const CHART_ON_CENTRAL_OFFLINE =
  'This patient\u2019s chart is not on this workstation. It can be opened when central can be reached (sign in with your password, not only your PIN).';
const CLINICAL_ON_CENTRAL_OFFLINE =
  'This patient\u2019s clinical records were not brought to this workstation. They can be shown when central can be reached.';
const SEARCH_OFFLINE = 'Central cannot be reached: only this workstation\u2019s patients are listed.';
const CENTRAL_REFUSED = 'Central refused to show this patient\u2019s chart.';

export interface ChartsOnDemandDeps {
  db: () => Database;
  trail: () => AuditTrail;
  clock: Clock;
  /** Policy's central services; undefined until IT enrolls the workstation. */
  central: Policy['central'] | undefined;
  /** The signed-in user's access token; null offline or in a PIN-only session. */
  accessToken: () => string | null;
  /** Policy cache.scope is "all": every patient central holds is kept in sync. */
  scopeIsAll: boolean;
  /** Instead of the policy's transport (central.tlsPins...): tests' fake central. */
  fetch?: typeof fetch;
}

export interface ChartsOnDemand {
  /** Patients central finds for this search that the cache does not hold (OFFLINE when it cannot ask). */
  search(query: string): Promise<{ patients: PatientSummary[]; more: boolean }>;
  /**
   * Before a chart opens: brings it from central when the sync rounds do not keep it (see above).
   * `mayReadClinical` is the authorization, asked after the relationships are stored. Null when
   * the rounds keep the patient; else when it was read and whether it was read now.
   */
  prepareOpen(session: Session, patientId: string, mayReadClinical: () => boolean): Promise<OnDemandChart | null>;
}

export function createChartsOnDemand(deps: ChartsOnDemandDeps): ChartsOnDemand {
  const { db, clock } = deps;

  const centralOptions = () => {
    const central = deps.central;
    const accessToken = deps.accessToken();
    if (!central || !accessToken) return null;
    return {
      fhirBaseUrl: central.fhirBaseUrl,
      allowLoopbackHttp: central.allowLoopbackHttp,
      fetch: deps.fetch ?? centralFetchFor(central),
      accessToken,
      limits: pageLimitsOf(central),
    };
  };

  const isHere = (patientId: string) => readPatientSummary(db(), patientId) !== null;

  /** Reads these types of the patient and stores them, with their chart.fetch entry, in one transaction. */
  const bring = async (
    session: Session,
    patientId: string,
    types: readonly StoredResourceType[],
    part: 'relationships' | 'clinical',
    options: NonNullable<ReturnType<typeof centralOptions>>,
  ): Promise<void> => {
    const read = await readPatientTypes(patientId, types, options);
    // Nothing of a patient central does not have is stored (one the cache holds stays: the
    // rounds' history removes what central deleted).
    const patient = read.find((r) => r.type === 'Patient');
    if (patient && patient.resources.length === 0 && !isHere(patientId))
      throw new CoreError('notFound', 'Central has no such patient.');
    const at = clock.now();
    durably(db(), () => {
      const { stored, removed } = storeFetchedRecords(db(), patientId, read, (type) => queuedResourceIds(db(), type));
      recordOnDemandFetch(db(), patientId, at, part);
      const rejected = read.reduce((n, r) => n + r.rejected, 0);
      deps.trail().append({
        action: 'chart.fetch',
        outcome: 'success',
        userId: session.userId,
        role: session.role,
        patientId,
        detail: `part:${part};stored:${stored};removed:${removed};refused:${rejected}`,
      });
    });
  };

  const stale = (at: number | null | undefined) =>
    at === null || at === undefined || clock.now() - at >= REFETCH_AFTER_MS;

  return {
    async search(query) {
      // Every patient central holds is kept here: asking central on every search would only load it.
      if (deps.scopeIsAll) return { patients: [], more: false };
      const options = centralOptions();
      if (!options) throw new CoreError('offline', SEARCH_OFFLINE);
      let found;
      try {
        found = await searchCentralPatients(query, CENTRAL_SEARCH_MAX, options);
      } catch (error) {
        throw centralRefusal(error, { offline: SEARCH_OFFLINE, refused: 'Central refused this search.' });
      }
      const patients = found.patients
        .filter((p) => !isHere(p.id))
        .map((p) => ({
          id: p.id,
          name: p.patient!.displayName,
          mrn: p.patient!.mrn,
          birthDate: p.patient!.birthDate,
          gender: p.patient!.gender,
        }));
      return { patients, more: found.more };
    },

    async prepareOpen(session, patientId, mayReadClinical) {
      if (keptInSync(db(), deps.scopeIsAll, patientId)) return null;
      const before: OnDemandState | null = onDemandStateOf(db(), patientId);
      const cached = isHere(patientId);
      const asBefore = (): OnDemandChart => {
        if (!cached) throw new CoreError('offline', CHART_ON_CENTRAL_OFFLINE);
        // A former member's records came with the rounds: whole, as of when they left.
        if (before !== null && before.clinicalAt === null && mayReadClinical())
          throw new CoreError('offline', CLINICAL_ON_CENTRAL_OFFLINE);
        return { fetchedAt: before?.fetchedAt ?? null, current: false };
      };
      const options = centralOptions();
      if (!options) return asBefore();
      try {
        if (stale(before?.fetchedAt)) await bring(session, patientId, RELATIONSHIP_TYPES, 'relationships', options);
        if (mayReadClinical() && stale(before?.clinicalAt))
          await bring(session, patientId, CLINICAL_TYPES, 'clinical', options);
      } catch (error) {
        const refusal = centralRefusal(error, { offline: CHART_ON_CENTRAL_OFFLINE, refused: CENTRAL_REFUSED });
        if (refusal instanceof CoreError && refusal.kind === 'offline') return asBefore();
        throw refusal;
      }
      const after = onDemandStateOf(db(), patientId);
      return { fetchedAt: after?.fetchedAt ?? null, current: true };
    },
  };
}
