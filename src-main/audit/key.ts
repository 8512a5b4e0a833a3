import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { removeIfExists, writeFileAtomic } from '../base/index.ts';
import {
  recoveryKeyThumbprint,
  parseRecoveryPublicKey,
  unwrapCacheKey,
  wrapCacheKey,
  VaultError,
  type Database,
} from '../vault/index.ts';
import { KeychainUnavailableError, type KeyStore } from '../ports.ts';
import { anchorFile, eraseAnchor } from './anchor.ts';

/**
 * The audit key: 256 random bits in the OS keychain, under its own account, never the database
 * key. Someone who can decrypt the cache still cannot rewrite its audit trail undetected.
 */
export function auditKeyAccount(dataDir: string): string {
  return `audit-key:${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16)}`;
}

const AUDIT_ESCROW_PURPOSE = 'clinic-workstation/audit-key/v1';

/** The audit key wrapped for IT's recovery key, beside the cache (the vault's escrow is the cache key's). */
export function auditEscrowFile(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'audit.key-escrow.jwe');
}

/**
 * The cache's audit key, created with its first entry. A trail with entries and no key fails
 * closed (KEY_MISSING): a new key would silently start a chain nobody can relate to the old one.
 * When policy names IT's recovery key, the audit key is escrowed beside the cache like the cache
 * key (audit.key-escrow.jwe), so `ws vault recover` brings both back after a lost keychain.
 */
export async function loadAuditKey(
  keyStore: KeyStore,
  dataDir: string,
  db: Database,
  recoveryPublicKeyPem?: string,
): Promise<Buffer> {
  const account = auditKeyAccount(dataDir);
  let key: Buffer;
  try {
    const stored = await keyStore.get(account);
    if (stored !== null) {
      if (!/^[0-9a-f]{64}$/.test(stored))
        throw new VaultError('WRONG_KEY', 'The audit key in the keychain is not a key this app wrote.');
      key = Buffer.from(stored, 'hex');
    } else {
      const { n } = db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number };
      if (n > 0)
        throw new VaultError('KEY_MISSING', 'The audit trail has entries but its key is not in the OS keychain.');
      key = randomBytes(32);
      await keyStore.set(account, key.toString('hex'));
    }
  } catch (error) {
    if (error instanceof KeychainUnavailableError) throw new VaultError('KEYCHAIN_UNAVAILABLE', error.message);
    throw error;
  }
  if (recoveryPublicKeyPem) await ensureAuditEscrow(dataDir, key, recoveryPublicKeyPem);
  return key;
}

async function ensureAuditEscrow(dataDir: string, key: Buffer, pem: string): Promise<void> {
  const file = auditEscrowFile(dataDir);
  let wanted: string;
  try {
    wanted = recoveryKeyThumbprint(parseRecoveryPublicKey(pem).key);
  } catch (error) {
    throw new VaultError('ESCROW_FAILED', (error as Error).message);
  }
  try {
    if (decodeProtectedHeader(fs.readFileSync(file, 'utf8').trim()).kid === wanted) return;
  } catch {
    // Missing or unreadable: write it.
  }
  writeFileAtomic(file, await wrapCacheKey(key.toString('hex'), pem, AUDIT_ESCROW_PURPOSE));
}

/** After the cache key was recovered: the audit key too, when the keychain lost it and it was escrowed. */
export async function recoverAuditKey(keyStore: KeyStore, dataDir: string, privateKey: KeyObject): Promise<boolean> {
  const account = auditKeyAccount(dataDir);
  if ((await keyStore.get(account)) !== null) return false;
  let jwe: string;
  try {
    jwe = fs.readFileSync(auditEscrowFile(dataDir), 'utf8');
  } catch {
    return false;
  }
  await keyStore.set(account, await unwrapCacheKey(jwe, privateKey, AUDIT_ESCROW_PURPOSE));
  return true;
}

/** What is left of an audit trail's key outside the cache: its keychain entry, its escrow (names only). */
export async function auditKeyTraces(keyStore: KeyStore, dataDir: string): Promise<string[]> {
  let stored: string | null;
  try {
    stored = await keyStore.get(auditKeyAccount(dataDir));
  } catch (error) {
    if (error instanceof KeychainUnavailableError) throw new VaultError('KEYCHAIN_UNAVAILABLE', error.message);
    throw error;
  }
  return [
    ...(stored !== null ? ['the audit key in the OS keychain'] : []),
    ...(fs.existsSync(anchorFile(dataDir)) ? [path.basename(anchorFile(dataDir))] : []),
    ...(fs.existsSync(auditEscrowFile(dataDir)) ? [path.basename(auditEscrowFile(dataDir))] : []),
  ];
}

/** Crypto-erase of the audit key: its keychain entry, then its escrow. */
export async function eraseAuditKey(
  keyStore: KeyStore,
  dataDir: string,
): Promise<{ keyRemoved: boolean; escrowRemoved: boolean }> {
  const keyRemoved = await keyStore.delete(auditKeyAccount(dataDir));
  await eraseAnchor(keyStore, dataDir);
  return { keyRemoved, escrowRemoved: removeIfExists(auditEscrowFile(dataDir)) };
}
