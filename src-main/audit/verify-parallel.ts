import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Database } from '../vault/index.ts';
import { GENESIS_HASH } from './entry.ts';
import { verifyAnchor, verifyAuditTrail, verifyHead, type VerifyReport } from './verify.ts';
import {
  BUILT_WORKER_START_MS,
  chooseVerifyThreads,
  idleCoresSince,
  sampleCpus,
  WORKER_START_MS,
} from './verify-threads.ts';
import {
  CANCELLED,
  verifyChunksOn,
  verifyRestOn,
  WAITING,
  type ChunkedRequest,
  type SliceResult,
} from './verify-worker.ts';

/**
 * Verification on several cores: each link of the chain is checked against the stored hash of the
 * entry before it, so chunks of the trail can be checked at the same time, by this thread and by
 * workers, each with its own connection. When every slice verifies, the head is checked as in the
 * sequential walk; when one does not, the sequential walk runs to locate and classify the first
 * problem exactly (a tampered trail is the rare case; its report must be the same either way).
 *
 * How many threads is measured, never assumed (verify-threads.ts): this thread starts verifying
 * alone and, after SAMPLE_MS, knows its own rate, how much is left and how many cores stayed idle
 * beside it; workers start only if the work left repays their start-up, one per idle core, and
 * with none it walks the rest in one go. Small trails are walked sequentially: no worker could pay
 * for itself there.
 */
export interface ParallelVerifyOptions {
  db: Database;
  /** The cache file and its key, for the workers' own connections. */
  file: string;
  dbKey: string;
  auditKey: Buffer;
  /**
   * Exactly this many threads (the calling one included), whatever the machine (tests): this
   * thread joins once the workers have all started, so that each of them takes part.
   */
  workers?: number;
  /** Below this many entries, the sequential walk, without measuring. */
  minEntries?: number;
  /** Entries per chunk (tests use small ones so chunk boundaries fall inside a small trail). */
  chunkSize?: number;
  /** How long this thread verifies alone while measuring: SAMPLE_MS (tests: 0, nothing measured). */
  sampleMs?: number;
  /** Told the threads chosen and what they were chosen from (the bench reports it). */
  onPlan?: (plan: VerifyPlan) => void;
}

export interface VerifyPlan {
  threads: number;
  /** Entries left when the threads were chosen, this thread's rate then, and the idle cores beside it. */
  entries: number;
  entriesPerMs: number;
  idleCores: number;
}

const CHUNK_SIZE = 5_000;
/** How long this thread verifies alone while measuring (see idleCoresSince for the precision). */
const SAMPLE_MS = 50;
/**
 * 20,000 entries take 400 ms even at 50,000 entries/s (a machine four times slower than the
 * development one): less than the 2 × 2 worker start-ups two threads need (verify-threads.ts).
 */
