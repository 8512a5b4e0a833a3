/**
 * Sync with central's FHIR R4 API: the outbox written with each local change, the push (client
 * ids, If-Match, exactly once), the pull (incremental, paged, validated in a worker), conflicts
 * for a person to resolve, and the engine that runs rounds.
 */
export { syncLargeTables, syncMigrations, syncSalvage } from './schema.ts';
export { createSyncEngine, unenrolledSyncEngine, type SyncEngine } from './engine.ts';
export { createWorkstationSync } from './workstation-sync.ts';
export { createSyncHandlers } from './handlers.ts';
export {
  OutboxError,
  lastPullAt,
  outboxCounts,
  recordLocalChange,
  releaseHeldOf,
  retryHeld,
  syncDiagnosticsCount,
  syncMarksOf,
} from './outbox.ts';
export { createTokenSource } from './tokens.ts';
export { readCentralResource, type CentralResourceRead } from './central-resource.ts';
export { SyncHttpError } from './http.ts';
export { enforceRetention, startCacheRetention, type RetentionResult } from './retention.ts';
export { readPatientTypes, searchCentralPatients, type PatientTypeRead } from './central-patients.ts';
export { pageLimitsOf } from './pull.ts';
export { queuedResourceIds } from './outbox-store.ts';
