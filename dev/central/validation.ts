/**
 * What a real FHIR server checks before it stores a write: the resource against the R4
 * StructureDefinitions (Medplum's validator over the definitions indexed by definitions.ts):
 * cardinality, types, formats of primitives, unknown properties, required elements. Every create
 * and update dev central stores passes through here, whatever the route (POST, PUT, PATCH,
 * conditional create or update, an entry of a batch or transaction Bundle), so the app's writes
 * meet what a strict server would refuse.
 *
 * The issues go back to the client that sent the resource (they name paths and rules, not
 * values); they are never logged.
 */
import { OperationOutcomeError, normalizeOperationOutcome, validateResource } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { indexFhirDefinitions } from './definitions.ts';

/** At most this many issues in one answer: enough to fix a resource, never a flood. */
const MAX_ISSUES = 20;

/** Thrown for a resource the definitions refuse; `outcome` carries the validator's issues. */
export class ValidationFailure extends OperationOutcomeError {
  override readonly name = 'ValidationFailure';
}

/** The validator's errors for `resource` (warnings aside), or null when it is valid. */
export function validationIssues(resource: Resource): OperationOutcomeIssue[] | null {
  indexFhirDefinitions();
  try {
    validateResource(resource);
    return null;
  } catch (error) {
    const issues = (normalizeOperationOutcome(error).issue ?? []).filter(
      (issue) => issue.severity === 'error' || issue.severity === 'fatal',
    );
    return issues.length > 0 ? issues.slice(0, MAX_ISSUES) : null;
  }
}

export function invalidOutcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** Throws a ValidationFailure (HTTP 400 through the router) when the definitions refuse `resource`. */
export function assertValidResource(resource: Resource): void {
  const issues = validationIssues(resource);
  if (!issues) return;
  throw new ValidationFailure(invalidOutcome(issues));
}
