import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createLockController, LockError, WARNING_POLL_MS } from '../../src-main/lock/controller.ts';
import type { LockController, LockEvent, LockState } from '../../src-main/lock/controller.ts';
import type { PowerEvent, PowerEvents } from '../../src-main/ports.ts';
import { FakeTime } from '../support/fake-time.ts';

/** The OS side: input anywhere on the machine, and the power events. */
class FakePower implements PowerEvents {
  lastInputMono: number;
  /** false: the platform cannot tell (getSystemIdleSeconds returns null). */
  available = true;
  queries = 0;
  readonly listeners = new Set<(event: PowerEvent) => void>();
  constructor(private readonly time: FakeTime) {
    this.lastInputMono = time.mono;
  }
  input(): void {
    this.lastInputMono = this.time.mono;
  }
  fire(event: PowerEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
  subscribe(listener: (event: PowerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  getSystemIdleSeconds(): number | null {
    this.queries++;
    return this.available ? Math.floor((this.time.mono - this.lastInputMono) / 1000) : null;
  }
}

const S = 1000;

function setup(policy: { idleSeconds?: number; warningSeconds?: number } = { idleSeconds: 300, warningSeconds: 30 }) {
  const time = new FakeTime();
  const power = new FakePower(time);
  const lock = createLockController({ policy, clock: time, timers: time, power });
  const events: LockEvent[] = [];
  lock.subscribe((event) => events.push(event));
  const start = time.now();
  /** Input in the app's window: the renderer reports it, and the OS sees it too. */
  const windowInput = () => {
    power.input();
    lock.reportActivity();
  };
  return { time, power, lock, events, start, windowInput };
}

describe('164.312(a)(2)(iii) lock controller: idle', () => {
  it('warns at exactly idle - warning with the deadline, and locks at exactly idle', () => {
    const { time, lock, events, start } = setup();
    time.advance(270 * S - 1);
    expect(lock.snapshot().state).toBe('active');
    expect(events).toEqual([]);
    time.advance(1);
    expect(events).toEqual([{ type: 'warning', deadline: start + 300 * S }]);
    expect(lock.snapshot()).toMatchObject({ state: 'warning', deadline: start + 300 * S, since: start + 270 * S });
    time.advance(30 * S - 1);
    expect(lock.snapshot().state).toBe('warning');
    time.advance(1);
    expect(events).toEqual([
      { type: 'warning', deadline: start + 300 * S },
      { type: 'locked', reason: 'idle' },
    ]);
    expect(lock.snapshot()).toMatchObject({
      state: 'locked',
      lockedAt: start + 300 * S,
      reason: 'idle',
      deadline: null,
    });
  });

  it('uses the policy defaults (300 s, warning 30 s) when the policy is empty', () => {
    const { time, events, start } = setup({});
    time.advance(270 * S);
    expect(events).toEqual([{ type: 'warning', deadline: start + 300 * S }]);
  });

  it('renderer activity during the warning cancels it and restarts the idle clock', () => {
    const { time, lock, events, windowInput } = setup();
    time.advance(280 * S);
    windowInput();
    expect(events).toEqual([{ type: 'warning', deadline: expect.any(Number) }, { type: 'active' }]);
    expect(lock.snapshot().state).toBe('active');
    time.advance(270 * S - 1);
    expect(events).toHaveLength(2);
    time.advance(1);
    expect(events.at(-1)).toEqual({ type: 'warning', deadline: time.now() + 30 * S });
  });

  it('renderer activity while active postpones the warning', () => {
    const { time, lock, events, windowInput } = setup();
    time.advance(200 * S);
    windowInput();
    time.advance(269 * S);
    expect(lock.snapshot().state).toBe('active');
    time.advance(1 * S);
    expect(events).toEqual([{ type: 'warning', deadline: time.now() + 30 * S }]);
  });

  it('locks on OS idle time alone, with no input in the window', () => {
    const { time, power, events } = setup();
    time.advance(300 * S);
    expect(events.map((e) => e.type)).toEqual(['warning', 'locked']);
    expect(power.queries).toBeGreaterThan(0);
  });

  it('stays active while the OS sees input in another app (OS idle drops back)', () => {
    const { time, power, lock, events } = setup();
    for (let minute = 0; minute < 60; minute++) {
      time.advance(60 * S);
      power.input(); // typing in another application: the window sees nothing
    }
    expect(lock.snapshot().state).toBe('active');
    expect(events).toEqual([]);
    // Sleeping until the earliest possible warning: about one OS query per 270 s, not per second.
    expect(power.queries).toBeLessThanOrEqual(15);
  });

  it('input in another app during the warning dismisses it within a second', () => {
    const { time, power, lock, events } = setup();
    time.advance(275 * S);
    expect(lock.snapshot().state).toBe('warning');
    time.advance(300);
    power.input();
    time.advance(WARNING_POLL_MS);
    expect(events.map((e) => e.type)).toEqual(['warning', 'active']);
    // The idle clock restarted from that input (give or take the OS's whole-second rounding).
    time.advance(268 * S);
    expect(lock.snapshot().state).toBe('active');
    time.advance(2 * S);
    expect(lock.snapshot().state).toBe('warning');
  });

  it('input in another app just before the deadline still cancels the lock', () => {
    const { time, power, lock } = setup();
    time.advance(300 * S - 1);
    power.input();
    time.advance(1);
    expect(lock.snapshot().state).toBe('active');
  });

  it('input the OS reports as the warning begins moves the lock later even when idle - warning is short', () => {
    // Found by the property test: idle 37 s, warning 35 s, input in another app at the very moment
    // the warning starts. The lock must follow that input, not the deadline first announced.
    const { time, power, lock, start } = setup({ idleSeconds: 37, warningSeconds: 35 });
    time.advance(2 * S);
    expect(lock.snapshot().state).toBe('warning');
    power.input();
    time.advance(35 * S);
    expect(lock.snapshot().state).not.toBe('locked');
    time.advance(2 * S);
    expect(lock.snapshot()).toMatchObject({ state: 'locked', reason: 'idle' });
    expect(lock.snapshot().lockedAt! - (start + 2 * S)).toBeGreaterThanOrEqual(36 * S);
  });

  it('OS idle time in whole seconds never makes the lock late (at most one second early)', () => {
    const { time, power, lock, start } = setup();
    time.advance(100_500);
    power.input(); // in another app, half-way through a second
    time.advance(300 * S); // exactly idleSeconds after that input
    expect(lock.snapshot()).toMatchObject({ state: 'locked', reason: 'idle', lockedAt: start + 400 * S });
  });

  it('where the OS cannot tell idle time, only window input counts (fails closed)', () => {
    const { time, power, lock, events } = setup();
    power.available = false;
    time.advance(100 * S);
    power.input();
    time.advance(200 * S);
    expect(lock.snapshot().state).toBe('locked');
    expect(events.at(-1)).toEqual({ type: 'locked', reason: 'idle' });
  });

  it('a throwing or nonsensical OS idle source cannot postpone the lock', () => {
    for (const broken of [
      () => {
        throw new Error('no idle API');
      },
      () => Number.NaN,
      () => -5,
      () => Number.POSITIVE_INFINITY,
    ]) {
      const time = new FakeTime();
      const power: PowerEvents = { subscribe: () => () => undefined, getSystemIdleSeconds: broken as () => number };
      const lock = createLockController({ policy: {}, clock: time, timers: time, power });
      time.advance(300 * S);
      expect(lock.snapshot()).toMatchObject({ state: 'locked', reason: 'idle' });
    }
  });

  it('a wall clock set back does not postpone the lock (timers are monotonic)', () => {
    const { time, lock, events } = setup();
    time.advance(100 * S);
    time.wallOffset -= 3600 * S;
    time.advance(200 * S);
    expect(lock.snapshot().state).toBe('locked');
    expect(events.map((e) => e.type)).toEqual(['warning', 'locked']);
    expect(lock.snapshot().lockedAt).toBe(time.now());
  });

  it('a timer that fires late past the deadline locks at once without a warning', () => {
    const time = new FakeTime();
    const power = new FakePower(time);
    const lock = createLockController({ policy: {}, clock: time, timers: time, power });
    const events: LockEvent[] = [];
    lock.subscribe((e) => events.push(e));
    time.mono += 400 * S; // event loop blocked: nothing ran
    time.advance(0);
    expect(events).toEqual([{ type: 'locked', reason: 'idle' }]);
  });
});

describe('164.312(a)(2)(iii) lock controller: immediate lock and unlock', () => {
  const osEvents: [PowerEvent, string][] = [
    ['lock-screen', 'os-lock'],
    ['suspend', 'suspend'],
    ['session-switch', 'session-switch'],
  ];

  for (const [event, reason] of osEvents) {
    it(`locks at once on '${event}' from active and from warning`, () => {
      const fromActive = setup();
      fromActive.time.advance(10 * S);
      fromActive.power.fire(event);
      expect(fromActive.events).toEqual([{ type: 'locked', reason }]);
      expect(fromActive.lock.snapshot()).toMatchObject({
        state: 'locked',
        reason,
        lockedAt: fromActive.start + 10 * S,
      });
      expect(fromActive.time.pending).toBe(0);

      const fromWarning = setup();
      fromWarning.time.advance(280 * S);
      fromWarning.power.fire(event);
      expect(fromWarning.events).toEqual([
        { type: 'warning', deadline: fromWarning.start + 300 * S },
        { type: 'locked', reason },
      ]);
      expect(fromWarning.time.pending).toBe(0);
    });
  }

  it('lockNow locks with reason manual (or the caller-given reason) from active and warning', () => {
    const a = setup();
    a.lock.lockNow();
    expect(a.events).toEqual([{ type: 'locked', reason: 'manual' }]);
    const b = setup();
    b.time.advance(290 * S);
    b.lock.lockNow('session-switch');
    expect(b.events.at(-1)).toEqual({ type: 'locked', reason: 'session-switch' });
  });

  it('locking again while locked changes nothing: first reason and time are kept, no event', () => {
    const { time, power, lock, events, start } = setup();
    lock.lockNow();
    time.advance(5 * S);
    power.fire('suspend');
    lock.lockNow();
    lock.reportActivity();
    time.advance(3600 * S);
    expect(events).toEqual([{ type: 'locked', reason: 'manual' }]);
    expect(lock.snapshot()).toMatchObject({
      state: 'locked',
      reason: 'manual',
      lockedAt: start,
      timeInStateMs: 3605 * S,
    });
  });

  it('unlock from locked restarts the idle clock; unlock otherwise throws NOT_LOCKED and changes nothing', () => {
    const { time, lock, events } = setup();
    expect(() => lock.unlock()).toThrow(expect.objectContaining({ name: 'LockError', code: 'NOT_LOCKED' }));
    time.advance(275 * S);
    expect(() => lock.unlock()).toThrow(LockError);
    expect(lock.snapshot().state).toBe('warning');
    expect(events).toEqual([{ type: 'warning', deadline: expect.any(Number) }]);

    time.advance(25 * S);
    time.advance(60 * S);
    lock.unlock();
    const unlockedAt = time.now();
    expect(lock.snapshot()).toEqual({
      state: 'active',
      since: unlockedAt,
      timeInStateMs: 0,
      lockedAt: null,
      reason: null,
      deadline: null,
    });
    time.advance(270 * S);
    expect(events).toEqual([
      { type: 'warning', deadline: expect.any(Number) },
      { type: 'locked', reason: 'idle' },
      { type: 'active' },
      { type: 'warning', deadline: unlockedAt + 300 * S },
    ]);
  });

  it('emits every transition in order, exactly once, to every subscriber', () => {
    const { time, power, lock, events, windowInput } = setup({ idleSeconds: 60, warningSeconds: 10 });
    const second: LockEvent[] = [];
    const unsubscribe = lock.subscribe((e) => second.push(e));
    time.advance(50 * S); // warning
    windowInput(); // active
    time.advance(60 * S); // warning, locked
    lock.unlock(); // active
    power.fire('lock-screen'); // locked
    power.fire('lock-screen'); // nothing
    lock.unlock(); // active
    unsubscribe();
    lock.lockNow(); // locked, only to the first subscriber
    expect(events.map((e) => (e.type === 'locked' ? `locked:${e.reason}` : e.type))).toEqual([
      'warning',
      'active',
      'warning',
      'locked:idle',
      'active',
      'locked:os-lock',
      'active',
      'locked:manual',
    ]);
    expect(second).toEqual(events.slice(0, -1));
  });

  it('a listener that locks from inside an event does not reorder what later listeners see', () => {
    const { time, lock, events } = setup();
    const seen: string[] = [];
    lock.subscribe((e) => {
      if (e.type === 'warning') lock.lockNow();
    });
    lock.subscribe((e) => seen.push(e.type));
    time.advance(270 * S);
    expect(seen).toEqual(['warning', 'locked']);
    expect(events.map((e) => e.type)).toEqual(['warning', 'locked']);
  });

  it('a throwing listener does not keep the others from hearing the lock', () => {
    const time = new FakeTime();
    const power = new FakePower(time);
    const failures: unknown[] = [];
    const lock = createLockController({
      policy: {},
      clock: time,
      timers: time,
      power,
      onListenerError: (error) => failures.push(error),
    });
    const seen: LockEvent[] = [];
    lock.subscribe(() => {
      throw new Error('listener bug');
    });
    lock.subscribe((e) => seen.push(e));
    lock.lockNow();
    expect(seen).toEqual([{ type: 'locked', reason: 'manual' }]);
    expect(failures).toHaveLength(1);
    expect(lock.snapshot().state).toBe('locked');

    // Without a handler the error surfaces to the caller, after every listener ran.
    const bare = setup();
    const heard: LockEvent[] = [];
    bare.lock.subscribe(() => {
      throw new Error('listener bug');
    });
    bare.lock.subscribe((e) => heard.push(e));
    expect(() => bare.lock.lockNow()).toThrow('listener bug');
    expect(heard).toEqual([{ type: 'locked', reason: 'manual' }]);
    expect(bare.lock.snapshot().state).toBe('locked');
  });
});

describe('164.312(a)(2)(iii) lock controller: lifecycle and policy', () => {
  it('stop() clears the timer and the OS subscription, from active, warning and locked', () => {
    for (const before of [0, 280 * S, 400 * S]) {
      const { time, power, lock, events } = setup();
      time.advance(before);
      expect(time.pending).toBe(lock.snapshot().state === 'locked' ? 0 : 1);
      const count = events.length;
      lock.stop();
      expect(time.pending).toBe(0);
      expect(power.listeners.size).toBe(0);
      time.advance(3600 * S);
      lock.reportActivity();
      lock.lockNow();
      lock.unlock();
      expect(events).toHaveLength(count);
      expect(time.pending).toBe(0);
    }
  });

  it('rejects an invalid policy with a typed error naming the field', () => {
    const time = new FakeTime();
    const power = new FakePower(time);
    const cases: [object, string][] = [
      [{ idleSeconds: 60, warningSeconds: 60 }, 'warningSeconds'],
      [{ idleSeconds: 10 }, 'idleSeconds'],
      [{ idleSeconds: 300.5 }, 'idleSeconds'],
      [{ warningSeconds: 0 }, 'warningSeconds'],
      [{ idleSecs: 60 }, 'lock'],
    ];
    for (const [policy, field] of cases) {
      let error: unknown;
      try {
        createLockController({ policy: policy as never, clock: time, timers: time, power });
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(policy)).toBeInstanceOf(LockError);
      expect((error as LockError).code).toBe('INVALID_POLICY');
      expect((error as LockError).message).toContain(field);
    }
    expect(time.pending).toBe(0);
    expect(power.listeners.size).toBe(0);
  });
});

type Step =
  | { kind: 'advance'; ms: number }
  | { kind: 'window-input' }
  | { kind: 'other-app-input' }
  | { kind: 'os'; event: PowerEvent }
  | { kind: 'lock-now' }
  | { kind: 'unlock' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 120_000 }).map((ms): Step => ({ kind: 'advance', ms })) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 2_500 }).map((ms): Step => ({ kind: 'advance', ms })) },
  { weight: 2, arbitrary: fc.constant<Step>({ kind: 'window-input' }) },
  { weight: 2, arbitrary: fc.constant<Step>({ kind: 'other-app-input' }) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<PowerEvent>('lock-screen', 'suspend', 'session-switch')
      .map((event): Step => ({ kind: 'os', event })),
  },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'lock-now' }) },
  { weight: 2, arbitrary: fc.constant<Step>({ kind: 'unlock' }) },
);

