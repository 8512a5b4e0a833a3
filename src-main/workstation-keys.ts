/**
 * The workstation's two secrets together: the cache key (the vault's) and the audit key (the
 * audit trail's). The vault knows nothing of the audit key, so wiping or recovering a workstation
 * is composed here, for the IT command line and the core alike.
 */
import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { eraseAuditKey, unwrapAuditKey } from './audit/index.ts';
import { readIfExists, removeIfExists, writeFileAtomic } from './base/index.ts';
import type { Logger } from './log/index.ts';
import { KeychainUnavailableError, type KeyStore } from './ports.ts';
import { acquireOwnerLock, eraseVault, prepareVaultRecovery, releaseAndRemove, VaultError } from './vault/index.ts';

async function fromKeychain<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof KeychainUnavailableError) throw new VaultError('KEYCHAIN_UNAVAILABLE', error.message);
    throw error;
  }
}

/**
 * Crypto-erase: the keys go first (the audit key, then the cache key inside eraseVault), so the
 * files are unreadable before they are removed. Works on a cache that cannot be opened.
 */
export async function eraseWorkstation(options: {
  dataDir: string;
  keyStore: KeyStore;
}): Promise<{ removed: string[] }> {
  const dataDir = path.resolve(options.dataDir);
  if (!fs.existsSync(dataDir)) return { removed: [] };
  // Held throughout: nobody opens the cache between its two keys going.
  const lock = acquireOwnerLock(dataDir);
  try {
    const audit = await fromKeychain(() => eraseAuditKey(options.keyStore, dataDir));
    const { removed } = await eraseVault({ ...options, lock });
    return { removed: audit.escrowRemoved ? [...removed, 'audit.key-escrow.jwe'] : removed };
  } finally {
    releaseAndRemove(lock, dataDir);
  }
}

/**
 * IT recovery after a lost keychain: the cache key (proved to open the cache), then the audit key
 * from its own escrow when the keychain lost it too.
 */
export async function recoverWorkstation(options: {
  dataDir: string;
  keyStore: KeyStore;
  privateKeyPem: string;
  logger: Logger;
}): Promise<void> {
  const lock = acquireOwnerLock(path.resolve(options.dataDir));
  try {
    // Both keys unwrapped and proved before either is stored: a damaged audit escrow must not
    // leave the cache key restored and the trail unverifiable (both, or neither).
    const cache = await prepareVaultRecovery({ ...options, lock });
    try {
      const audit = await fromKeychain(() =>
        unwrapAuditKey(options.keyStore, options.dataDir, createPrivateKey(options.privateKeyPem), cache.db),
      );
      await cache.store();
      await fromKeychain(async () => audit?.store());
    } finally {
      cache.close();
    }
  } finally {
    lock.release();
  }
}

/**
 * A remote wipe's marker (`wiped.json` beside where the cache was): it outlives the erase, so a
 * wiped workstation never silently starts afresh. It is written *before* the keys go: a crash
 * in the middle leaves the marker, and the next start finishes the erase (wiped workstations
 * open only to say so). It holds ids and a time, never PHI. `ws enroll` removes it.
 */
export interface WipedMarker {
  wipedAt: string;
  workstationId: string;
  taskId: string;
}

const markerFile = (dataDir: string) => path.join(path.resolve(dataDir), 'wiped.json');

export function markWiped(dataDir: string, marker: WipedMarker): void {
  writeFileAtomic(markerFile(dataDir), `${JSON.stringify(marker)}\n`);
}

/** The marker, or null; a marker that does not parse still counts (fail closed). */
export function wipedMarkerOf(dataDir: string): WipedMarker | null {
  const text = readIfExists(markerFile(dataDir));
  if (text === null) return null;
  try {
    const parsed = JSON.parse(text) as Partial<WipedMarker>;
    return {
      wipedAt: String(parsed.wipedAt ?? 'unknown'),
      workstationId: String(parsed.workstationId ?? 'unknown'),
      taskId: String(parsed.taskId ?? 'unknown'),
    };
  } catch {
    return { wipedAt: 'unknown', workstationId: 'unknown', taskId: 'unknown' };
  }
}

/** IT's re-enrollment: the folder may hold a new cache again. */
export function clearWipedMarker(dataDir: string): boolean {
  return removeIfExists(markerFile(dataDir));
}
