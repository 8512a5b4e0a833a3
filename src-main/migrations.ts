/**
 * The cache's schema: each capability's migrations, in the order their versions were given out.
 * The vault runs this list without knowing whose tables it creates. A new capability adds its
 * migrations here with the next free version.
 */
import { alertsMigrations } from './alerts/index.ts';
import { auditLargeTables, auditMigrations, auditSalvage } from './audit/index.ts';
import { breakGlassMigrations } from './break-glass/index.ts';
import { draftsMigrations } from './drafts/index.ts';
import { fleetMigrations } from './fleet/index.ts';
import { identityMigrations } from './identity/index.ts';
import { recordsLargeTables, recordsMigrations, recordsSalvage } from './records/index.ts';
import { syncLargeTables, syncMigrations, syncSalvage } from './sync/index.ts';
import type { Migration, SalvageTable } from './vault/index.ts';

export const workstationMigrations: readonly Migration[] = [
  ...recordsMigrations,
  ...identityMigrations,
  ...auditMigrations,
  ...breakGlassMigrations,
  ...syncMigrations,
  ...fleetMigrations,
  ...alertsMigrations,
  ...draftsMigrations,
].sort((a, b) => a.version - b.version);

// A gap or a repeated version would skip or re-run a capability's tables on someone's cache.
workstationMigrations.forEach((migration, index) => {
  if (migration.version !== index + 1)
    throw new Error(`Schema migrations must be numbered 1..n; found ${migration.version} at ${index + 1}.`);
});

export const LATEST_SCHEMA_VERSION = workstationMigrations.length;

/** The tables too large to read whole at every open (the full check, `ws vault check`, reads them). */
export const largeTables: readonly string[] = [...recordsLargeTables, ...auditLargeTables, ...syncLargeTables];

/** What a salvage reads, most precious first: unsynced changes, then records, then the audit trail. */
export const salvageTables: readonly SalvageTable[] = [...syncSalvage, ...recordsSalvage, ...auditSalvage];
