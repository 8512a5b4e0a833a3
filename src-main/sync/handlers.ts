import { AllergyIntolerance, type FhirResource } from '../../src-shared/fhir/index.ts';
import type { Permission } from '../../src-shared/access/roles.ts';
import type { RestrictedSyncConflict, ShownSyncConflict } from '../../src-shared/sync/status.ts';
import { denialMessage, type AccessDecision } from '../access/index.ts';
import type { Handlers, ServedPatient, Session } from '../ipc/index.ts';
import type { Clock } from '../ports.ts';
import { allergyEditOf, mergedAllergy, readPatientSummary } from '../records/index.ts';
import type { Database } from '../vault/index.ts';
import {
  ALREADY_DECIDED,
  ConflictError,
  openConflict,
  openConflicts,
  resolveConflict,
  wasDecided,
  type ConflictRecord,
} from './conflicts.ts';
import {
  decideRestrictedConflict,
  restrictedConflicts,
  reviewViews,
  type RestrictedReviewDeps,
} from './restricted-review.ts';
import type { SyncEngine } from './engine.ts';
import { versionFields } from './conflict-fields.ts';
import { CoreError } from '../base/index.ts';

type SyncHandlers = Pick<
  Handlers,
  | 'sync.status'
  | 'sync.now'
  | 'sync.conflicts'
  | 'sync.resolveConflict'
  | 'sync.restrictedConflicts'
  | 'sync.decideRestrictedConflict'
>;

export interface SyncHandlerDeps extends RestrictedReviewDeps {
  db: () => Database;
  engine: () => SyncEngine;
  clock: Clock;
  displayNameOf: (userId: string) => string;
  /**
   * The authorization module's decision for this session and patient now (care team, an active
   * break-glass grant): a conflict is shown or resolved only while it allows.
   */
  authorize: (session: Session, action: Permission, patientId: string | null) => AccessDecision;
}

/** The privacy officer's review is allowed by role alone (the router checked the permission). */
const BY_ROLE: AccessDecision = Object.freeze({ allowed: true, basis: 'role' });

/** What a conflict shows (both versions, the patient's name) is clinical: the chart's permission. */
const SHOW: Permission = 'patient.clinical.read';
const RESOLVE: Permission = 'patient.clinical.write';

/** Where a conflict its clinician may not decide goes: the privacy officer's queue (restricted-review.ts). */
const ROUTED =
  'The change waits on this workstation in the privacy officer\u2019s review queue; they will release or discard it.';
const RESTRICTED_MESSAGE = `Restricted: you no longer have access to this patient, so this change is not shown. ${ROUTED}`;

function restrictedView(conflict: ConflictRecord): RestrictedSyncConflict {
  return { id: conflict.id, restricted: true, detectedAt: conflict.detectedAt, message: RESTRICTED_MESSAGE };
}

/** Each patient shown, once, with the decision that let them through and the records shown. */
export function servedPatients(shown: { conflict: ConflictRecord; decision: AccessDecision }[]): ServedPatient[] {
  const byPatient = new Map<string, ServedPatient>();
  for (const { conflict, decision } of shown) {
    if (conflict.patientId === null) continue;
    const ref = `${conflict.resourceType}/${conflict.resourceId}`;
    const served = byPatient.get(conflict.patientId);
    if (served) served.resourceRefs.push(ref);
    else byPatient.set(conflict.patientId, { patientId: conflict.patientId, decision, resourceRefs: [ref] });
  }
  return [...byPatient.values()];
}

/** A conflict as the clinician sees it: both versions field by field, as display text. */
function conflictView(db: Database, conflict: ConflictRecord): ShownSyncConflict {
  const { what, fields } = versionFields(conflict);
  const allergy = AllergyIntolerance.safeParse(conflict.mine);
  return {
    id: conflict.id,
    restricted: false,
    resourceType: conflict.resourceType,
    resourceId: conflict.resourceId,
    patientId: conflict.patientId,
    patientName: conflict.patientId ? (readPatientSummary(db, conflict.patientId)?.name ?? null) : null,
    what,
    detectedAt: conflict.detectedAt,
    fields,
    mergeable: allergy.success && conflict.theirs !== null,
    mine: allergy.success ? allergyEditOf(allergy.data) : null,
  };
}

