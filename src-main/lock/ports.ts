/**
 * The side effects the lock controller needs. The Electron shell feeds them from `powerMonitor`
 * and the real timers; the web host feeds them from the window's input; tests pass fakes. The
 * controller never touches global timers or OS APIs itself, so every path is deterministic in tests.
 */

/** OS events that lock at once. The shell maps Electron's names onto these. */
export type PowerEvent =
  /** powerMonitor 'lock-screen' (and the screen saver where the OS reports it as a lock). */
  | 'lock-screen'
  /** powerMonitor 'suspend': the machine is going to sleep; nobody is watching the screen. */
  | 'suspend'
  /**
   * Fast user switching: powerMonitor 'user-did-resign-active' (macOS). On Windows, switching user
   * locks the session first, which already arrives as 'lock-screen'.
   */
  | 'session-switch';

export interface PowerEvents {
  /** Calls `listener` for every OS event until the returned function is called. */
  subscribe(listener: (event: PowerEvent) => void): () => void;
  /**
   * Whole seconds since the last input anywhere on the machine, rounded down as
   * powerMonitor.getSystemIdleTime does (the web host derives it from window input). Return null where the platform cannot tell:
   * Electron on Linux Wayland returns 0 forever (electron/electron#34826), and because OS input
   * can only postpone a lock, a stuck 0 would keep the session open for ever. null, a non-finite
   * or negative value, or a throw are all treated as "no information", which fails closed.
   */
  getSystemIdleSeconds(): number | null;
}

/** Opaque handle returned by `Timers.setTimeout`. */
export type TimerHandle = unknown;

/** setTimeout/clearTimeout, measured on a monotonic clock as the real ones are. */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemTimers: Timers = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
