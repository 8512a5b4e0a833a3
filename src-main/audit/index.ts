/**
 * The audit trail: append-only, HMAC-chained under a key of its own, verified, exported as FHIR
 * AuditEvent and shipped to central. Capabilities append through an AuditTrail; nothing else
 * writes its tables.
 */
export { auditLargeTables, auditMigrations, auditSalvage } from './schema.ts';
export {
  createAuditTrail,
  readCentralContact,
  readWorkstationId,
  recordEnrollment,
  writeCentralContact,
  type AuditTrail,
  type CentralContactRow,
} from './trail.ts';
export type { AuditAction, AuditEntry, AuditInput, AuditOutcome } from './entry.ts';
export {
  loadAuditKey,
  unwrapAuditKey,
  eraseAuditKey,
  auditKeyAccount,
  auditEscrowFile,
  auditKeyTraces,
} from './key.ts';
export { purgeAuditTrail } from './retention.ts';
export { lastShippedAt, pendingAuditCount, refusedAuditCount, retryRefusedAudit, shipAuditTrail } from './ship.ts';
export { createAuditShipper, type AuditShipper } from './shipper.ts';
export { verifyAuditTrail, type VerifyReport } from './verify.ts';
export { verifyAuditTrailParallel } from './verify-parallel.ts';
export { toAuditEvent } from './audit-event.ts';
export {
  anchorOf,
  checkAnchor,
  createAnchorKeeper,
  readAnchor,
  writeAnchor,
  type Anchor,
  type RollbackReport,
} from './anchor.ts';
