/**
 * The router: the only entry into the core from a window. Validate against the contract, check
 * the session and the permission, call the capability's handler, map its refusal to an IPC code,
 * audit the outcome (audit-outcome.ts).
 */
export {
  createRouter,
  type Handler,
  type HandlerContext,
  type Handlers,
  type RequestOutcome,
  type RouterDeps,
  type ServedPatient,
  type Session,
} from './router.ts';
export { createOutcomeAuditor, requestAuditInput, requestAuditInputs } from './audit-outcome.ts';
