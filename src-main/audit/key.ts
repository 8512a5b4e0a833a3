import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { KeychainUnavailableError, type KeyStore } from '../vault/key-store.ts';
import { VaultError } from '../vault/errors.ts';
import type { Database } from '../vault/sqlcipher.ts';

/**
 * The audit key: 256 random bits in the OS keychain, under its own account, never the database
 * key. Someone who can decrypt the cache still cannot rewrite its audit trail undetected.
 */
export function auditKeyAccount(dataDir: string): string {
  return `audit-key:${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16)}`;
}

/**
 * The cache's audit key, created with its first entry. A trail with entries and no key fails
 * closed (KEY_MISSING): a new key would silently start a chain nobody can relate to the old one.
 */
export async function loadAuditKey(keyStore: KeyStore, dataDir: string, db: Database): Promise<Buffer> {
  const account = auditKeyAccount(dataDir);
  try {
    const stored = await keyStore.get(account);
    if (stored !== null) {
      if (!/^[0-9a-f]{64}$/.test(stored)) throw new VaultError('WRONG_KEY', 'The audit key in the keychain is not a key this app wrote.');
      return Buffer.from(stored, 'hex');
    }
    const { n } = db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number };
    if (n > 0) throw new VaultError('KEY_MISSING', 'The audit trail has entries but its key is not in the OS keychain.');
    const key = randomBytes(32);
    await keyStore.set(account, key.toString('hex'));
    return key;
  } catch (error) {
    if (error instanceof KeychainUnavailableError) throw new VaultError('KEYCHAIN_UNAVAILABLE', error.message);
    throw error;
  }
}

export async function deleteAuditKey(keyStore: KeyStore, dataDir: string): Promise<boolean> {
  return keyStore.delete(auditKeyAccount(dataDir));
}
