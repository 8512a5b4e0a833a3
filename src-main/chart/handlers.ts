import { roleHasPermission } from '../../src-shared/access/roles.ts';
import type { ChartAccess } from '../../src-shared/chart/chart.ts';
import { PANE_LIST_MAX, type PatientListItem, type PatientSummary } from '../../src-shared/ipc/contract.ts';
import { AllergyIntolerance, type FhirResource } from '../../src-shared/fhir/index.ts';
import type { Policy } from '../../src-shared/policy/schema.ts';
import { TAKEN_AT_MAX_FUTURE_MS, TAKEN_AT_MAX_PAST_MS } from '../../src-shared/chart/vitals.ts';
import { type ActiveGrant, authorize } from '../access/index.ts';
import type { Handlers, Session } from '../ipc/index.ts';
import type { Clock } from '../ports.ts';
import { OutboxError, recordLocalChange, syncMarksOf } from '../sync/index.ts';
import { durably, type Database } from '../vault/index.ts';
import {
  readChart,
  recordChartView,
  clinicalNote,
  editedAllergy,
  vitalSignObservations,
  type Author,
  patientsCaredForBy,
  readPatientSummary,
  readResource,
  searchPatients,
} from '../records/index.ts';
import { CoreError } from '../base/index.ts';
import { offlineExpiredMessage, offlineWindow } from '../contact/index.ts';
import { noteFromCentral } from './note-on-central.ts';
import { printSummaryOf } from './print-summary.ts';
import { createRecentPatients } from './recent.ts';
import type { ChartsOnDemand } from './on-demand.ts';

type ChartHandlers = Pick<
  Handlers,
  | 'patients.search'
  | 'patients.searchCentral'
  | 'patients.pane'
  | 'patients.open'
  | 'chart.read'
  | 'chart.printSummary'
  | 'chart.readNote'
  | 'chart.recordVitals'
  | 'chart.writeNote'
  | 'chart.editAllergy'
>;

export interface ChartHandlerDeps {
  db: () => Database;
  activeGrants: (userId: string) => readonly ActiveGrant[];
  /** The signed-in user's name, for the author of what they write. */
  displayNameOf: (userId: string) => string;
  clock: Clock;
  /** A local change was queued for central. */
  changed: () => void;
  /** Policy's central services, where a note kept on central is read; undefined until IT enrolls. */
  central?: Policy['central'];
  /** The signed-in user's access token for central; null offline or in a PIN-only session. */
  accessToken?: () => string | null;
  /** Policy cache.maxOfflineDays: past it without reaching central, every chart channel refuses. */
  maxOfflineDays?: number;
  /** Charts brought from central for patients outside the cache scope; none: every chart is local. */
  onDemand?: ChartsOnDemand;
}

/**
 * Offline expiry (contact/): each chart channel first checks the workstation reached central
 * within the window. `unavailable`, not `forbidden`: the user's rights have not changed and
 * nothing about this patient decided it; the workstation is out of date, and reaching central
 * (a full sign-in) makes it available again, as a cache that cannot open is unavailable.
 */
