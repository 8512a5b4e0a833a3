import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chooseVerifyThreads,
  idleCoresSince,
  REPAY,
  WORKER_START_MS,
  worthTaking,
  type VerifyThreadsInput,
} from '../../src-main/audit/verify-threads.ts';

/** The development machine's figures: 2 cores, about 230 entries per ms on one thread. */
const base: VerifyThreadsInput = { entries: 190_000, cores: 2, idleCores: 1, entriesPerMs: 230 };

describe('audit verify threads', () => {
  it('uses one thread on a busy machine, however large the trail', () => {
    expect(chooseVerifyThreads({ ...base, idleCores: 0 })).toBe(1);
    expect(chooseVerifyThreads({ ...base, idleCores: 0.3 })).toBe(1);
    expect(chooseVerifyThreads({ ...base, entries: 10_000_000, cores: 16, idleCores: 0.2 })).toBe(1);
  });

  it('uses both cores of an idle 2-core machine for a large trail', () => {
    expect(chooseVerifyThreads(base)).toBe(2);
    // Measured idle a little under or over one core (the counters tick in 10 ms steps).
    expect(chooseVerifyThreads({ ...base, idleCores: 0.7 })).toBe(2);
    expect(chooseVerifyThreads({ ...base, idleCores: 1.3 })).toBe(2);
  });

  it('uses one thread for a small trail, where a worker would not repay its start-up', () => {
    const repaid = REPAY * WORKER_START_MS * base.entriesPerMs; // entries each thread needs
    expect(chooseVerifyThreads({ ...base, entries: 20_000 })).toBe(1);
    expect(chooseVerifyThreads({ ...base, entries: 2 * repaid - 1 })).toBe(1);
    expect(chooseVerifyThreads({ ...base, entries: 2 * repaid })).toBe(2);
    // A slower start-up or an explicit floor moves the line.
    expect(chooseVerifyThreads({ ...base, workerStartMs: 1_000 })).toBe(1);
    expect(chooseVerifyThreads({ ...base, perThreadMinEntries: 100_000 })).toBe(1);
    expect(chooseVerifyThreads({ ...base, entries: 0 })).toBe(1);
  });

  it('adds threads with the work and the idle cores, one per idle core at most', () => {
    const big = { ...base, cores: 8, entries: 10_000_000 };
    expect(chooseVerifyThreads({ ...big, idleCores: 3 })).toBe(4);
    expect(chooseVerifyThreads({ ...big, idleCores: 7 })).toBe(8);
    // Enough idle cores but work for only three threads.
    expect(chooseVerifyThreads({ ...big, idleCores: 7, entries: 3.5 * REPAY * WORKER_START_MS * 230 })).toBe(3);
  });

  it('never uses more threads than cores, nor fewer than one', () => {
    // os.cpus() can list CPUs this process may not run on (affinity, containers).
    expect(chooseVerifyThreads({ ...base, idleCores: 7, entries: 10_000_000 })).toBe(2);
    fc.assert(
      fc.property(
        fc.record({
          entries: fc.nat(),
          cores: fc.integer({ min: 1, max: 256 }),
          idleCores: fc.double({ min: 0, max: 300, noNaN: true }),
          entriesPerMs: fc.double({ min: 0, max: 10_000, noNaN: true }),
          workerStartMs: fc.double({ min: 0, max: 1_000, noNaN: true }),
        }),
        (input) => {
          const threads = chooseVerifyThreads(input);
          expect(Number.isInteger(threads)).toBe(true);
          expect(threads).toBeGreaterThanOrEqual(1);
          expect(threads).toBeLessThanOrEqual(input.cores);
          expect(threads).toBeLessThanOrEqual(1 + Math.round(input.idleCores));
        },
      ),
    );
  });

  it('reads the idle cores from the CPU counters, none when there are none', () => {
    expect(idleCoresSince({ at: 0, idleMs: 1_000 }, { at: 50, idleMs: 1_050 })).toBe(1);
    expect(idleCoresSince({ at: 0, idleMs: 1_000 }, { at: 50, idleMs: 1_000 })).toBe(0);
    expect(idleCoresSince({ at: 0, idleMs: 0 }, { at: 50, idleMs: 0 })).toBe(0);
    expect(idleCoresSince({ at: 10, idleMs: 5 }, { at: 10, idleMs: 9 })).toBe(0);
  });

  it('lets a worker take a chunk only if it finishes it before the others would finish the rest', () => {
    // As fast as the calling thread: takes chunks to the very last one.
    expect(worthTaking(5_000, 5_000, 230, 230)).toBe(true);
    expect(worthTaking(5_000, 1, 230, 230)).toBe(true);
    // Ten times slower (its core became busy): only while 10 chunks' worth or more is left.
    expect(worthTaking(5_000, 50_000, 23, 230)).toBe(true);
    expect(worthTaking(5_000, 49_999, 23, 230)).toBe(false);
    // No rate yet (its first chunk), or nobody else measured: take it.
    expect(worthTaking(5_000, 5_000, 0, 230)).toBe(true);
    expect(worthTaking(5_000, 5_000, 23, 0)).toBe(true);
  });
});