const policyArb = fc.integer({ min: 30, max: 600 }).chain((idleSeconds) =>
  fc.record({
    idleSeconds: fc.constant(idleSeconds),
    warningSeconds: fc.integer({ min: 5, max: Math.min(120, idleSeconds - 1) }),
  }),
);

/** The OS reports idle time in whole seconds, so an idle lock may come up to this much early. */
const EPSILON_MS = 1000;

describe('164.312(a)(2)(iii) lock controller: properties', () => {
  it('holds its invariants under random activity, time and OS events', () => {
    fc.assert(
      fc.property(policyArb, fc.boolean(), fc.array(stepArb, { maxLength: 80 }), (policy, osIdleAvailable, steps) => {
        const time = new FakeTime();
        const power = new FakePower(time);
        power.available = osIdleAvailable;
        const lock: LockController = createLockController({ policy, clock: time, timers: time, power });
        const idleMs = policy.idleSeconds * S;
        // Model: the last input the controller can know of (mono ms), and the state the events imply.
        let lastActivity = time.mono;
        // An object, so TypeScript does not narrow it across the listener's assignments.
        const model: { state: LockState } = { state: 'active' };
        let unlocking = false;
        lock.subscribe((event) => {
          if (event.type === 'warning') {
            expect(model.state).toBe('active'); // never 'warning' straight after 'locked'
            expect(event.deadline - time.now()).toBeGreaterThan(0);
            expect(event.deadline - time.now()).toBeLessThanOrEqual(policy.warningSeconds * S);
          } else if (event.type === 'locked') {
            expect(model.state).not.toBe('locked');
            // Never locked by idle while there was activity within the last idle - epsilon.
            if (event.reason === 'idle') expect(time.mono - lastActivity).toBeGreaterThanOrEqual(idleMs - EPSILON_MS);
          } else {
            expect(model.state === 'warning' || (model.state === 'locked' && unlocking)).toBe(true);
          }
          model.state = event.type === 'warning' ? 'warning' : event.type === 'locked' ? 'locked' : 'active';
        });

        // Between steps too: just before any timer runs, idle beyond idleSeconds means locked already.
        time.beforeFire = () => {
          if (time.mono - lastActivity > idleMs) expect(model.state).toBe('locked');
        };

        for (const step of steps) {
          switch (step.kind) {
            case 'advance':
              time.advance(step.ms);
              break;
            case 'window-input':
              power.input();
              lock.reportActivity();
              if (model.state !== 'locked') lastActivity = time.mono;
              expect(model.state).not.toBe('warning'); // input dismisses the warning at once
              break;
            case 'other-app-input':
              power.input();
              if (model.state !== 'locked' && osIdleAvailable) lastActivity = time.mono;
              break;
            case 'os':
              power.fire(step.event);
              expect(model.state).toBe('locked');
              break;
            case 'lock-now':
              lock.lockNow();
              expect(model.state).toBe('locked');
              break;
            case 'unlock':
              if (model.state === 'locked') {
                unlocking = true;
                lock.unlock();
                unlocking = false;
                lastActivity = time.mono;
                expect(model.state).toBe('active');
              } else {
                expect(() => lock.unlock()).toThrow(LockError);
              }
              break;
          }
          const snapshot = lock.snapshot();
          expect(snapshot.state).toBe(model.state);
          // Locked whenever idle has reached idleSeconds.
          if (time.mono - lastActivity >= idleMs) expect(model.state).toBe('locked');
          // One timer while active or warning, none while locked.
          expect(time.pending).toBe(model.state === 'locked' ? 0 : 1);
          expect(snapshot.lockedAt !== null).toBe(model.state === 'locked');
        }
        lock.stop();
        expect(time.pending).toBe(0);
        expect(power.listeners.size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
