import type { Permission } from '../../src-shared/access/roles.ts';
import { practitionerRelationships, type CareRelationship } from '../records/index.ts';
import type { Database } from '../vault/index.ts';
import {
  chartAccessLevel,
  decide,
  needsRelationships,
  type AccessDecision,
  type AccessUser,
  type ActiveGrant,
  type ChartAccess,
} from './decision.ts';

/**
 * The authorization decision with its one input from the cache: the care relationships, looked up
 * only when the decision depends on them (a clinician asking for one patient's clinical data).
 */
export interface AuthorizeInput {
  readonly user: AccessUser;
  readonly action: Permission;
  readonly patientId: string | null;
  readonly activeGrants: readonly ActiveGrant[];
}

const NONE: readonly CareRelationship[] = Object.freeze([]);

export function authorize(db: Database, input: AuthorizeInput): AccessDecision {
  const { user, action, patientId } = input;
  const relationships =
    needsRelationships(user, action, patientId) && user.practitionerId !== null && patientId !== null
      ? practitionerRelationships(db, user.practitionerId, patientId)
      : NONE;
  return decide({ user, action, patientId, relationships, activeGrants: input.activeGrants });
}

/** For the UI: 'full' chart, 'restricted' (demographics; break-glass offered) or 'none'. */
export function chartAccess(
  db: Database,
  user: AccessUser,
  patientId: string,
  activeGrants: readonly ActiveGrant[],
): ChartAccess {
  const relationships =
    needsRelationships(user, 'patient.clinical.read', patientId) && user.practitionerId !== null
      ? practitionerRelationships(db, user.practitionerId, patientId)
      : NONE;
  return chartAccessLevel({ user, patientId, relationships, activeGrants });
}

/** The router's question, asked for a signed-in session (a Session carries what AccessUser needs). */
export function authorizeSession(
  db: Database,
  session: { userId: string; role: AccessUser['role']; practitionerId: string | null },
  action: Permission,
  patientId: string | null,
  activeGrants: readonly ActiveGrant[],
): AccessDecision {
  return authorize(db, {
    user: { userId: session.userId, role: session.role, practitionerId: session.practitionerId },
    action,
    patientId,
    activeGrants,
  });
}
