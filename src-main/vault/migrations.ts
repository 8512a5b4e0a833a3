import { auditSchemaV5 } from '../audit/schema.ts';
import { breakGlassSchemaV6 } from '../break-glass/schema.ts';
import { syncSchemaV7, syncSchemaV8 } from '../sync/schema.ts';
import { identitySchemaV2 } from '../identity/schema.ts';
import { tokenSchemaV3 } from '../identity/token-schema.ts';
import { userSchemaV4 } from '../identity/user-schema.ts';
import { recordsSchemaV1 } from '../records/schema.ts';
import { VaultError } from './errors.ts';
import type { Database } from './sqlcipher.ts';

/**
 * Versioned schema changes, applied in order, each in its own transaction together with the new
 * `user_version`, so a crash leaves the cache at one version or the next, never between.
 * Capabilities own their tables; this list only orders their migrations.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  { version: 1, name: 'records: resources, patients, name index', sql: recordsSchemaV1 },
  { version: 2, name: 'identity: PIN hashes, failures, lockout, offline window', sql: identitySchemaV2 },
  { version: 3, name: 'identity: refresh tokens', sql: tokenSchemaV3 },
  { version: 4, name: 'identity: known users for offline sign-in', sql: userSchemaV4 },
  { version: 5, name: 'audit: append-only hash-chained trail, workstation id', sql: auditSchemaV5 },
  { version: 6, name: 'break-glass: grants and reviews', sql: breakGlassSchemaV6 },
  { version: 7, name: 'sync: pull cursors and diagnostics', sql: syncSchemaV7 },
  { version: 8, name: 'sync: outbox and conflicts', sql: syncSchemaV8 },
];

export const LATEST_SCHEMA_VERSION = migrations.at(-1)?.version ?? 0;

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the cache up to this app's schema; refuses (and touches nothing) if it is newer. */
export function runMigrations(db: Database, available: readonly Migration[] = migrations): number {
  const latest = available.at(-1)?.version ?? 0;
  const current = schemaVersion(db);
  if (current > latest) {
    throw new VaultError(
      'SCHEMA_TOO_NEW',
      `The cache is at schema version ${current}; this app understands up to ${latest}.`,
    );
  }
  for (const migration of available) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return schemaVersion(db);
}
