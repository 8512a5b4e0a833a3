import { VaultError } from './errors.ts';
import type { Database } from './sqlcipher.ts';

/**
 * Versioned schema changes, applied in order, each in its own transaction together with the new
 * `user_version`, so a crash leaves the cache at one version or the next, never between.
 * Capabilities own their tables and their migrations; the vault knows none of them: whoever opens
 * it (the composition root, src-main/migrations.ts) hands it the ordered list.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the cache up to the given schema; refuses (and touches nothing) if it is newer. */
export function runMigrations(db: Database, available: readonly Migration[]): number {
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
    }).immediate();
  }
  return schemaVersion(db);
}
