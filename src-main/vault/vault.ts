import fs from 'node:fs';
import path from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import type { Policy } from '../../src-shared/policy/schema.ts';
import type { Logger } from '../log/index.ts';
import { readIfExists, removeIfExists, syncDirectory, writeFileAtomic } from '../base/index.ts';
import {
  EscrowKeyError,
  escrowIsIntact,
  escrowTagFile,
  parseRecoveryPublicKey,
  recoveryKeyThumbprint,
  unwrapCacheKey,
  wrapCacheKey,
  writeEscrow,
} from './escrow.ts';
import { VaultError } from './errors.ts';
import { vaultFiles, type VaultFiles } from './files.ts';
import { generateCacheKey, isCacheKey, keyCheckValue, keyMatchesCheck, keychainAccounts } from './key-material.ts';
import { KeychainUnavailableError, type KeyStore } from '../ports.ts';
import { runMigrations, schemaVersion, type Migration } from './migrations.ts';
import { applyConnectionSettings, isNotADatabase, openDatabase, storageFailure, type Database } from './sqlcipher.ts';
import { acquireOwnerLock, ownerFiles, type OwnerLock } from './owner-lock.ts';

/**
 * The vault: the workstation's encrypted cache (PRODUCT.md capability 1). It opens the SQLCipher
 * database with the key held in the OS keychain, creates a cache only where none exists, and
 * fails closed with a typed VaultError in every other case.
 */
export interface VaultOptions {
  dataDir: string;
  keyStore: KeyStore;
  policy: Policy['vault'];
  logger: Logger;
  /** The cache's schema, in version order: every capability's tables (src-main/migrations.ts). */
  migrations: readonly Migration[];
  /**
   * Traces of a cache kept by others (the audit key, its escrow): with any of them and no
   * database, the vault refuses to start afresh. Named for the message.
   */
  otherTraces?: readonly { name: string; inKeychain: boolean }[];
  /**
   * Tables too large to read at every open (records, the audit log): the quick check at open
   * reads every other table whole; `checkVault` reads everything.
   */
  largeTables?: readonly string[];
}

/** SQLCipher v4's page size: a cache file is always a whole number of these. */
const PAGE_SIZE = 4096;

export interface Vault {
  readonly db: Database;
  readonly files: VaultFiles;
  readonly schemaVersion: number;
  /** True when the current key is also wrapped for the recovery key named in policy. */
  readonly escrowed: boolean;
  /** True when the escrow was found damaged at this open and written again from the live key. */
  readonly escrowRepaired: boolean;
  /** Re-encrypt the cache under a new random key; safe against a crash at any point. */
  rotateKey(): Promise<void>;
  /**
   * What a worker thread of this process needs to open its own read-only connection (audit
   * verification on several cores). The key never leaves the process.
   */
  readerAccess(): { file: string; key: string };
  close(): void;
}

async function fromKeychain<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof KeychainUnavailableError) throw new VaultError('KEYCHAIN_UNAVAILABLE', error.message);
    throw error;
  }
}

async function readKey(keyStore: KeyStore, account: string): Promise<string | null> {
  const value = await fromKeychain(() => keyStore.get(account));
  if (value === null) return null;
  // Anything else under our account is not our key; treat it as a key that cannot open the cache.
  return isCacheKey(value) ? value : 'invalid';
}

/** Opens the cache for this process alone (owner-lock.ts): a second opener gets IN_USE. */
export async function openVault(options: VaultOptions): Promise<Vault> {
  const lock = acquireOwnerLock(path.resolve(options.dataDir));
  try {
    return await openHeld(options, lock);
  } catch (error) {
    lock.release();
    throw asDiskFull(error, path.resolve(options.dataDir)) ?? error;
  }
}

/**
 * A full disk told as such, wherever it met the open: nothing is damaged, space is missing.
 * SQLite reports some of it as plain I/O errors (creating the shared-memory file of the log on a
 * full disk is SQLITE_IOERR), so an I/O error on a disk with no space left counts too.
 */
