import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { readIfExists, removeIfExists } from '../base/index.ts';
import { auditKeyObject, headMac } from './entry.ts';
import {
  EscrowKeyError,
  escrowIsIntact,
  escrowTagFile,
  recoveryKeyThumbprint,
  parseRecoveryPublicKey,
  unwrapCacheKey,
  wrapCacheKey,
  writeEscrow,
  VaultError,
  type Database,
} from '../vault/index.ts';
import { KeychainUnavailableError, type KeyStore } from '../ports.ts';
import { anchorAccount, anchorFile, eraseAnchor } from './anchor.ts';

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
  /** Called when the escrow was found damaged and written again (the caller audits it). */
  onEscrowRepaired?: () => void,
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
  if (recoveryPublicKeyPem && (await ensureAuditEscrow(dataDir, key, recoveryPublicKeyPem))) onEscrowRepaired?.();
  return key;
}

/** Writes the escrow when it is missing, for another recovery key, or damaged; true when damaged. */
async function ensureAuditEscrow(dataDir: string, key: Buffer, pem: string): Promise<boolean> {
  const file = auditEscrowFile(dataDir);
  let wanted: string;
  try {
    wanted = recoveryKeyThumbprint(parseRecoveryPublicKey(pem).key);
  } catch (error) {
    throw new VaultError('ESCROW_FAILED', (error as Error).message);
  }
  let forThisKey = false;
  try {
    forThisKey = decodeProtectedHeader(fs.readFileSync(file, 'utf8').trim()).kid === wanted;
  } catch {
    // Missing or unreadable: write it.
  }
  const hex = key.toString('hex');
  if (forThisKey && escrowIsIntact(file, hex)) return false;
  // No tag beside an escrow of this key: written before tags, not damaged.
  const damaged = forThisKey && fs.existsSync(escrowTagFile(file));
  writeEscrow(file, await wrapCacheKey(hex, pem, AUDIT_ESCROW_PURPOSE), hex);
  return damaged;
}

/**
 * IT recovery of the audit key, prepared but not stored: unwrapped from its escrow and proved
 * against the trail (the head's MAC, or the retention anchor's) with the recovered cache key's
 * connection. Null when the keychain still holds the key, or no entry needs one. Throws
 * EscrowKeyError when the escrow is missing or cannot be opened: the caller then stores nothing.
 */
export async function unwrapAuditKey(
  keyStore: KeyStore,
  dataDir: string,
  privateKey: KeyObject,
  db: Database,
): Promise<{ store(): Promise<void> } | null> {
  const account = auditKeyAccount(dataDir);
  if ((await keyStore.get(account)) !== null) return null;
  const entries = (db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n;
  const jwe = readIfExists(auditEscrowFile(dataDir));
  if (jwe === null) {
    if (entries === 0) return null;
    throw new EscrowKeyError(
      `The audit key's escrow (${path.basename(auditEscrowFile(dataDir))}) is missing; nothing was changed.`,
      'ESCROW_DAMAGED',
    );
  }
  let hex: string;
  try {
    hex = await unwrapCacheKey(jwe, privateKey, AUDIT_ESCROW_PURPOSE);
  } catch {
    throw new EscrowKeyError(
      `The audit key's escrow (${path.basename(auditEscrowFile(dataDir))}) is damaged or not for this private key; nothing was changed.`,
      'ESCROW_DAMAGED',
    );
  }
  if (!auditKeyFits(db, Buffer.from(hex, 'hex'))) {
    throw new EscrowKeyError(
      "The escrowed audit key does not fit this cache's audit trail; nothing was changed.",
      'ESCROW_DAMAGED',
    );
  }
  return { store: () => keyStore.set(account, hex) };
}

/** The key's MAC of the newest entry matches the trail's head (or there is no head yet). */
function auditKeyFits(db: Database, key: Buffer): boolean {
  const head = db.prepare('SELECT seq, mac FROM audit_head').get() as { seq: number; mac: Buffer } | undefined;
  if (!head) return true;
  const hash = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck().get(head.seq) as Buffer | undefined;
  return hash !== undefined && headMac(auditKeyObject(key), head.seq, hash).equals(head.mac);
}

/** What is left of an audit trail's key outside the cache: its keychain entry, its escrow (names only). */
export async function auditKeyTraces(
  keyStore: KeyStore,
  dataDir: string,
): Promise<{ name: string; inKeychain: boolean }[]> {
  const inKeychain = async (account: string): Promise<boolean> => {
    try {
      return (await keyStore.get(account)) !== null;
    } catch (error) {
      if (error instanceof KeychainUnavailableError) throw new VaultError('KEYCHAIN_UNAVAILABLE', error.message);
      throw error;
    }
  };
  const file = (name: string) => ({ name: path.basename(name), inKeychain: false });
  return [
    ...((await inKeychain(auditKeyAccount(dataDir))) ? [{ name: 'the audit key', inKeychain: true }] : []),
    ...((await inKeychain(anchorAccount(dataDir))) ? [{ name: "the audit trail's anchor", inKeychain: true }] : []),
    ...[anchorFile(dataDir), auditEscrowFile(dataDir)].filter((name) => fs.existsSync(name)).map(file),
  ];
}

/** Crypto-erase of the audit key: its keychain entry, then its escrow. */
export async function eraseAuditKey(
  keyStore: KeyStore,
  dataDir: string,
): Promise<{ keyRemoved: boolean; escrowRemoved: boolean }> {
  const keyRemoved = await keyStore.delete(auditKeyAccount(dataDir));
  await eraseAnchor(keyStore, dataDir);
  removeIfExists(escrowTagFile(auditEscrowFile(dataDir)));
  return { keyRemoved, escrowRemoved: removeIfExists(auditEscrowFile(dataDir)) };
}
