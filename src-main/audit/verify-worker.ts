/**
 * A parallel audit verification's shared work (verify-parallel.ts): the trail cut in chunks that
 * the calling thread and a worker thread take one at a time from a shared counter (so the worker,
 * which starts later, simply takes fewer), each with its own connection, each entry checked
 * against the stored hash of the one before. Answers with the first entry that does not verify,
 * if any; the caller then locates and classifies it with the sequential walk.
 *
 * Imports stay within files Node can load without a build step (its type stripping), so the same
 * file runs under tsx, under Vitest and, built, in the packaged app.
 */
import { timingSafeEqual } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
// A worker thread loads only what it runs (Node strips its types; the vault's public face would
// bring the keychain's native module into the thread): the one module that opens a connection.
import { openDatabase, type Database } from '../vault/sqlcipher.ts';
import { CANONICAL_SQL } from './entry.ts';
import { createEntryMac } from './mac.ts';
import { errorName } from '../base/index.ts';

/** One run of entries to check, from `from` to `to`, after the entry whose hash is `previous`. */
interface Slice {
  auditKey: Uint8Array;
  from: number;
  to: number;
  previous: Uint8Array;
}

export interface ChunkedRequest {
  file: string;
  dbKey: string;
  auditKey: Uint8Array;
  /** The first entry after the retention anchor, and the last entry. */
  first: number;
  last: number;
  chunkSize: number;
  /** The hash before `first` (the anchor's, or the genesis hash). */
  anchorHash: Uint8Array;
  /** One Int32: the next chunk to take. */
  counter: SharedArrayBuffer;
}

export interface SliceResult {
  checked: number;
  /** The first entry in the slice that is missing or does not verify; null when all do. */
  firstBad: number | null;
}

/** Checks one slice on the given connection (the worker's own, or the caller's for its share). */
function verifySliceOn(db: Database, request: Slice): SliceResult {
  const mac = createEntryMac(Buffer.from(request.auditKey));
  let previous: Buffer = Buffer.from(request.previous);
  let expected = request.from;
  let checked = 0;
  const rows = db
    .prepare(`SELECT seq, ${CANONICAL_SQL}, hash FROM audit_log WHERE seq BETWEEN ? AND ? ORDER BY seq`)
    .raw();
  for (const [seq, canonical, hash] of rows.iterate(request.from, request.to) as IterableIterator<
    [number, string, Buffer]
  >) {
    if (seq !== expected) return { checked, firstBad: expected };
    const computed = mac(previous, canonical);
    if (computed.length !== hash.length || !timingSafeEqual(computed, hash)) return { checked, firstBad: seq };
    previous = hash;
    expected = seq + 1;
    checked++;
  }
  return { checked, firstBad: expected <= request.to ? expected : null };
}

/** Takes chunks until none are left (or one fails) and checks them on `db`. */
export function verifyChunksOn(db: Database, request: Omit<ChunkedRequest, 'file' | 'dbKey'>): SliceResult {
  const counter = new Int32Array(request.counter);
  const hashAt = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck();
  let checked = 0;
  for (;;) {
    const from = request.first + Atomics.add(counter, 0, 1) * request.chunkSize;
    if (from > request.last) return { checked, firstBad: null };
    const previous = from === request.first ? request.anchorHash : (hashAt.get(from - 1) as Buffer | undefined);
    if (previous === undefined) return { checked, firstBad: from - 1 };
    const result = verifySliceOn(db, {
      auditKey: request.auditKey,
      from,
      to: Math.min(request.last, from + request.chunkSize - 1),
      previous,
    });
    checked += result.checked;
    if (result.firstBad !== null) return { checked, firstBad: result.firstBad };
  }
}

function verifyInWorker(request: ChunkedRequest): SliceResult {
  const db = openDatabase(request.file, request.dbKey, { readonly: true });
  try {
    return verifyChunksOn(db, request);
  } finally {
    db.close();
  }
}

if (parentPort) {
  try {
    parentPort.postMessage({ ok: true, result: verifyInWorker(workerData as ChunkedRequest) });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: errorName(error) });
  }
}
