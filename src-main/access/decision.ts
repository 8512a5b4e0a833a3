import { rolePermissions, type Permission, type Role } from '../../src-shared/access/roles.ts';
import type { CareRelationship } from '../records/index.ts';

/**
 * The authorization decision: may this user do this action on this patient's data, and why.
 * Pure (no I/O, no clock): the caller supplies the care relationships (records capability) and the
 * user's active break-glass grants (break-glass capability, already filtered for expiry), so the
 * rules can be property-tested and benchmarked on their own. authorize.ts adds the lookup.
 *
 * Rules (PRODUCT.md capability 4, minimum necessary):
 * - a role may only ever use the permissions of its role (src-shared/access/roles.ts);
 * - demographics: any patient (and patient search, patientId null) for the roles that have it;
 * - emergency access (asking for break-glass): one named patient, by role;
 * - clinical read/write: only for one named patient, and only when the user's practitioner is on
 *   the patient's care team (CareTeam member, Encounter participant or general practitioner) or the
 *   user holds an active break-glass grant for that patient; otherwise the chart is "restricted";
 * - audit and workstation administration: by role alone (they carry no clinical data).
 */

export interface AccessUser {
  readonly userId: string;
  readonly role: Role;
  /** The FHIR Practitioner the user is (from the identity token); null for staff without one. */
  readonly practitionerId: string | null;
}

/** An active (unexpired, not ended) break-glass grant: one user, one patient. */
export interface ActiveGrant {
  readonly grantId: string;
  readonly userId: string;
  readonly patientId: string;
  /** When the grant ends (epoch ms), for the window's banner; not part of the decision. */
  readonly expiresAt?: number;
}

export interface AccessRequest {
  readonly user: AccessUser;
  readonly action: Permission;
  /** The patient whose data the request touches; null for requests not about one patient (search). */
  readonly patientId: string | null;
  /** Relationships between user.practitionerId and patientId (practitionerRelationships). */
  readonly relationships: readonly CareRelationship[];
  readonly activeGrants: readonly ActiveGrant[];
}

export type AccessBasis = CareRelationship | 'breakGlass' | 'role';

export type DenialReason =
  /** The role never has this permission (front desk and clinical data, IT admin and PHI, ...). */
  | 'role'
  /** Clinical data requested without naming one patient, or with an empty patient id. */
  | 'noPatient'
  /** A clinician outside the patient's care team without a break-glass grant: "restricted". */
  | 'notOnCareTeam';

export type AccessDecision =
  | { readonly allowed: true; readonly basis: CareRelationship | 'role' }
  | { readonly allowed: true; readonly basis: 'breakGlass'; readonly grantId: string }
  | { readonly allowed: false; readonly reason: DenialReason };

/** What the UI shows for a patient: the whole chart, demographics only, or nothing. */
export type ChartAccess = 'full' | 'restricted' | 'none';

const CLINICAL_ACTIONS: ReadonlySet<string> = new Set<Permission>(['patient.clinical.read', 'patient.clinical.write']);
const PATIENT_ACTIONS: ReadonlySet<string> = new Set<Permission>([
  'patient.demographics.read',
  'patient.emergencyAccess',
  ...CLINICAL_ACTIONS,
] as Permission[]);
/** Actions that only make sense for one named patient (search is demographics without one). */
const ONE_PATIENT_ACTIONS: ReadonlySet<string> = new Set<Permission>([
  'patient.emergencyAccess',
  ...CLINICAL_ACTIONS,
] as Permission[]);

/** role -> permissions as a Set, built once; an unknown role or action finds nothing (fail closed). */
const PERMISSIONS_BY_ROLE: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries(rolePermissions).map(([role, permissions]) => [role, new Set<string>(permissions)]),
);

// Decisions without per-request data are shared, frozen objects: nothing to allocate on the hot path.
const freeze = <T extends AccessDecision>(decision: T): T => Object.freeze(decision);
const DENY_ROLE = freeze({ allowed: false, reason: 'role' });
const DENY_NO_PATIENT = freeze({ allowed: false, reason: 'noPatient' });
const DENY_NOT_ON_CARE_TEAM = freeze({ allowed: false, reason: 'notOnCareTeam' });
const ALLOW_ROLE = freeze({ allowed: true, basis: 'role' });
const ALLOW_CARE_TEAM = freeze({ allowed: true, basis: 'careTeam' });
const ALLOW_ENCOUNTER = freeze({ allowed: true, basis: 'encounter' });
const ALLOW_GENERAL_PRACTITIONER = freeze({ allowed: true, basis: 'generalPractitioner' });

function roleAllows(role: string, action: string): boolean {
  return PERMISSIONS_BY_ROLE.get(role)?.has(action) === true;
}

/** Whether `decide` would read relationships for this request: authorize() skips the lookup otherwise. */
export function needsRelationships(user: AccessUser, action: Permission, patientId: string | null): boolean {
  return (
    CLINICAL_ACTIONS.has(action) &&
    roleAllows(user.role, action) &&
    patientId !== null &&
    patientId !== '' &&
    user.practitionerId !== null &&
    user.practitionerId !== ''
  );
}

export function decide(request: AccessRequest): AccessDecision {
  const { user, action, patientId } = request;
  if (!roleAllows(user.role, action)) return DENY_ROLE;
  if (!PATIENT_ACTIONS.has(action)) return ALLOW_ROLE; // audit.read, workstation.admin
  if (patientId === '') return DENY_NO_PATIENT;
  if (patientId === null && ONE_PATIENT_ACTIONS.has(action)) return DENY_NO_PATIENT;
  // Demographics: any patient, and search. Emergency access: any patient, by role; the grant it
  // leads to is what opens the clinical data, and only for that patient.
  if (!CLINICAL_ACTIONS.has(action)) return ALLOW_ROLE;
  if (patientId === null) return DENY_NO_PATIENT;
  // Relationships describe the user's practitioner; a user without one has none, whatever is passed.
  if (user.practitionerId !== null && user.practitionerId !== '') {
    const relationships = request.relationships;
    if (relationships.includes('careTeam')) return ALLOW_CARE_TEAM;
    if (relationships.includes('encounter')) return ALLOW_ENCOUNTER;
    if (relationships.includes('generalPractitioner')) return ALLOW_GENERAL_PRACTITIONER;
  }
  for (const grant of request.activeGrants) {
    if (grant.patientId === patientId && grant.userId === user.userId) {
      return { allowed: true, basis: 'breakGlass', grantId: grant.grantId };
    }
  }
  return DENY_NOT_ON_CARE_TEAM;
}

/** The chart level for the UI, from the same rules: clinical read decides 'full', demographics 'restricted'. */
export function chartAccessLevel(request: Omit<AccessRequest, 'action'>): ChartAccess {
  if (decide({ ...request, action: 'patient.clinical.read' }).allowed) return 'full';
  if (decide({ ...request, action: 'patient.demographics.read' }).allowed) return 'restricted';
  return 'none';
}

/** Messages for a denied request: they name the rule, never the patient. */
export function denialMessage(reason: DenialReason): string {
  switch (reason) {
    case 'role':
      return 'Your role does not allow this.';
    case 'noPatient':
      return 'Choose a patient first.';
    case 'notOnCareTeam':
      return 'This record is restricted: you are not on this patient\u2019s care team.';
  }
}
