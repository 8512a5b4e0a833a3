/**
 * Rows of a workstation's encrypted cache, read on a connection of its own while the core keeps
 * its own open (WAL): what a test checks was stored or audited, beside what the window showed.
 */
import path from 'node:path';
import { openDatabase } from '../../src-main/vault/sqlcipher.ts';
import { accountsFor, keyStore } from './keychain.ts';

export async function cacheRows<T>(dataDir: string, sql: string, ...args: unknown[]): Promise<T[]> {
  const db = openDatabase(path.join(dataDir, 'cache.db'), (await keyStore.get(accountsFor(dataDir).current))!);
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}
