import type { TimerHandle, Timers } from '../../src-main/ports.ts';
import type { Clock } from '../../src-main/ports.ts';

/**
 * Real time that a test can move forward: the clock is the system clock plus an offset, timers
 * are real timers, and advancing the offset runs at once every timer that is now due, in order.
 * The end-to-end tests use it to let a break-glass grant expire without waiting an hour.
 */
export interface ShiftableTime extends Clock, Timers {
  advance(ms: number): void;
}

export function createShiftableTime(): ShiftableTime {
  let offset = 0;
  let nextId = 1;
  const pending = new Map<number, { due: number; callback: () => void; real: ReturnType<typeof setTimeout> }>();
  const now = () => Date.now() + offset;
  const fire = (id: number) => {
    const timer = pending.get(id);
    if (!timer) return;
    pending.delete(id);
    clearTimeout(timer.real);
    timer.callback();
  };
  return {
    now,
    setTimeout(callback, delayMs): TimerHandle {
      const id = nextId++;
      pending.set(id, { due: now() + delayMs, callback, real: setTimeout(() => fire(id), delayMs) });
      return id;
    },
    clearTimeout(handle) {
      const timer = pending.get(handle as number);
      if (timer) clearTimeout(timer.real);
      pending.delete(handle as number);
    },
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('Time only moves forward.');
      offset += ms;
      for (;;) {
        const due = [...pending.entries()].filter(([, t]) => t.due <= now()).sort((a, b) => a[1].due - b[1].due)[0];
        if (!due) break;
        fire(due[0]);
      }
    },
  };
}
