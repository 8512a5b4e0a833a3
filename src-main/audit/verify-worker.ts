/**
 * One slice of a parallel audit verification (verify-parallel.ts), in a worker thread: its own
 * read-only connection to the cache, the entries from `from` to `to`, each checked against the
 * stored hash of the one before. Answers with the first entry that does not verify, if any; the
 * caller then locates and classifies it with the sequential walk.
 *
 * Imports stay within files Node can load without a build step (its type stripping), so the same
 * file runs under tsx, under Vitest and, built, in the packaged app.
 */
import { timingSafeEqual } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase, type Database } from '../vault/sqlcipher.ts';
import { CANONICAL_SQL } from './entry.ts';
import { createEntryMac } from './mac.ts';

export interface SliceRequest {
  file: string;
  dbKey: string;
  auditKey: Uint8Array;
  from: number;
  to: number;
  previous: Uint8Array;
}

export interface SliceResult {
  checked: number;
  /** The first entry in the slice that is missing or does not verify; null when all do. */
  firstBad: number | null;
}

/** Checks one slice on the given connection (the worker's own, or the caller's for its share). */
export function verifySliceOn(db: Database, request: Omit<SliceRequest, 'file' | 'dbKey'>): SliceResult {
  const mac = createEntryMac(Buffer.from(request.auditKey));
  let previous: Buffer = Buffer.from(request.previous);
  let expected = request.from;
  let checked = 0;
  const rows = db.prepare(`SELECT seq, ${CANONICAL_SQL}, hash FROM audit_log WHERE seq BETWEEN ? AND ? ORDER BY seq`).raw();
  for (const [seq, canonical, hash] of rows.iterate(request.from, request.to) as IterableIterator<[number, string, Buffer]>) {
    if (seq !== expected) return { checked, firstBad: expected };
    const computed = mac(previous, canonical);
    if (computed.length !== hash.length || !timingSafeEqual(computed, hash)) return { checked, firstBad: seq };
    previous = hash;
    expected = seq + 1;
    checked++;
  }
  return { checked, firstBad: expected <= request.to ? expected : null };
}

function verifySlice(request: SliceRequest): SliceResult {
  const db = openDatabase(request.file, request.dbKey, { readonly: true });
  try {
    return verifySliceOn(db, request);
  } finally {
    db.close();
  }
}

if (parentPort) {
  try {
    parentPort.postMessage({ ok: true, result: verifySlice(workerData as SliceRequest) });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: error instanceof Error ? error.name : 'unknown' });
  }
}