/**
 * The sync channels: status and a round on demand for everyone signed in; conflicts for the
 * clinician whose changes they are (only their own, so nobody decides over another's edit).
 */
export function createSyncHandlers(deps: SyncHandlerDeps): SyncHandlers {
  const { db } = deps;
  return {
    'sync.status': () => deps.engine().status(),
    'sync.now': () => deps.engine().syncNow(),
    'sync.conflicts': (_request, { session, served }) => {
      if (!session) throw new CoreError('unauthenticated', 'Sign in first.');
      // Each conflict is about a patient: shown only while access to that patient holds now, not
      // when the change was made (a grant ends, a care team changes; issue 17).
      const decided = openConflicts(db(), session.userId).map((conflict) => ({
        conflict,
        decision: deps.authorize(session, SHOW, conflict.patientId),
      }));
      const shown = decided.filter((d) => d.decision.allowed);
      served.patients = servedPatients(shown);
      served.resourceRefs = shown.map(({ conflict }) => `${conflict.resourceType}/${conflict.resourceId}`);
      return {
        items: decided.map(({ conflict, decision }) =>
          decision.allowed ? conflictView(db(), conflict) : restrictedView(conflict),
        ),
      };
    },
    'sync.resolveConflict': (request, { session, served }) => {
      if (!session) throw new CoreError('unauthenticated', 'Sign in first.');
      const conflict = openConflict(db(), request.conflictId, session.userId);
      if (!conflict) {
        // Decided already (by them, or by the privacy officer while they had no access): once only.
        if (wasDecided(db(), request.conflictId, session.userId)) throw new CoreError('conflict', ALREADY_DECIDED);
        throw new CoreError('notFound', 'No such open conflict.');
      }
      if (conflict.patientId !== null) served.patientId = conflict.patientId;
      const decision = deps.authorize(session, RESOLVE, conflict.patientId);
      if (!decision.allowed) {
        served.denial = decision.reason;
        throw new CoreError('forbidden', `${denialMessage(decision.reason)} ${ROUTED}`);
      }
      served.decision = decision;
      served.resourceRefs = [`${conflict.resourceType}/${conflict.resourceId}`];
      let merged: FhirResource | null = null;
      if (request.choice === 'merged') {
        // A hand merge starts from central's version and applies the clinician's fields; the
        // notes the clinician added in their own version come along as they were written.
        const theirs = conflict.theirs ? AllergyIntolerance.safeParse(conflict.theirs) : null;
        const mine = AllergyIntolerance.safeParse(conflict.mine);
        if (!theirs?.success || !mine.success)
          throw new CoreError('invalid', 'This conflict cannot be merged by hand; keep one of the versions.');
        merged = mergedAllergy(
          theirs.data,
          mine.data,
          request.merged,
          { practitionerId: session.practitionerId, displayName: deps.displayNameOf(session.userId) },
          new Date(deps.clock.now()),
        );
      }
      try {
        resolveConflict(
          db(),
          conflict.id,
          session.userId,
          merged ? { choice: 'merged', merged } : { choice: request.choice as 'mine' | 'theirs' },
          deps.clock,
        );
      } catch (error) {
        if (error instanceof ConflictError) throw new CoreError(error.code, error.message);
        throw error;
      }
      deps.engine().kick();
      return {};
    },
    'sync.restrictedConflicts': (_request, { served }) => {
      // The router has checked 'conflicts.review' (the privacy officer): each patient shown is
      // audited once, by role, with the purpose of use of the review.
      const restricted = restrictedConflicts(deps);
      served.patients = servedPatients(restricted.map((conflict) => ({ conflict, decision: BY_ROLE })));
      served.resourceRefs = restricted.map((c) => `${c.resourceType}/${c.resourceId}`);
      return { items: reviewViews(deps, restricted) };
    },
    'sync.decideRestrictedConflict': (request, { session, served }) => {
      if (!session) throw new CoreError('unauthenticated', 'Sign in first.');
      const conflict = decideRestrictedConflict(
        deps,
        request.conflictId,
        request.decision,
        { userId: session.userId, role: session.role },
        request.comment,
      );
      if (conflict.patientId !== null) served.patientId = conflict.patientId;
      if (request.decision === 'release') deps.engine().kick();
      return {};
    },
  };
}
