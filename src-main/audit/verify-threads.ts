import { cpus } from 'node:os';

/**
 * How many threads a parallel audit verification uses (verify-parallel.ts), decided from the work
 * left and from the cores idle right now, so that it is never slower than the calling thread alone.
 *
 * A worker pays off only on a core nobody else is using: on a busy core it takes time from the
 * program already there, and from the calling thread when that one shares its core, while its
 * start-up (a thread, an isolate, its modules and its own SQLCipher connection) and its cold page
 * cache are pure cost. So:
 * - at most one thread per idle core besides the calling thread's (a core counts when it was at
 *   least half idle: a worker still gets half of it, and the shared counter hands it less);
 * - only as many threads as each has enough entries to repay a worker's start-up: with k threads
 *   every thread's share must take at least REPAY start-ups' time at the measured one-thread rate.
 *   With a start-up s and R ms of work left for one thread, k threads take about s + (R - s) / k,
 *   faster as soon as R > s; asking R >= REPAY·k·s leaves room for a start 2k times slower than
 *   assumed (a loaded machine), a worker slower than this thread (its cold page cache, a shared
 *   physical core) and the wait for its last chunk;
 * - never more threads than cores, and always at least one: the calling thread.
 */
export interface VerifyThreadsInput {
  /** Entries still to check. */
  entries: number;
  /** Cores this process may use (os.availableParallelism()). */
  cores: number;
  /** Cores left idle while the calling thread was verifying (idleCoresSince). */
  idleCores: number;
  /** The calling thread's measured rate, entries per millisecond. */
  entriesPerMs: number;
  /** A worker's start-up, from `new Worker` to its first chunk, in ms (WORKER_START_MS unless given). */
  workerStartMs?: number;
  /** The least entries per thread before one more thread is worth it; derived from the two above unless given. */
  perThreadMinEntries?: number;
}

/**
 * A worker's start-up, measured on the 2-core development machine (a thread and an isolate, the
 * worker's modules, its SQLCipher connection, up to its first chunk): from source, as the CLI and
 * the bench run it (Node strips the types in the thread, whose first use alone costs about 30 ms),
 * 80 to 119 ms, median about 95 ms; built, as the packaged app runs it, 33 to 42 ms. The higher
 * figures, rounded up, keep the rule on the safe side: a faster start only means the workers would
 * have paid off sooner.
 */
export const WORKER_START_MS = 120;
export const BUILT_WORKER_START_MS = 50;
/** How many start-ups' worth of verifying each thread's share must take. */
export const REPAY = 2;

export function chooseVerifyThreads(input: VerifyThreadsInput): number {
  const cores = Math.max(1, Math.floor(input.cores));
  const byIdle = 1 + Math.max(0, Math.round(input.idleCores));
  const perThread =
    input.perThreadMinEntries ?? REPAY * (input.workerStartMs ?? WORKER_START_MS) * Math.max(0, input.entriesPerMs);
  const byWork = perThread > 0 ? Math.floor(input.entries / perThread) : 1;
  return Math.max(1, Math.min(cores, byIdle, byWork));
}

/**
 * Whether a worker takes the next chunk (verify-worker.ts), `left` entries being left from it on:
 * only if it would finish the chunk before the other threads would finish all that is left
 * without it; otherwise the caller would wait for a slow worker's last chunk (its core became
 * busy). Rates in entries per ms, summed over the other threads; an unknown (0) rate says take it.
 */
export function worthTaking(chunkSize: number, left: number, ownRate: number, othersRate: number): boolean {
  if (!(ownRate > 0 && othersRate > 0)) return true;
  return Math.min(chunkSize, left) / ownRate <= left / othersRate;
}

/**
 * How busy the machine is, sampled as the time every CPU spent idle (os.cpus(), the kernel's own
 * counters: /proc/stat on Linux, host_processor_info on macOS, the processor performance counters
 * on Windows, where os.loadavg() is always 0). Read at the start and at the end of a stretch of
 * verifying by the calling thread, it gives the cores that stayed idle beside it, now, without
 * spending any time on the measurement itself. The load average was not used: it is an average
 * over the last minute (a machine busy for ten seconds still looks idle), it includes this
 * process's own recent work, and on Linux it counts tasks waiting on the disk.
 * The counters tick in 10 ms steps on Linux: over 50 ms the estimate is within 0.2 of a core per
 * CPU, and the rounding in chooseVerifyThreads takes a core as idle from half of it.
 */
export interface CpuSample {
  at: number;
  idleMs: number;
}

export function sampleCpus(): CpuSample {
  return { at: performance.now(), idleMs: cpus().reduce((sum, cpu) => sum + cpu.times.idle, 0) };
}

/**
 * Cores idle on average since `before` (the calling thread's own core was busy verifying, so it is
 * not among them). No counters (os.cpus() empty, as on some restricted systems): none idle, so no
 * workers.
 */
export function idleCoresSince(before: CpuSample, after: CpuSample = sampleCpus()): number {
  const elapsed = after.at - before.at;
  if (!(elapsed > 0) || after.idleMs <= 0) return 0;
  return Math.max(0, (after.idleMs - before.idleMs) / elapsed);
}
