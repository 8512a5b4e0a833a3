/**
 * Automatic logoff (HIPAA 164.312(a)(2)(iii), PRODUCT.md capability 3) as a small state machine:
 *
 *   active --(idle >= idle - warning)--> warning --(idle >= idle)--> locked --unlock()--> active
 *      ^                                    |
 *      +------------ any activity ----------+
 *   active | warning --(OS lock, suspend, session switch, lockNow)--> locked
 *
 * Activity is the later of the last renderer input (`reportActivity`) and the last input anywhere
 * on the machine as the OS reports it. OS input can only postpone a lock, never bring it forward,
 * so a missing or broken OS idle source degrades to "window input only", never to "never lock".
 *
 * Polling cadence: before the warning nothing can lock sooner than the warning time computed from
 * what we already know (OS input can only push it later), so the controller sleeps until exactly
 * then and asks the OS once: while someone works in another app that is about one query per
 * (idle - warning), 270 s by default. During the warning it asks every second, so typing in
 * another app dismisses "Locking soon" within a second. One timer is pending in active and
 * warning, none while locked.
 */
import type { z } from 'zod';
import { LockPolicy } from '../../src-shared/policy/schema.ts';
import type { Clock } from '../ports.ts';
import type { PowerEvent, PowerEvents, TimerHandle, Timers } from '../ports.ts';

export type LockState = 'active' | 'warning' | 'locked';
export type LockReason = 'idle' | 'os-lock' | 'suspend' | 'session-switch' | 'manual';
/** Reasons a caller may lock with; 'idle' belongs to the controller's own clock. */
export type ManualLockReason = Exclude<LockReason, 'idle'>;

export type LockEvent =
  /** `deadline`: epoch ms of the idle lock, for the "Locking soon" countdown. */
  { type: 'warning'; deadline: number } | { type: 'locked'; reason: LockReason } | { type: 'active' };

export interface LockSnapshot {
  state: LockState;
  /** Epoch ms when the current state began. */
  since: number;
  timeInStateMs: number;
  /** Epoch ms of the lock while locked (break-glass ends grants on "locked beyond policy"); else null. */
  lockedAt: number | null;
  reason: LockReason | null;
  /** The announced idle deadline while in warning; else null. */
  deadline: number | null;
}

export type LockErrorCode = 'INVALID_POLICY' | 'NOT_LOCKED';

