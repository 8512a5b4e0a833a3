import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Database } from '../vault/index.ts';
import { GENESIS_HASH } from './entry.ts';
import { verifyAnchor, verifyAuditTrail, verifyHead, type VerifyReport } from './verify.ts';
import { verifyChunksOn, type ChunkedRequest, type SliceResult } from './verify-worker.ts';

/**
 * Verification on every core: each link of the chain is checked against the stored hash of the
 * entry before it, so chunks of the trail can be checked at the same time, by this thread and by
 * workers, each with its own connection. When every slice verifies, the head is checked as in the
 * sequential walk; when one does not, the sequential walk runs to locate and classify the first
 * problem exactly (a tampered trail is the rare case; its report must be the same either way).
 * Small trails are walked sequentially: starting workers costs more than it saves.
 */
export interface ParallelVerifyOptions {
  db: Database;
  /** The cache file and its key, for the workers' own connections. */
  file: string;
  dbKey: string;
  auditKey: Buffer;
  workers?: number;
  /** Below this many entries, no workers. */
  minEntries?: number;
  /** Entries per chunk (tests use small ones so chunk boundaries fall inside a small trail). */
  chunkSize?: number;
}

const CHUNK_SIZE = 5_000;

const WORKER_URL = new URL(`./verify-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

function runWorker(request: ChunkedRequest): Promise<SliceResult> {
  return new Promise((resolve, reject) => {
    // No loader flags from the parent (tsx in development): the built worker is plain JavaScript,
    // and from source Node strips the types of this file and its imports by itself.
    const worker = new Worker(WORKER_URL, { workerData: request, execArgv: [] });
    worker.once('message', (message: { ok: true; result: SliceResult } | { ok: false; error: string }) => {
      if (message.ok) resolve(message.result);
      else reject(new Error(`An audit verification worker failed (${message.error}).`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`An audit verification worker exited with ${code}.`));
    });
  });
}

export async function verifyAuditTrailParallel(options: ParallelVerifyOptions): Promise<VerifyReport> {
  const { db } = options;
  const workers = Math.max(1, options.workers ?? availableParallelism());
  const anchor = db.prepare('SELECT through_seq AS seq, anchor_hash AS hash FROM audit_retention').get() as
    { seq: number; hash: Buffer } | undefined;
  // The anchor's own MAC is checked by the sequential walk, which any problem falls back to; here
  // the first slice starts from it, and the head check below closes the chain.
  const bounds = db.prepare('SELECT min(seq) AS lo, max(seq) AS hi, count(*) AS n FROM audit_log').get() as {
    lo: number | null;
    hi: number | null;
    n: number;
  };
  if (workers === 1 || bounds.n < (options.minEntries ?? 50_000) || bounds.lo === null || bounds.hi === null)
    return verifyAuditTrail(db, options.auditKey);

  const first = (anchor?.seq ?? 0) + 1;
  const last = bounds.hi;
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
  };
  const running = Array.from({ length: workers - 1 }, () =>
    runWorker({ ...request, file: options.file, dbKey: options.dbKey }),
  );
  const settled = Promise.allSettled(running);
  const own = verifyChunksOn(db, request);
  const others = await settled;
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
