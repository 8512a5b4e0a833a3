import type { TimerHandle, Timers } from '../ports.ts';

/**
 * What an owner must undo when it stops: timers it scheduled and listeners it registered. One
 * `dispose()` clears them all, so a stopped session or engine leaves nothing behind to fire.
 */
export interface Disposables {
  /** Keeps a function to call at `dispose()` (an unsubscribe, a close). */
  add(dispose: () => void): void;
  /** setTimeout through the Timers port; the timer is forgotten once it fires or is cancelled. */
  timeout(callback: () => void, delayMs: number): TimerHandle;
  cancel(handle: TimerHandle): void;
  dispose(): void;
}

export function createDisposables(timers: Timers): Disposables {
  const pending = new Set<TimerHandle>();
  const others: (() => void)[] = [];
  return {
    add(dispose) {
      others.push(dispose);
    },
    timeout(callback, delayMs) {
      const handle = timers.setTimeout(
        () => {
          pending.delete(handle);
          callback();
        },
        Math.max(0, delayMs),
      );
      pending.add(handle);
      return handle;
    },
    cancel(handle) {
      if (pending.delete(handle)) timers.clearTimeout(handle);
    },
    dispose() {
      for (const handle of pending) timers.clearTimeout(handle);
      pending.clear();
      for (const dispose of others.splice(0).reverse()) dispose();
    },
  };
}