export class LockError extends Error {
  override readonly name = 'LockError';
  constructor(
    readonly code: LockErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface LockControllerOptions {
  /** Validated here with the policy schema, so a controller never runs on nonsense timers. */
  policy: z.input<typeof LockPolicy>;
  clock: Clock;
  timers: Timers;
  power: PowerEvents;
  /**
   * A listener that throws must not keep the others (the renderer clearing PHI) from hearing a
   * lock, so every listener always runs. Its error goes here; without this option the first error
   * is rethrown after all listeners ran.
   */
  onListenerError?: (error: unknown, event: LockEvent) => void;
}

export interface LockController {
  snapshot(): LockSnapshot;
  /** Returns the unsubscribe function. Events arrive in transition order, each exactly once. */
  subscribe(listener: (event: LockEvent) => void): () => void;
  /** Renderer input (through IPC): restarts the idle clock; ignored while locked. */
  reportActivity(): void;
  /** Locks at once; no-op (no event) when already locked, which keeps the first reason and time. */
  lockNow(reason?: ManualLockReason): void;
  /**
   * The caller has verified the PIN. Only valid while locked: anything else means the caller's
   * idea of the state is wrong, so it throws LockError NOT_LOCKED and changes nothing.
   */
  unlock(): void;
  /** Cancels the timer and the OS subscription; the controller is inert afterwards. */
  stop(): void;
}

/** How often the OS idle time is asked for while the warning is shown. */
export const WARNING_POLL_MS = 1000;

const powerReasons: Readonly<Record<PowerEvent, ManualLockReason>> = {
  'lock-screen': 'os-lock',
  suspend: 'suspend',
  'session-switch': 'session-switch',
};

/**
 * One state machine (active -> warning -> locked) in one closure, longer than the core's other
 * functions on purpose: every transition reads and writes the same few variables (state, deadline,
 * timer, subscription), and keeping them in one place is what makes each path checkable by eye and
 * by the unit tests. Split into modules, the transitions would share mutable state across files.
 */
export function createLockController(options: LockControllerOptions): LockController {
  const parsed = LockPolicy.safeParse(options.policy);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'lock'}: ${issue.message}`).join('; ');
    throw new LockError('INVALID_POLICY', `Invalid lock policy: ${detail}`);
  }
  const idleMs = parsed.data.idleSeconds * 1000;
  const warningMs = parsed.data.warningSeconds * 1000;
  const { clock, timers, power, onListenerError } = options;

  // Internal time is clock.now() + skew. The wall clock can be set backwards (by hand, by NTP);
  // taken at face value that would postpone the lock by the size of the jump. Timers run on a
  // monotonic clock, so a timer that fires "before" its due time proves the clock went back, and
  // skew absorbs it; time also never runs backwards between two readings. Forward jumps are
  // indistinguishable from elapsed time and lock early, which fails closed.
  let skew = 0;
  let lastSeen = -Infinity;
  const now = (atLeast = -Infinity): number => {
    const raw = clock.now() + skew;
    const floor = Math.max(lastSeen, atLeast);
    if (raw < floor) skew += floor - raw;
    lastSeen = Math.max(raw, floor);
    return lastSeen;
  };
  const toWall = (t: number): number => t - skew;

  let state: LockState = 'active';
  let since = now();
  let lastActivityAt = since;
  let lockedAt: number | null = null;
  let reason: LockReason | null = null;
  let deadline: number | null = null;
  let pending: { handle: TimerHandle; dueAt: number } | null = null;
  let stopped = false;

  const listeners = new Set<(event: LockEvent) => void>();
  const queue: LockEvent[] = [];
  let emitting = false;

  // Queued so that a listener reacting to one event (say, locking on 'warning') cannot make the
  // listeners after it see the events out of order.
  function emit(event: LockEvent): void {
    queue.push(event);
    if (emitting) return;
    emitting = true;
    const errors: unknown[] = [];
    try {
      for (let next = queue.shift(); next; next = queue.shift()) {
        for (const listener of [...listeners]) {
          try {
            listener(next);
          } catch (error) {
            if (onListenerError) onListenerError(error, next);
            else errors.push(error);
          }
        }
      }
    } finally {
      emitting = false;
    }
    if (errors.length > 0) throw errors[0];
  }

  function cancelTimer(): void {
    if (pending) timers.clearTimeout(pending.handle);
    pending = null;
  }

  function scheduleAt(at: number, t: number): void {
    cancelTimer();
    const delay = Math.max(0, at - t);
    pending = { handle: timers.setTimeout(tick, delay), dueAt: t + delay };
  }

  /**
   * Moves the last activity forward to what the OS saw; never backward, never on bad data. The OS
   * rounds idle time down to whole seconds, so the input was up to a second earlier than the
   * reading says: assume the earliest, which makes an idle lock up to a second early, never late.
   */
  function absorbOsIdle(t: number): void {
    let seconds: number | null;
    try {
      seconds = power.getSystemIdleSeconds();
    } catch {
      return;
    }
    if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return;
    lastActivityAt = Math.max(lastActivityAt, t - (Math.floor(seconds) + 1) * 1000);
  }

  function enter(next: LockState, t: number): void {
    state = next;
    since = t;
  }

  function lock(why: LockReason, t: number): void {
    cancelTimer();
    enter('locked', t);
    lockedAt = t;
    reason = why;
    deadline = null;
    emit({ type: 'locked', reason: why });
  }

  /** Decides the next state from the current idle time and arms the one timer. */
  function evaluate(t: number): void {
    const idleDeadline = lastActivityAt + idleMs;
    const warningAt = idleDeadline - warningMs;
    if (state === 'active') {
      // A timer that fired late (event loop blocked) skips the warning rather than delay the lock.
      if (t >= idleDeadline) return lock('idle', t);
      if (t < warningAt) return scheduleAt(warningAt, t);
      enter('warning', t);
      deadline = idleDeadline;
      scheduleAt(Math.min(t + WARNING_POLL_MS, deadline), t);
      emit({ type: 'warning', deadline: toWall(deadline) });
    } else if (state === 'warning' && deadline !== null) {
      if (t < warningAt) {
        // Activity since the warning began. The announced deadline is kept otherwise: input the
        // OS's whole seconds place just before the warning moves it by under a second, not worth
        // a second countdown.
        enter('active', t);
        deadline = null;
        scheduleAt(warningAt, t);
        return emit({ type: 'active' });
      }
      // Input the OS reported after the warning began can move the deadline later without
      // cancelling the warning (when idle - warning is shorter than the OS's one-second grain):
      // the lock follows the latest deadline, never the one first announced.
      deadline = Math.max(deadline, idleDeadline);
      if (t >= deadline) return lock('idle', t);
      scheduleAt(Math.min(t + WARNING_POLL_MS, deadline), t);
    }
  }

  function tick(): void {
    const dueAt = pending?.dueAt ?? -Infinity;
    pending = null;
    if (stopped || state === 'locked') return;
    const t = now(dueAt);
    absorbOsIdle(t);
    evaluate(t);
  }

  scheduleAt(lastActivityAt + idleMs - warningMs, since);
  let unsubscribePower: () => void;
  try {
    unsubscribePower = power.subscribe((event) => {
      if (stopped || state === 'locked') return;
      lock(powerReasons[event], now());
    });
  } catch (error) {
    cancelTimer();
    throw error;
  }

  return {
    snapshot() {
      const t = now();
      return {
        state,
        since: toWall(since),
        timeInStateMs: t - since,
        lockedAt: lockedAt === null ? null : toWall(lockedAt),
        reason,
        deadline: deadline === null ? null : toWall(deadline),
      };
    },
    subscribe(listener) {
      // Wrapped so the same function subscribed twice gets two independent subscriptions.
      const entry = (event: LockEvent): void => listener(event);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    reportActivity() {
      if (stopped || state === 'locked') return;
      const t = now();
      lastActivityAt = t;
      // In active the pending timer finds the later deadline when it fires: input events stay O(1).
      if (state === 'warning') evaluate(t);
    },
    lockNow(why = 'manual') {
      if (stopped || state === 'locked') return;
      lock(why, now());
    },
    unlock() {
      if (stopped) return;
      if (state !== 'locked') throw new LockError('NOT_LOCKED', `unlock() while ${state}`);
      const t = now();
      enter('active', t);
      lockedAt = null;
      reason = null;
      lastActivityAt = t;
      scheduleAt(t + idleMs - warningMs, t);
      emit({ type: 'active' });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      cancelTimer();
      unsubscribePower();
      listeners.clear();
      queue.length = 0;
    },
  };
}
