import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeIfExists, writeFileAtomic } from '../base/index.ts';
import { VaultError } from './errors.ts';
import { openLockDatabase, type Database } from './sqlcipher.ts';

/**
 * One owner per cache: whoever opens the vault (the app, the web host, an IT command) holds an
 * exclusive lock on the cache folder until it closes it, and a second opener is refused with
 * IN_USE instead of writing beside it (two writers lost acknowledged notes to a key rotation, and
 * half their writes to SQLITE_BUSY_SNAPSHOT).
 *
 * The lock is SQLite's own file locking on an empty database beside the cache (`cache.owner`),
 * held by an exclusive transaction that stays open: fcntl on Linux and macOS,
 * LockFileEx on Windows, the same locks SQLite trusts for its own databases, and the operating
 * system releases them when the process dies however it dies, so a crash never leaves the cache
 * locked. `cache.owner.json` beside it only says who holds it, for the message; it is never what
 * decides.
 */
export interface OwnerLock {
  release(): void;
}

export interface Holder {
  pid: number;
  program: string;
  host: string;
  since: string;
}

const who = (): Holder => ({
  pid: process.pid,
  program: path.basename(process.argv[1] ?? process.argv0),
  host: os.hostname(),
  since: new Date().toISOString(),
});

export function ownerFiles(dataDir: string): { lock: string; holder: string } {
  return { lock: path.join(dataDir, 'cache.owner'), holder: path.join(dataDir, 'cache.owner.json') };
}

function readHolder(file: string): Holder | null {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Holder>;
    return typeof value.pid === 'number' && typeof value.since === 'string' ? (value as Holder) : null;
  } catch {
    return null;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** Takes the cache folder for this process; throws VaultError IN_USE when another holds it. */
export function acquireOwnerLock(dataDir: string): OwnerLock {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const files = ownerFiles(dataDir);
  let db: Database | null = null;
  try {
    db = openLockDatabase(files.lock);
    // An exclusive transaction left open holds the lock until the connection closes; nothing is
    // ever written (the file stays empty, the journal stays in memory), so holding it changes
    // nothing on disk.
    db.pragma('journal_mode = MEMORY');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db?.close();
    if (!isBusy(error)) throw error;
    const holder = readHolder(files.holder);
    const named = holder
      ? `process ${holder.pid} (${holder.program} on ${holder.host}, since ${holder.since})`
      : 'another process';
    throw new VaultError('IN_USE', `The cache in ${dataDir} is held by ${named}.`);
  }
  try {
    writeFileAtomic(files.holder, JSON.stringify(who()));
  } catch {
    // Who holds the cache only informs a second opener's message; a full disk must not stop the owner.
  }
  const held = db;
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      removeIfExists(files.holder);
      held.close();
    },
  };
}
