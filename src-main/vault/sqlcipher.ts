import { createRequire } from 'node:module';
// The cipher build keeps better-sqlite3's API; its own typings are not reachable through its
// package exports, so the types come from @types/better-sqlite3.
import type BetterSqlite3 from 'better-sqlite3';

export type Database = BetterSqlite3.Database;

const Driver = createRequire(import.meta.url)('better-sqlite3-multiple-ciphers') as typeof BetterSqlite3;

/**
 * Open a database file keyed with a raw 256-bit key, with SQLCipher v4 settings
 * (AES-256-CBC, HMAC-SHA512 per page, 4096-byte pages). `key: null` opens the same schema
 * unencrypted: only the benchmark does that, to measure the cost of encryption side by side.
 */
export function openDatabase(file: string, key: string | null, options: { readonly?: boolean } = {}): Database {
  const db = new Driver(file, { fileMustExist: false, readonly: options.readonly ?? false });
  try {
    if (key !== null) {
      db.pragma(`cipher='sqlcipher'`);
      db.pragma('legacy=4');
      db.pragma(`key="x'${key}'"`);
    }
    // The first read decrypts page 1: a wrong key or a damaged header fails here, before any write.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * The owner lock's small unencrypted database (owner-lock.ts): it holds no data, only the lock.
 * No busy wait: a cache held by another process is refused at once, not after a timeout.
 */
export function openLockDatabase(file: string): Database {
  return new Driver(file, { fileMustExist: false, timeout: 0 });
}

/**
 * Connection settings for the cache: WAL for concurrent reads during sync; synchronous NORMAL,
 * with which a committed transaction survives the app being killed (it is in the WAL, in the OS's
 * hands) and only a power loss can roll back the last commits before the next WAL sync, while a
 * commit costs no fsync (an audit entry per chart view stays cheap). What must survive a power
 * loss too (a break-glass grant, a PIN failure count, a rotated refresh token, a clinician's
 * edit) is written with durably(), which commits with FULL. secure_delete so freed pages are
 * zeroed, temp_store in memory so sorts and temp tables never reach a temp file.
 */
export function applyConnectionSettings(db: Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('secure_delete = ON');
  db.pragma('temp_store = MEMORY');
  db.pragma('foreign_keys = ON');
  // Up to 256 MiB of decrypted pages in memory: every page read from disk costs an HMAC-SHA512
  // check and an AES decryption (about 9 µs for 4 KiB here), so cache hits are what keep
  // search and chart reads close to an unencrypted store. The cache grows only as pages are read.
  db.pragma('cache_size = -262144');
  // The bounded wait for another writer; past it a write fails as BUSY (storageFailure).
  db.pragma('busy_timeout = 5000');
}

/**
 * Runs `write` as one transaction that is on disk when it returns (synchronous=FULL: the WAL is
 * synced at its commit), then returns the connection to NORMAL. Nested inside another
 * transaction it just runs: the outer commit decides, and the caller must make that one durable.
 * Like every write transaction here it begins IMMEDIATE: it takes the write lock before it reads,
 * so another writer makes it wait (up to the busy timeout) instead of failing its upgrade at once
 * with SQLITE_BUSY_SNAPSHOT.
 */
export function durably<T>(db: Database, write: () => T): T {
  if (db.inTransaction) return write();
  db.pragma('synchronous = FULL');
  let result: T;
  try {
    result = db.transaction(write).immediate();
  } finally {
    db.pragma('synchronous = NORMAL');
  }
  for (const listener of durableListeners.get(db.name) ?? []) listener();
  return result;
}

/** Per database file (a rotation reopens the connection; the file stays). */
const durableListeners = new Map<string, Set<() => void>>();

/**
 * Calls `listener` after each durable commit on this database file: everything committed until
 * then is on disk (the audit anchor follows the durable state, never ahead of it). Returns the
 * function that stops it.
 */
export function afterDurableCommit(db: Database, listener: () => void): () => void {
  let set = durableListeners.get(db.name);
  if (!set) durableListeners.set(db.name, (set = new Set()));
  set.add(listener);
  return () => void set.delete(listener);
}

/**
 * A storage failure a person can act on, told apart from a bug: another writer held the cache past
 * the busy timeout ('busy'), the disk is full ('diskFull'), or a page of the cache is damaged
 * ('corrupt'). Null for anything else.
 */
export function storageFailure(error: unknown): 'busy' | 'diskFull' | 'corrupt' | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return 'diskFull';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  return null;
}

/** SQLite's answer when page 1 cannot be decrypted or is not a database page at all. */
export function isNotADatabase(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT';
}

/**
 * Runs a bulk write (the first fill of a cache, a re-seed) with a rollback journal instead of the
 * WAL, then returns to WAL. With SQLCipher every WAL frame is encrypted once when written and
 * again when checkpointed into the database; a rollback journal writes each page once, which
 * halves the encryption work of a large import. Crash safety is the same: the journal restores
 * the last committed state. Needs the only connection to the file, which the vault is.
 */
export function withRollbackJournal<T>(db: Database, write: () => T): T {
  const backToWal = enterRollbackJournal(db);
  try {
    return write();
  } finally {
    backToWal();
  }
}

/**
 * The same for a bulk write that spans awaits (the first pull of a clinic, page after page):
 * returns the function that goes back to WAL. Other writes in between commit through the rollback
 * journal too, as safely.
 */
export function enterRollbackJournal(db: Database): () => void {
  db.pragma('wal_checkpoint(TRUNCATE)');
  // TRUNCATE rather than DELETE: committing empties the journal instead of unlinking it, which
  // spares a directory update per commit; an empty journal is never "hot", so recovery is the same.
  db.pragma('journal_mode = TRUNCATE');
  return () => void db.pragma('journal_mode = WAL');
}