const MIN_ENTRIES = 20_000;

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(`./verify-worker${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);

interface RunningWorker {
  /** Resolves once the worker has started and claimed its place. */
  ready: Promise<void>;
  result: Promise<SliceResult>;
  /**
   * Stops a worker that has not started yet (its result is then nothing checked); false if it has
   * started, or failed (its failure is the verification's, as it always was).
   */
  cancel(): boolean;
}

function runWorker(request: ChunkedRequest): RunningWorker {
  const states = new Int32Array(request.states);
  // No loader flags from the parent (tsx in development): the built worker is plain JavaScript,
  // and from source Node strips the types of this file and its imports by itself.
  const worker = new Worker(WORKER_URL, { workerData: request, execArgv: [] });
  let started: () => void = () => undefined;
  let settled = false;
  let failed = false;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const result = new Promise<SliceResult>((resolve, reject) => {
    const fail = (error: Error) => {
      settled = failed = true;
      reject(error);
    };
    worker.on(
      'message',
      (message: { ready: true } | { ok: true; result: SliceResult } | { ok: false; error: string }) => {
        if ('ready' in message) return started();
        if (message.ok) {
          settled = true;
          resolve(message.result);
        } else fail(new Error(`An audit verification worker failed (${message.error}).`));
      },
    );
    worker.once('error', fail);
    worker.once('exit', (code) => {
      if (!settled) fail(new Error(`An audit verification worker exited with ${code} before answering.`));
    });
  });
  // A worker that fails before it is ready fails the verification through `result`.
  result.catch(() => started());
  return {
    ready,
    result,
    cancel() {
      if (failed || Atomics.compareExchange(states, request.slot, WAITING, CANCELLED) !== WAITING) return false;
      settled = true;
      void worker.terminate();
      return true;
    },
  };
}

export async function verifyAuditTrailParallel(options: ParallelVerifyOptions): Promise<VerifyReport> {
  const { db } = options;
  const forced = options.workers === undefined ? null : Math.max(1, options.workers);
  const anchor = db.prepare('SELECT through_seq AS seq, anchor_hash AS hash FROM audit_retention').get() as
    { seq: number; hash: Buffer } | undefined;
  // The anchor's own MAC is checked by the sequential walk, which any problem falls back to; here
  // the first slice starts from it, and the head check below closes the chain. The last entry is
  // found on the primary key (no count of the whole table): the chunks find any gap.
  const last = (db.prepare('SELECT max(seq) FROM audit_log').pluck().get() as number | null) ?? 0;
  const first = (anchor?.seq ?? 0) + 1;
  if (forced === 1 || last - first + 1 < (options.minEntries ?? MIN_ENTRIES) || last < first)
    return verifyAuditTrail(db, options.auditKey);

  const slots = forced ?? Math.max(1, availableParallelism());
  const hashAt = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck();
  // Small chunks from one shared counter: this thread starts at once, the workers join when they
  // have started, and whoever is free takes the next chunk.
  const request: Omit<ChunkedRequest, 'file' | 'dbKey'> = {
    auditKey: options.auditKey,
    first,
    last,
    chunkSize: options.chunkSize ?? CHUNK_SIZE,
    anchorHash: anchor?.hash ?? GENESIS_HASH,
    counter: new SharedArrayBuffer(4),
    rates: new SharedArrayBuffer(8 * slots),
    states: new SharedArrayBuffer(4 * slots),
    slot: 0,
  };
  const start = (threads: number) =>
    Array.from({ length: threads - 1 }, (_, i) =>
      runWorker({ ...request, file: options.file, dbKey: options.dbKey, slot: i + 1 }),
    );

  let own: SliceResult = { checked: 0, firstBad: null };
  let running: RunningWorker[];
  if (forced !== null) {
    running = start(forced);
    await Promise.all(running.map((w) => w.ready));
  } else {
    // This thread alone for SAMPLE_MS: its rate and the cores idle beside it, at no cost.
    const before = sampleCpus();
    own = verifyChunksOn(db, request, before.at + (options.sampleMs ?? SAMPLE_MS));
    const after = sampleCpus();
    const next = first + Atomics.load(new Int32Array(request.counter), 0) * request.chunkSize;
    const plan: VerifyPlan = {
      threads: 1,
      entries: Math.max(0, last - next + 1),
      entriesPerMs: own.checked / Math.max(after.at - before.at, 0.001),
      idleCores: idleCoresSince(before, after),
    };
    if (own.firstBad === null && plan.entries > 0)
      plan.threads = chooseVerifyThreads({
        ...plan,
        cores: availableParallelism(),
        workerStartMs: FROM_SOURCE ? WORKER_START_MS : BUILT_WORKER_START_MS,
      });
    options.onPlan?.(plan);
    running = start(plan.threads);
  }
  if (own.firstBad === null) {
    const rest = running.length > 0 ? verifyChunksOn(db, request) : verifyRestOn(db, request);
    own = { checked: own.checked + rest.checked, firstBad: rest.firstBad };
  }
  // Done here: a worker that has not started yet will find nothing left, so it is not waited for.
  const others = await Promise.allSettled(
    running.map((w) => (w.cancel() ? Promise.resolve({ checked: 0, firstBad: null }) : w.result)),
  );
  const failed = others.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const results = [own, ...others.map((r) => (r as PromiseFulfilledResult<SliceResult>).value)];
  if (results.some((r) => r.firstBad !== null)) return verifyAuditTrail(db, options.auditKey);
  // Every link verified: what is left is the anchor's MAC and the head check (a removed tail).
  if (anchor && !verifyAnchor(db, options.auditKey)) return verifyAuditTrail(db, options.auditKey);
  return verifyHead(
    db,
    options.auditKey,
    last,
    hashAt.get(last) as Buffer,
    results.reduce((sum, r) => sum + r.checked, 0),
  );
}
