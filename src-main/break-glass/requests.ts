import { CoreError, errorName } from '../base/index.ts';
import { durably } from '../vault/index.ts';
import { insertGrant } from './grant-store.ts';
import { justificationProblem } from './justification.ts';
import type { ReviewDeps } from './review.ts';
import type { ActiveGrant } from '../access/index.ts';

export interface GrantRequest {
  userId: string;
  role: string;
  patientId: string;
  reasonCode: string;
  justification: string;
}

/**
 * One request for emergency access, step by step: checked against policy before the PIN is asked
 * for (so a request that could never be granted costs no PIN attempt), written durably with its
 * justification in the audit trail before anything is shown, or recorded as a denial.
 */
export function checkRequest(
  policy: ReviewDeps['policy'],
  request: GrantRequest,
  activeGrants: () => readonly ActiveGrant[],
): void {
  if (!(policy.roles as string[]).includes(request.role))
    throw new CoreError('forbidden', 'Your role cannot use emergency access on this workstation.');
  if (!policy.reasons.some((r) => r.code === request.reasonCode))
    throw new CoreError('invalid', 'Choose one of the listed reasons.');
  const problem = justificationProblem(request.justification, policy.minJustificationLength);
  if (problem) throw new CoreError('invalid', problem);
  if (activeGrants().some((g) => g.patientId === request.patientId)) {
    throw new CoreError('conflict', 'You already have emergency access to this patient.');
  }
}

/** The grant and its audit entry in one durable transaction; if that write fails, no access. */
export function writeGrant(
  deps: Pick<ReviewDeps, 'db' | 'trail' | 'logger'>,
  request: GrantRequest,
  grant: { grantId: string; startedAt: number; expiresAt: number },
): void {
  try {
    // The justification reaches the disk (synchronous=FULL) before anything is shown.
    durably(deps.db(), () => {
      const justification = request.justification.trim();
      deps.trail().append({
        action: 'breakGlass.start',
        outcome: 'success',
        userId: request.userId,
        role: request.role,
        patientId: request.patientId,
        purposeOfUse: request.reasonCode,
        grantId: grant.grantId,
        detail: `until:${grant.expiresAt}`,
        justification,
      });
      insertGrant(deps.db(), {
        id: grant.grantId,
        userId: request.userId,
        role: request.role,
        patientId: request.patientId,
        reasonCode: request.reasonCode,
        justification,
        startedAt: grant.startedAt,
        expiresAt: grant.expiresAt,
      });
    });
  } catch (error) {
    deps.logger.log('error', 'breakGlass.write-failed', { errorName: errorName(error) });
    throw new CoreError(
      'unavailable',
      'Emergency access could not be recorded, so it was not granted. Try again, or contact IT.',
    );
  }
}

/** A refused request (role, reason, justification, PIN) in the audit trail; never blocks the refusal. */
export function recordDenial(
  deps: Pick<ReviewDeps, 'trail' | 'logger'>,
  request: Pick<GrantRequest, 'userId' | 'role' | 'patientId'>,
  why: string,
): void {
  try {
    deps.trail().append({
      action: 'breakGlass.denied',
      outcome: 'denied',
      userId: request.userId,
      role: request.role,
      patientId: request.patientId,
      detail: why,
    });
  } catch (error) {
    deps.logger.log('error', 'audit.append-failed', { reason: 'breakGlass.denied', errorName: errorName(error) });
  }
}
