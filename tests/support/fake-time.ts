import { expect } from 'vitest';
import type { TimerHandle, Timers } from '../../src-main/ports.ts';
import type { Clock } from '../../src-main/ports.ts';

/**
 * Deterministic time: timers run on a monotonic clock (as real ones do) and `now()` is that clock
 * plus a wall offset that a test may move, to imitate someone setting the system clock.
 */
export class FakeTime implements Clock, Timers {
  mono = 0;
  wallOffset = 1_750_000_000_000;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  /** Called with the clock already at a timer's time, just before the timer runs. */
  beforeFire: () => void = () => undefined;

  now(): number {
    return this.mono + this.wallOffset;
  }
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    expect(Number.isFinite(delayMs) && delayMs >= 0, `delay ${delayMs}`).toBe(true);
    const id = this.nextId++;
    this.timers.set(id, { at: this.mono + delayMs, callback });
    return id;
  }
  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }
  get pending(): number {
    return this.timers.size;
  }
  /** Moves time forward, running each due timer at its own due time, earliest (then oldest) first. */
  advance(ms: number): void {
    const target = this.mono + ms;
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.timers) {
        if (entry[1].at <= target && (!due || entry[1].at < due[1].at)) due = entry;
      }
      if (!due) break;
      this.timers.delete(due[0]);
      this.mono = Math.max(this.mono, due[1].at); // a late timer runs late, never in the past
      this.beforeFire();
      due[1].callback();
    }
    this.mono = target;
  }
}