export function asDiskFull(error: unknown, dataDir: string): VaultError | null {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const ioError = code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN');
  if (storageFailure(error) !== 'diskFull' && !(ioError && freeBytes(dataDir) < 1024 * 1024)) return null;
  return new VaultError('DISK_FULL', `The disk holding the cache in ${dataDir} is full (${code || 'no space left'}).`);
}

function freeBytes(dir: string): number {
  try {
    const stats = fs.statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

async function openHeld(options: VaultOptions, lock: OwnerLock): Promise<Vault> {
  const dataDir = path.resolve(options.dataDir);
  const files = vaultFiles(dataDir);
  const accounts = keychainAccounts(dataDir);
  const current = await readKey(options.keyStore, accounts.current);
  const next = await readKey(options.keyStore, accounts.next);

  if (!fs.existsSync(files.db)) {
    // A cache is created only where there is no trace of one (a half-made one is built again).
    const interruptedCreate = fs.existsSync(files.staging);
    const traces = [
      ...(current !== null || next !== null ? ['its key in the OS keychain'] : []),
      ...[
        files.keyCheck,
        files.escrow,
        files.escrowNext,
        ...['-wal', '-shm', '-journal'].map((suffix) => files.db + suffix),
      ]
        .filter((file) => fs.existsSync(file))
        .map((file) => path.basename(file)),
      ...(options.otherTraces ?? []).map((trace) => trace.name),
    ];
    if (!interruptedCreate && traces.length > 0) {
      throw new VaultError(
        'DATABASE_MISSING',
        `The cache file ${files.db} is missing, but a cache was here: ${traces.join(', ')}.`,
      );
    }
    await createCache(files, accounts, options);
    return openHeld(options, lock);
  }
  const { db, key } = unlockExisting(files, current, next, {}, () => keyMissing(options));
  try {
    if (next !== null || fs.existsSync(files.rotation))
      await settleRotation(files, accounts, options, key === next && key !== current ? key : null);
    applyConnectionSettings(db);
    const schemaVersion = runMigrations(db, options.migrations);
    quickCheck(db, options.largeTables ?? []);
    const { escrowed, repaired } = await ensureEscrow(files, key, options);
    options.logger.log('info', 'vault.opened', { schemaVersion, escrowed });
    return makeVault(db, key, files, accounts, options, schemaVersion, { escrowed, repaired }, lock);
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Opens an existing cache file with the keychain's key, or says exactly why not: cut short,
 * no key, a key that does not open it, a key that should but cannot (damage).
 */
function unlockExisting(
  files: VaultFiles,
  current: string | null,
  next: string | null,
  connection: { readonly?: boolean; salvage?: boolean } = {},
  keyMissingError?: () => VaultError,
): { db: Database; key: string } {
  const dataDir = files.dataDir;
  // Every cache is made whole (under a staging name) before it takes this name: a file shorter
  // than one page, or not a whole number of pages, was cut short. SQLite would take an empty file
  // for a new database and start afresh.
  const size = fs.statSync(files.db).size;
  // A salvage reads what is left of a file cut short, all the same.
  if (!connection.salvage && (size < PAGE_SIZE || size % PAGE_SIZE !== 0)) {
    throw new VaultError(
      'CORRUPT',
      `The cache file ${files.db} is ${size} bytes: it was cut short (a cache is whole pages of ${PAGE_SIZE} bytes).`,
    );
  }

  if (current === null && next === null) {
    throw keyMissingError
      ? keyMissingError()
      : new VaultError('KEY_MISSING', `No key for the cache in ${dataDir} is in the OS keychain.`);
  }

  // The current key first: if a rotation was cut off before its commit, SQLite rolls the hot
  // journal back with the key that wrote it. Only then the key of a rotation that committed.
  const candidates = [current, next].filter((k): k is string => k !== null && k !== 'invalid');
  let opened: { db: Database; key: string } | null = null;
  for (const key of candidates) {
    try {
      opened = { db: openDatabase(files.db, key, connection), key };
      break;
    } catch (error) {
      if (!isNotADatabase(error))
        throw (
          asDiskFull(error, dataDir) ??
          new VaultError('CORRUPT', `The cache could not be read: ${(error as Error).message}`)
        );
    }
  }
  if (!opened) {
    const check = readIfExists(files.keyCheck);
    if (check && candidates.some((key) => keyMatchesCheck(key, check))) {
      throw new VaultError('CORRUPT', `The key is right but the cache file ${files.db} cannot be decrypted.`);
    }
    throw new VaultError('WRONG_KEY', `The key in the keychain does not open the cache in ${dataDir}.`);
  }

  return opened;
}

/**
 * KEY_MISSING, told apart: a keychain that still holds this cache's other entries (the audit key,
 * its anchor) lost the cache key's entry; one that holds none of them is most likely not the
 * keychain that held them (a new, empty keyring started in place of the user's own).
 */
function keyMissing(options: VaultOptions): VaultError {
  const dataDir = path.resolve(options.dataDir);
  const answered = options.keyStore.describe?.() ?? 'the OS keychain';
  const others = (options.otherTraces ?? []).filter((trace) => trace.inKeychain);
  return new VaultError(
    'KEY_MISSING',
    others.length > 0
      ? `The cache key's entry was removed from ${answered}, which still holds ${others.map((trace) => trace.name).join(' and ')} of the cache in ${dataDir}.`
      : `${answered} answered but holds none of this cache's entries (${dataDir}): it is most likely not the keychain that held them, for example a new, empty keyring started in place of the user's own. Look for that keyring before recovering.`,
  );
}

/**
 * The quick check at open: every page of every table but the large ones (and their indexes and
 * full-text shadow tables), so the outbox, conflicts, grants, PINs and the audit head are known to
 * be readable before anyone relies on them. A damaged page is CORRUPT (SQLCipher's page HMAC, or
 * SQLite's structure checks).
 */
export function quickCheck(db: Database, largeTables: readonly string[]): void {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'")
    .pluck()
    .all() as string[];
  const large = (name: string) => largeTables.some((table) => name === table || name.startsWith(`${table}_`));
  for (const table of tables.filter((name) => !large(name))) {
    let result: unknown;
    try {
      result = db
        .prepare(`PRAGMA quick_check("${table.replaceAll('"', '""')}")`)
        .pluck()
        .get();
    } catch (error) {
      result = (error as Error).message;
    }
    if (result !== 'ok')
      throw new VaultError('CORRUPT', `The cache's table ${table} is damaged: ${String(result).slice(0, 200)}`);
  }
}

/**
 * The full check (`ws vault check`): every page of the cache read and checked, the large tables
 * too. Null when it is whole, else the first problem SQLite reports.
 */
export function checkVault(db: Database): string | null {
  try {
    const result = db.prepare('PRAGMA quick_check').pluck().all() as string[];
    return result.length === 1 && result[0] === 'ok' ? null : result.slice(0, 3).join('; ').slice(0, 300);
  } catch (error) {
    return (error as Error).message.slice(0, 300);
  }
}

/**
 * Opens the cache to read it beside the process that holds it (the app): `ws status` and
 * `ws audit verify` while the app runs. No lock, no migration, no escrow, no rotation settled:
 * a read-only connection, which SQLite's WAL lets see the holder's committed state safely.
 */
export async function openVaultReadOnly(options: {
  dataDir: string;
  keyStore: KeyStore;
  logger: Logger;
  /** For `ws vault salvage`: read a damaged cache as far as it goes (no size check). */
  salvage?: boolean;
}): Promise<ReadOnlyVault> {
  const dataDir = path.resolve(options.dataDir);
  const files = vaultFiles(dataDir);
  if (!fs.existsSync(files.db)) throw new VaultError('DATABASE_MISSING', `There is no cache in ${dataDir}.`);
  const accounts = keychainAccounts(dataDir);
  const { db, key } = unlockExisting(
    files,
    await readKey(options.keyStore, accounts.current),
    await readKey(options.keyStore, accounts.next),
    { readonly: true, salvage: options.salvage ?? false },
  );
  db.pragma('busy_timeout = 5000');
  return {
    db,
    files,
    schemaVersion: schemaVersion(db),
    escrowed: fs.existsSync(files.escrow),
    readerAccess: () => ({ file: files.db, key }),
    close: () => db.close(),
  };
}

/** A cache opened to read beside its holder: the parts of a Vault that do not change it. */
export type ReadOnlyVault = Pick<Vault, 'db' | 'files' | 'schemaVersion' | 'escrowed' | 'readerAccess' | 'close'>;

/**
 * A new cache is built under a staging name and renamed into place only when it is complete:
 * its key in the keychain, its escrow and key check beside it. A crash before the rename leaves
 * only the staging file, which the next start discards and builds again.
 */
async function createCache(
  files: VaultFiles,
  accounts: ReturnType<typeof keychainAccounts>,
  options: VaultOptions,
): Promise<void> {
  fs.mkdirSync(files.dataDir, { recursive: true, mode: 0o700 });
  for (const file of [files.staging, ...files.companions.filter((f) => f.startsWith(files.staging))])
    removeIfExists(file);
  const key = generateCacheKey();
  const escrow = options.policy.recoveryPublicKeyPem
    ? await wrapForPolicy(key, options.policy.recoveryPublicKeyPem)
    : null;

  const db = openDatabase(files.staging, key);
  try {
    applyConnectionSettings(db);
    runMigrations(db, options.migrations);
  } finally {
    db.close();
  }
  await fromKeychain(() => options.keyStore.set(accounts.current, key));
  await fromKeychain(() => options.keyStore.delete(accounts.next));
  if (escrow) writeEscrow(files.escrow, escrow, key);
  else removeIfExists(files.escrow);
  removeIfExists(files.escrowNext);
  writeFileAtomic(files.keyCheck, keyCheckValue(key));
  fs.renameSync(files.staging, files.db);
  syncDirectory(files.dataDir);
  options.logger.log('info', 'vault.created', { escrowed: escrow !== null });
}

async function wrapForPolicy(key: string, pem: string): Promise<string> {
  try {
    return await wrapCacheKey(key, pem);
  } catch (error) {
    throw new VaultError(
      'ESCROW_FAILED',
      error instanceof EscrowKeyError ? error.message : 'The recovery key could not wrap the cache key.',
    );
  }
}

/**
 * Keeps the escrow in step with the key and the policy's recovery key (IT may add one later), and
 * whole: one whose integrity tag does not match (damaged, or from before tags) is written again.
 */
async function ensureEscrow(
  files: VaultFiles,
  key: string,
  options: VaultOptions,
): Promise<{ escrowed: boolean; repaired: boolean }> {
  const pem = options.policy.recoveryPublicKeyPem;
  if (!pem) return { escrowed: false, repaired: false };
  const existing = readIfExists(files.escrow);
  let wanted: string;
  try {
    wanted = recoveryKeyThumbprint(parseRecoveryPublicKey(pem).key);
  } catch (error) {
    throw new VaultError('ESCROW_FAILED', (error as Error).message);
  }
  const forThisKey = existing !== null && escrowKid(existing) === wanted;
  if (forThisKey && escrowIsIntact(files.escrow, key)) return { escrowed: true, repaired: false };
  // A tag missing beside an escrow of this key is a cache from before tags, not damage.
  const repaired = forThisKey && fs.existsSync(escrowTagFile(files.escrow));
  writeEscrow(files.escrow, await wrapForPolicy(key, pem), key);
  options.logger.log(repaired ? 'warn' : 'info', repaired ? 'vault.escrow-repaired' : 'vault.escrow-written');
  return { escrowed: true, repaired };
}

function escrowKid(jwe: string): string | null {
  try {
    return (decodeProtectedHeader(jwe.trim()).kid as string | undefined) ?? null;
  } catch {
    return null;
  }
}

/**
 * Finishes or abandons a rotation found in flight at open. `committedKey` is the new key when
 * the database opened only with it (the rekey committed); null when the old key still opens it.
 */
async function settleRotation(
  files: VaultFiles,
  accounts: ReturnType<typeof keychainAccounts>,
  options: VaultOptions,
  committedKey: string | null,
): Promise<void> {
  if (committedKey) {
    if (fs.existsSync(files.escrowNext)) {
      fs.renameSync(files.escrowNext, files.escrow);
      if (fs.existsSync(escrowTagFile(files.escrowNext)))
        fs.renameSync(escrowTagFile(files.escrowNext), escrowTagFile(files.escrow));
    }
    writeFileAtomic(files.keyCheck, keyCheckValue(committedKey));
    await fromKeychain(() => options.keyStore.set(accounts.current, committedKey));
    options.logger.log('warn', 'vault.rotation-completed-after-interruption');
  } else {
    removeWithCompanions(files.rotation);
    removeIfExists(files.escrowNext);
    removeIfExists(escrowTagFile(files.escrowNext));
    options.logger.log('warn', 'vault.rotation-abandoned-after-interruption');
  }
  await fromKeychain(() => options.keyStore.delete(accounts.next));
}

function removeWithCompanions(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) removeIfExists(file + suffix);
}

function makeVault(
  initialDb: Database,
  initialKey: string,
  files: VaultFiles,
  accounts: ReturnType<typeof keychainAccounts>,
  options: VaultOptions,
  schemaVersion: number,
  escrow: { escrowed: boolean; repaired: boolean },
  lock: OwnerLock,
): Vault {
  let db = initialDb;
  let key = initialKey;
  return {
    get db() {
      return db;
    },
    files,
    schemaVersion,
    escrowed: escrow.escrowed,
    escrowRepaired: escrow.repaired,
    readerAccess: () => ({ file: files.db, key }),
    /**
     * Rotation never rewrites the live file in place: the cache is copied (VACUUM INTO, still
     * encrypted under the current key), the copy is re-encrypted under the new key, and the
     * copy is renamed over the database in one atomic step. A crash before the rename leaves
     * the old cache and old key untouched; after it, the new key is already in the keychain.
     */
    async rotateKey() {
      const nextKey = generateCacheKey();
      const pem = options.policy.recoveryPublicKeyPem;
      // 1. The new key is safe in the keychain (and escrowed) before a single page uses it.
      if (pem) writeEscrow(files.escrowNext, await wrapForPolicy(nextKey, pem), nextKey);
      await fromKeychain(() => options.keyStore.set(accounts.next, nextKey));
      // 2. A complete copy, re-encrypted under the new key; the live cache is not touched.
      removeWithCompanions(files.rotation);
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.prepare('VACUUM INTO ?').run(files.rotation);
      const copy = openDatabase(files.rotation, key);
      try {
        copy.pragma(`rekey="x'${nextKey}'"`);
      } finally {
        copy.close();
      }
      openDatabase(files.rotation, nextKey).close();
      // 3. Swap: close the live connection (its WAL is checkpointed and removed), rename the copy.
      db.close();
      for (const suffix of ['-wal', '-shm']) removeIfExists(files.db + suffix);
      fs.renameSync(files.rotation, files.db);
      syncDirectory(files.dataDir);
      key = nextKey;
      db = openDatabase(files.db, key);
      applyConnectionSettings(db);
      // 4. Promote the new key; a crash from here on is finished by settleRotation at next open.
      await settleRotation(files, accounts, options, key);
      options.logger.log('info', 'vault.key-rotated');
    },
    close() {
      if (db.open) db.close();
      lock.release();
    },
  };
}

/**
 * Crypto-erase of the cache for decommissioning and remote wipe: the keychain entries are
 * destroyed first, so the ciphertext is unreadable from that moment, then the database, its
 * companions and the escrow are removed. Works on a cache that cannot be opened. The audit key is
 * the audit capability's: whoever wipes the workstation erases both (src-main/workstation-keys.ts).
 */
export async function eraseVault(options: {
  dataDir: string;
  keyStore: KeyStore;
  lock?: OwnerLock;
}): Promise<{ removed: string[] }> {
  const dataDir = path.resolve(options.dataDir);
  if (!fs.existsSync(dataDir)) return { removed: [] };
  const lock = options.lock ?? acquireOwnerLock(dataDir);
  try {
    const files = vaultFiles(dataDir);
    const accounts = keychainAccounts(dataDir);
    await fromKeychain(() => options.keyStore.delete(accounts.current));
    await fromKeychain(() => options.keyStore.delete(accounts.next));
    const removed = [
      files.db,
      ...files.companions,
      files.staging,
      files.keyCheck,
      files.escrow,
      files.escrowNext,
      escrowTagFile(files.escrow),
      escrowTagFile(files.escrowNext),
    ].filter(removeIfExists);
    syncDirectory(dataDir);
    return { removed: removed.map((file) => path.basename(file)) };
  } finally {
    if (!options.lock) releaseAndRemove(lock, dataDir);
  }
}

/** After a wipe the folder holds no cache: its owner lock goes too. */
export function releaseAndRemove(lock: OwnerLock, dataDir: string): void {
  lock.release();
  const { lock: file } = ownerFiles(dataDir);
  for (const suffix of ['', '-journal']) removeIfExists(file + suffix);
}

/**
 * IT recovery: unwrap the escrowed key with IT's private key, prove it opens this cache, and put
 * it back in the keychain. Nothing changes unless the key opens the cache.
 */
export async function recoverVault(options: {
  dataDir: string;
  keyStore: KeyStore;
  privateKeyPem: string;
  logger: Logger;
  lock?: OwnerLock;
}): Promise<void> {
  const recovery = await prepareVaultRecovery(options);
  try {
    await recovery.store();
  } finally {
    recovery.close();
  }
}

/**
 * The first half of IT recovery: the escrowed key unwrapped with IT's private key and proved to
 * open this cache, nothing stored yet. The open connection lets the caller prove the other keys
 * (the audit key) before `store()` puts the cache key back in the keychain: both or neither.
 */
export async function prepareVaultRecovery(options: {
  dataDir: string;
  keyStore: KeyStore;
  privateKeyPem: string;
  logger: Logger;
  lock?: OwnerLock;
}): Promise<{ db: Database; store(): Promise<void>; close(): void }> {
  const dataDir = path.resolve(options.dataDir);
  const files = vaultFiles(dataDir);
  if (!fs.existsSync(files.db)) throw new VaultError('DATABASE_MISSING', `There is no cache in ${dataDir} to recover.`);
  const lock = options.lock ?? acquireOwnerLock(dataDir);
  try {
    const { db, key } = await unwrapEscrowedKey(files, options.privateKeyPem);
    const accounts = keychainAccounts(dataDir);
    return {
      db,
      async store() {
        await fromKeychain(() => options.keyStore.set(accounts.current, key));
        await fromKeychain(() => options.keyStore.delete(accounts.next));
        writeFileAtomic(files.keyCheck, keyCheckValue(key));
        options.logger.log('info', 'vault.recovered');
      },
      close() {
        db.close();
        if (!options.lock) lock.release();
      },
    };
  } catch (error) {
    if (!options.lock) lock.release();
    throw error;
  }
}

async function unwrapEscrowedKey(files: VaultFiles, privateKeyPem: string): Promise<{ db: Database; key: string }> {
  let privateKey;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch {
    throw new EscrowKeyError('The private key is not a PEM private key.');
  }
  const escrows = [files.escrow, files.escrowNext].map(readIfExists).filter((text): text is string => text !== null);
  if (escrows.length === 0)
    throw new EscrowKeyError(`No escrowed key was found in ${files.dataDir}.`, 'ESCROW_DAMAGED');
  for (const jwe of escrows) {
    let key: string;
    try {
      key = await unwrapCacheKey(jwe, privateKey);
    } catch {
      continue;
    }
    try {
      return { db: openDatabase(files.db, key), key };
    } catch {
      continue;
    }
  }
  throw new EscrowKeyError('The private key does not unwrap an escrowed key that opens this cache.');
}

/**
 * The keychain, asked now (IT's status screen): reachable, and still holding the key the open
 * cache runs under. A key removed or replaced since the open is the next start's KEY_MISSING or
 * WRONG_KEY, so IT sees it before then. The key itself is compared, never shown.
 */
export async function keychainHoldsKey(
  vault: Pick<Vault, 'files' | 'readerAccess'>,
  keyStore: KeyStore,
): Promise<{ reachable: boolean; keyPresent: boolean }> {
  try {
    const stored = await keyStore.get(keychainAccounts(vault.files.dataDir).current);
    return { reachable: true, keyPresent: stored !== null && stored === vault.readerAccess().key };
  } catch {
    return { reachable: false, keyPresent: false };
  }
}