function offlineGuarded(
  handlers: ChartHandlers,
  db: () => Database,
  clock: Clock,
  maxOfflineDays: number,
): ChartHandlers {
  const check = () => {
    if (offlineWindow(db(), clock.now(), maxOfflineDays).expired)
      throw new CoreError('unavailable', offlineExpiredMessage(maxOfflineDays));
  };
  return Object.fromEntries(
    Object.entries(handlers).map(([channel, handler]) => [
      channel,
      (...args: unknown[]) => {
        check();
        return (handler as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as unknown as ChartHandlers;
}

/** When vital signs were taken: the time given, if it is near enough to now to be one (else refused). */
function takenAt(given: string | undefined, now: number): number {
  if (given === undefined) return now;
  const at = Date.parse(given);
  if (at > now + TAKEN_AT_MAX_FUTURE_MS)
    throw new CoreError('invalid', 'Invalid request: takenAt: The time taken cannot be in the future');
  if (at < now - TAKEN_AT_MAX_PAST_MS)
    throw new CoreError('invalid', 'Invalid request: takenAt: The time taken must be within the last 24 hours');
  return at;
}

/**
 * The records channels. The router has already checked the session, the role and (for one
 * patient's data) the care relationship before any of these runs. Reads come from the cache;
 * writes go to the cache and the outbox in one transaction (sync pushes them).
 */
export function createChartHandlers(deps: ChartHandlerDeps): ChartHandlers {
  const { db, activeGrants, clock } = deps;
  const chartOf = (patientId: string) => readChart(db(), patientId, syncMarksOf(db(), patientId));
  const requirePatient = (patientId: string) => {
    const patient = readPatientSummary(db(), patientId);
    if (!patient) throw new CoreError('notFound', 'No such patient in this workstation\u2019s records.');
    return patient;
  };
  /** Writes the resources and their outbox rows together; a refusal changes nothing. */
  const write = (resources: FhirResource[], userId: string, served: { resourceRefs?: string[] }) => {
    try {
      durably(db(), () => {
        for (const resource of resources) recordLocalChange(db(), resource, userId, clock);
      });
    } catch (error) {
      if (error instanceof OutboxError)
        throw new CoreError(error.code === 'CONFLICT_OPEN' ? 'conflict' : 'invalid', error.message);
      throw error;
    }
    // The audit entry names what was written (BALP's data entity), never its content.
    served.resourceRefs = resources.map((r) => `${r.resourceType}/${r.id ?? ''}`);
    deps.changed();
  };
  const recent = createRecentPatients(PANE_LIST_MAX);
  /** The same decision the router makes for chart.read: care team or an active grant. */
  const clinicalDecision = (session: Session, patientId: string, grants = activeGrants(session.userId)) =>
    authorize(db(), {
      user: { userId: session.userId, role: session.role, practitionerId: session.practitionerId },
      action: 'patient.clinical.read',
      patientId,
      activeGrants: grants,
    });
  /** A list's patients, each marked when their chart would open restricted for this user. */
  const listed = (session: Session | null, patients: readonly PatientSummary[]): PatientListItem[] => {
    const clinical = session !== null && roleHasPermission(session.role, 'patient.clinical.read');
    const grants = session && clinical ? activeGrants(session.userId) : [];
    return patients.map((patient) => ({
      ...patient,
      restricted: session !== null && clinical && !clinicalDecision(session, patient.id, grants).allowed,
    }));
  };
  const summariesOf = (ids: readonly string[]) =>
    ids.map((id) => readPatientSummary(db(), id)).filter((p): p is PatientSummary => p !== null);
  const authorOf = (session: { userId: string; practitionerId: string | null }): Author => ({
    practitionerId: session.practitionerId,
    displayName: deps.displayNameOf(session.userId),
  });

  const handlers: ChartHandlers = {
    'patients.search': (request, { session }) => ({
      results: listed(session, searchPatients(db(), request.query, request.limit)),
    }),
    'patients.pane': (_request, { session }) => {
      if (!session) throw new CoreError('unauthenticated', 'Sign in first.');
      const mine =
        session.practitionerId !== null && roleHasPermission(session.role, 'patient.clinical.read')
          ? summariesOf(patientsCaredForBy(db(), session.practitionerId, PANE_LIST_MAX))
          : [];
      mine.sort((a, b) => a.name.localeCompare(b.name));
      return { mine: listed(session, mine), recent: listed(session, summariesOf(recent.of(session.userId))) };
    },
    'patients.searchCentral': async (request, { session }) => {
      if (!session) throw new CoreError('unauthenticated', 'Sign in first.');
      if (!deps.onDemand) return { results: [], more: false };
      const found = await deps.onDemand.search(request.query);
      return { results: found.patients, more: found.more };
    },
    'patients.open': async (request, { session, served }) => {
      if (!session) throw new CoreError('notFound', 'No such patient in this workstation\u2019s records.');
      const mayReadClinical = () =>
        roleHasPermission(session.role, 'patient.clinical.read') &&
        clinicalDecision(session, request.patientId).allowed;
      const onDemand = deps.onDemand
        ? await deps.onDemand.prepareOpen(session, request.patientId, mayReadClinical)
        : null;
      const patient = requirePatient(request.patientId);
      let access: ChartAccess = 'demographicsOnly';
      let emergencyAccessUntil: number | null = null;
      recent.viewed(session.userId, patient.id);
      // Retention counts from the last open here (sync/retention.ts), whatever the access.
      recordChartView(db(), patient.id, clock.now());
      if (roleHasPermission(session.role, 'patient.clinical.read')) {
        const grants = activeGrants(session.userId);
        const decision = clinicalDecision(session, patient.id, grants);
        access = decision.allowed ? 'full' : 'restricted';
        if (decision.allowed) served.decision = decision;
        if (decision.allowed && decision.basis === 'breakGlass') {
          emergencyAccessUntil = grants.find((g) => g.grantId === decision.grantId)?.expiresAt ?? null;
        }
      }
      return {
        patient,
        access,
        sections: access === 'full' ? chartOf(patient.id) : null,
        emergencyAccessUntil,
        onDemand,
      };
    },
    'chart.read': (request) => chartOf(request.patientId),
    'chart.printSummary': (request, { session, served }) => {
      if (!session) throw new CoreError('unauthenticated', 'Sign in first.');
      const patient = requirePatient(request.patientId);
      // The router allowed it (care team or a grant); the page says which, as the banner does.
      const decision = clinicalDecision(session, patient.id);
      const basis = decision.allowed && decision.basis === 'breakGlass' ? 'emergencyAccess' : 'careTeam';
      served.resourceRefs = [`Patient/${patient.id}`];
      return printSummaryOf(patient, chartOf(patient.id), basis, deps.displayNameOf(session.userId), clock.now());
    },
    'chart.readNote': async (request, { served }) => {
      const text = await noteFromCentral(db(), request.patientId, request.documentId, {
        central: deps.central,
        accessToken: deps.accessToken?.() ?? null,
      });
      served.resourceRefs = [`DocumentReference/${request.documentId}`];
      return { text };
    },
    'chart.recordVitals': (request, { session, served }) => {
      if (!session) throw new CoreError('unauthenticated', 'Sign in first.');
      requirePatient(request.patientId);
      const observations = vitalSignObservations(
        request.patientId,
        request.vitals,
        authorOf(session),
        new Date(takenAt(request.takenAt, clock.now())),
      );
      write(observations, session.userId, served);
      return { recorded: observations.length };
    },
    'chart.writeNote': (request, { session, served }) => {
      if (!session) throw new CoreError('unauthenticated', 'Sign in first.');
      requirePatient(request.patientId);
      const note = clinicalNote(request.patientId, request.note, authorOf(session), new Date(clock.now()));
      write([note], session.userId, served);
      return { id: note.id ?? '' };
    },
    'chart.editAllergy': (request, { session, served }) => {
      if (!session) throw new CoreError('unauthenticated', 'Sign in first.');
      const stored = readResource(db(), 'AllergyIntolerance', request.allergyId);
      const allergy = stored ? AllergyIntolerance.safeParse(stored) : null;
      // The patient named in the request is the one the router authorized: the allergy must be theirs.
      if (!allergy?.success || allergy.data.patient.reference !== `Patient/${request.patientId}`) {
        throw new CoreError('notFound', 'No such allergy in this patient\u2019s record.');
      }
      write(
        [editedAllergy(allergy.data, request.edit, authorOf(session), new Date(clock.now()))],
        session.userId,
        served,
      );
      return {};
    },
  };
  return deps.maxOfflineDays === undefined ? handlers : offlineGuarded(handlers, db, clock, deps.maxOfflineDays);
}
