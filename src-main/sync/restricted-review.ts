/**
 * Restricted conflicts, routed to the privacy officer (issue 17, "Conflicts outlive access"): a
 * conflict whose clinician no longer has access to its patient (the break-glass grant it was made
 * under ended, they left the care team) is shown to that clinician as "restricted" and decided
 * here instead. The privacy officer sees whose change, which patient, what kind of record and when,
 * never its content (their role holds no clinical data), and releases the change (sent as it was, in the clinician's name) or discards it
 * (central's version stays). Which side decides follows access *now*: a clinician who regains
 * access gets the conflict back, and the decision is one durable transaction, so two people never
 * both decide it. Each decision is audited in that transaction with the patient, the purpose of
 * use and the privacy officer's comment (as the justification of the decision).
 */
import type { RestrictedConflictDecision, RestrictedConflictReview } from '../../src-shared/sync/status.ts';
import { authorize, type AccessDecision, type ActiveGrant } from '../access/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import { CoreError } from '../base/index.ts';
import { displayNamesOf, knownUserById } from '../identity/index.ts';
import type { Clock } from '../ports.ts';
import { patientNamesOf } from '../records/index.ts';
import type { Database } from '../vault/index.ts';
import { allOpenConflicts, ConflictError, decideForClinician, type ConflictRecord } from './conflicts.ts';

export interface RestrictedReviewDeps {
  db(): Database;
  trail(): Pick<AuditTrail, 'append'>;
  clock: Clock;
  /** A user's active break-glass grants now (break-glass's, handed in by the composition root). */
  activeGrants(userId: string): readonly ActiveGrant[];
}

/** Operations: what the privacy officer's review is for (v3-ActReason HOPERAT), as for their other reads. */
export const REVIEW_PURPOSE = 'HOPERAT';

const DENIED: AccessDecision = Object.freeze({ allowed: false, reason: 'role' });

/**
 * Whether the conflict's own clinician may see it now: the same decision `sync.conflicts` asks for
 * them (clinical read of that patient), for a user who need not be signed in. A user this
 * workstation no longer knows has no access.
 */
export function clinicianAccess(deps: RestrictedReviewDeps, conflict: ConflictRecord): AccessDecision {
  const user = knownUserById(deps.db(), conflict.userId);
  if (!user) return DENIED;
  return authorize(deps.db(), {
    user: { userId: user.userId, role: user.role, practitionerId: user.practitionerId },
    action: 'patient.clinical.read',
    patientId: conflict.patientId,
    activeGrants: deps.activeGrants(user.userId),
  });
}

/** Every user's open conflicts that their clinician may not decide now, oldest first. */
export function restrictedConflicts(deps: RestrictedReviewDeps): ConflictRecord[] {
  return allOpenConflicts(deps.db()).filter((conflict) => !clinicianAccess(deps, conflict).allowed);
}

/** A record's kind in words, from its type alone (what it says is clinical: not shown here). */
const RECORD_KINDS: Readonly<Record<string, string>> = {
  AllergyIntolerance: 'Allergy record',
  Observation: 'Vital sign or result',
  DocumentReference: 'Clinical note',
  Condition: 'Problem list entry',
  MedicationRequest: 'Medication order',
  Encounter: 'Encounter',
  Patient: 'Patient details',
};

export function reviewViews(deps: RestrictedReviewDeps, conflicts: ConflictRecord[]): RestrictedConflictReview[] {
  const db = deps.db();
  const users = displayNamesOf(
    db,
    conflicts.map((c) => c.userId),
  );
  const patients = patientNamesOf(
    db,
    conflicts.flatMap((c) => (c.patientId === null ? [] : [c.patientId])),
  );
  return conflicts.map((conflict) => ({
    id: conflict.id,
    userId: conflict.userId,
    userName: users.get(conflict.userId) ?? null,
    patientId: conflict.patientId,
    patientName: conflict.patientId === null ? null : (patients.get(conflict.patientId) ?? null),
    resourceType: conflict.resourceType,
    record: RECORD_KINDS[conflict.resourceType] ?? 'Record',
    central: conflict.theirs === null ? 'deleted' : 'changed',
    detectedAt: conflict.detectedAt,
  }));
}

/**
 * The privacy officer's decision. Refused with 'conflict' when someone decided first or when the
 * clinician has access again (then it is theirs to decide); the check runs inside the transaction.
 */
export function decideRestrictedConflict(
  deps: RestrictedReviewDeps,
  conflictId: number,
  decision: RestrictedConflictDecision,
  reviewer: { userId: string; role: string },
  comment: string,
): ConflictRecord {
  const text = comment.trim();
  if (text.length === 0) throw new CoreError('invalid', 'Write a comment for the decision.');
  const decided: { conflict?: ConflictRecord } = {};
  try {
    decideForClinician(
      deps.db(),
      conflictId,
      { choice: decision === 'release' ? 'mine' : 'theirs', decidedBy: reviewer.userId },
      {
        check(conflict) {
          if (clinicianAccess(deps, conflict).allowed)
            throw new CoreError('conflict', 'Its clinician has access to this patient again: the decision is theirs.');
        },
        record(conflict) {
          deps.trail().append({
            action: 'sync.conflictDecision',
            outcome: 'success',
            userId: reviewer.userId,
            role: reviewer.role,
            patientId: conflict.patientId,
            resourceRefs: [`${conflict.resourceType}/${conflict.resourceId}`],
            purposeOfUse: REVIEW_PURPOSE,
            detail: `${decision === 'release' ? 'released' : 'discarded'}:${conflict.userId}`,
            justification: text,
          });
          decided.conflict = conflict;
        },
      },
      deps.clock,
    );
  } catch (error) {
    if (error instanceof ConflictError) throw new CoreError(error.code, error.message);
    throw error;
  }
  if (!decided.conflict) throw new Error('decision not recorded');
  return decided.conflict;
}
