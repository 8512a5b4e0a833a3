/**
 * A parallel audit verification's shared work (verify-parallel.ts): the trail cut in chunks that
 * the calling thread and worker threads take one at a time from a shared counter (so a worker,
 * which starts later, simply takes fewer), each with its own connection, each entry checked
 * against the stored hash of the one before. Answers with the first entry that does not verify,
 * if any; the caller then locates and classifies it with the sequential walk.
 *
 * Every thread publishes its rate; a worker takes the next chunk only if it would finish it before
 * the other threads would finish everything left without it, so a worker slowed down (its core
 * became busy) stops rather than make the caller wait for its last chunk. A worker that has not
 * started by the time the caller is done is cancelled: it never takes a chunk.
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
import { worthTaking } from './verify-threads.ts';
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
  /** One Float64 per thread (the calling thread's first): its rate, entries per ms, 0 until known. */
  rates: SharedArrayBuffer;
  /** One Int32 per thread: a worker's WAITING, WORKING or CANCELLED (the calling thread's unused). */
  states: SharedArrayBuffer;
  /** This thread's place in `rates` and `states`: 0 for the calling thread. */
  slot: number;
}

export const WAITING = 0;
export const WORKING = 1;
export const CANCELLED = 2;

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

/** Past any chunk: set when a thread finds a bad entry, so the others stop taking chunks. */
const NO_MORE = 0x7fffffff;

/**
 * The next chunk's index, or null when none is left or, for a worker, when the others would finish
 * all that is left sooner without it (worthTaking; it stops for good then: what is left only
 * shrinks). The calling thread always takes one: it is the one that sees the work through.
 */
function takeChunk(counter: Int32Array, rates: Float64Array, request: ChunkRequest): number | null {
  for (;;) {
    const index = Atomics.load(counter, 0);
    const from = request.first + index * request.chunkSize;
    if (from > request.last) return null;
    if (request.slot !== 0) {
      // The rates are hints, read without a lock (an aligned Float64 is never seen half-written).
      const own = rates[request.slot]!;
      let others = 0;
      for (let i = 0; i < rates.length; i++) if (i !== request.slot) others += rates[i]!;
      if (!worthTaking(request.chunkSize, request.last - from + 1, own, others)) return null;
    }
    if (Atomics.compareExchange(counter, 0, index, index + 1) === index) return index;
  }
}

type ChunkRequest = Omit<ChunkedRequest, 'file' | 'dbKey'>;

/**
 * Takes chunks until none are left (or one fails, or `stopAt`, a performance.now() time, has
 * passed) and checks them on `db`.
 */
export function verifyChunksOn(db: Database, request: ChunkRequest, stopAt = Infinity): SliceResult {
  const counter = new Int32Array(request.counter);
  const rates = new Float64Array(request.rates);
  const hashAt = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck();
  let checked = 0;
  let busyMs = 0;
  const done = (firstBad: number | null): SliceResult => {
    if (firstBad !== null) Atomics.store(counter, 0, NO_MORE);
    // A worker that stops no longer counts among the others.
    if (request.slot !== 0) rates[request.slot] = 0;
    return { checked, firstBad };
  };
  for (;;) {
    if (performance.now() >= stopAt) return done(null);
    const index = takeChunk(counter, rates, request);
    if (index === null) return done(null);
    const started = performance.now();
    const from = request.first + index * request.chunkSize;
    const previous = from === request.first ? request.anchorHash : (hashAt.get(from - 1) as Buffer | undefined);
    if (previous === undefined) return done(from - 1);
    const result = verifySliceOn(db, {
      auditKey: request.auditKey,
      from,
      to: Math.min(request.last, from + request.chunkSize - 1),
      previous,
    });
    checked += result.checked;
    if (result.firstBad !== null) return done(result.firstBad);
    busyMs += performance.now() - started;
    rates[request.slot] = checked / Math.max(busyMs, 0.001);
  }
}

/**
 * All that is left as one slice, on the calling thread when no worker takes part: one walk over
 * the rest, as the sequential one does, with no chunks.
 */
export function verifyRestOn(db: Database, request: ChunkRequest): SliceResult {
  const index = Atomics.exchange(new Int32Array(request.counter), 0, NO_MORE);
  const from = request.first + index * request.chunkSize;
  if (from > request.last) return { checked: 0, firstBad: null };
  const previous =
    from === request.first
      ? request.anchorHash
      : (db
          .prepare('SELECT hash FROM audit_log WHERE seq = ?')
          .pluck()
          .get(from - 1) as Buffer | undefined);
  if (previous === undefined) return { checked: 0, firstBad: from - 1 };
  return verifySliceOn(db, { auditKey: request.auditKey, from, to: request.last, previous });
}

/** Started (its connection open), the worker claims its place, unless the caller already gave up on it. */
function verifyInWorker(request: ChunkedRequest): SliceResult {
  const db = openDatabase(request.file, request.dbKey, { readonly: true });
  try {
    if (Atomics.compareExchange(new Int32Array(request.states), request.slot, WAITING, WORKING) !== WAITING)
      return { checked: 0, firstBad: null };
    parentPort!.postMessage({ ready: true });
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
