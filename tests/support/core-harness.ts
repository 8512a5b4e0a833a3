/**
 * A core as a window meets it, for integration tests: real vault (already filled by the test),
 * real keychain, real OIDC at dev central through a scripted browser, a controllable clock and
 * its timers, power events raised by hand.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import { workstationPolicyFor } from '../../dev/central/central.ts';
import { createCore, type Core } from '../../src-main/core.ts';
import type { AuthBrowser } from '../../src-main/ports.ts';
import { createManualPowerEvents, type ManualPowerEvents } from '../../dev/web-host/power.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import type { EventPayload } from '../../src-shared/ipc/contract.ts';
import type { IpcResult } from '../../src-shared/ipc/errors.ts';
import { Policy } from '../../src-shared/policy/schema.ts';
import type { SessionStatus } from '../../src-shared/session/status.ts';
import { startTestCentral, type Central } from './central.ts';
import { FakeTime } from './fake-time.ts';
import { keyStore } from './keychain.ts';
import { tempVaultDir } from './vault-fixture.ts';
import { fillCache, scriptedBrowser, type ClinicCache } from './workstation.ts';

export const PIN = '482913';

export interface Harness {
  core: Core;
  time: FakeTime;
  events: SessionStatus[];
  logger: ReturnType<typeof createMemoryLogger>;
  /** OS events raised by hand (emit), as the web host does. */
  power: ManualPowerEvents;
  signInAs(username: string): Promise<SessionStatus>;
  call<T = unknown>(channel: string, request?: unknown): Promise<IpcResult<T>>;
  status(): Promise<SessionStatus>;
}

export async function startCore(
  central: Central,
  dataDir: string,
  policy: Record<string, unknown> = {},
  authBrowser?: AuthBrowser,
): Promise<Harness> {
  const time = new FakeTime();
  const logger = createMemoryLogger();
  const power = createManualPowerEvents();
  let nextUser = '';
  const core = await createCore({
    keyStore,
    clock: time,
    timers: time,
    power,
    // Exports (the review history's) inside the test's own folder, removed with it.
    paths: { dataDir, exportsDir: path.join(dataDir, 'exports') },
    policy: Policy.parse({ central: workstationPolicyFor(central), ...policy }),
    logger,
    authBrowser: authBrowser ?? scriptedBrowser(central, () => nextUser),
  });
  const events: SessionStatus[] = [];
  core.onEvent((event, payload) => {
    if (event === 'session.changed') events.push(payload as EventPayload<'session.changed'>);
  });
  const call = <T>(channel: string, request: unknown = {}) => core.invoke(channel, request) as Promise<IpcResult<T>>;
  const status = async () => {
    const result = await call<SessionStatus>('session.status');
    if (!result.ok) throw new Error(result.error.message);
    return result.data;
  };
  return {
    core,
    time,
    events,
    logger,
    power,
    call,
    status,
    async signInAs(username) {
      nextUser = username;
      const started = await call<SessionStatus>('session.signIn');
      expect(started).toMatchObject({ ok: true, data: { signIn: { phase: 'waiting' } } });
      await vi.waitFor(async () => expect((await status()).signIn.phase).not.toBe('waiting'), { timeout: 15_000 });
      return status();
    },
  };
}

export async function signedInWithPin(h: Harness, username: string): Promise<void> {
  const status = await h.signInAs(username);
  if (status.state === 'pinSetup')
    expect(await h.call('session.setPin', { pin: PIN })).toMatchObject({ ok: true, data: { state: 'active' } });
  expect((await h.status()).state).toBe('active');
}

/** A call that must succeed: its data, or a thrown error naming the channel and the code. */
export async function ok<T>(harness: Harness, channel: string, request: unknown = {}): Promise<T> {
  const answer = await harness.call<T>(channel, request);
  if (!answer.ok) throw new Error(`${channel}: ${answer.error.code} ${answer.error.message}`);
  return answer.data;
}

/** What useCoreStand gives a test file: its central, this test's filled cache, and cores to start. */
export interface CoreStand {
  readonly central: Central;
  readonly cache: ClinicCache;
  readonly dataDir: string;
  /** A core on this test's cache (closed after the test). */
  start(policy?: Record<string, unknown>, authBrowser?: AuthBrowser): Promise<Harness>;
  /** A core the test made itself, closed after the test like the others. */
  closeAfter(core: Core): void;
}

/**
 * The set-up most core tests share, registered as the file's hooks: dev central for the whole
 * file; for each test a temp folder with a cache filled from the same clinic, removed after it
 * with every core the test started closed first.
 */
export function useCoreStand(options: {
  clinic: { seed: number; patients: number };
  prefix: string;
  /** What dev central is started with, when more than the clinic (a short token lifetime...). */
  central?: Parameters<typeof startTestCentral>[0];
}): CoreStand {
  let central: Central | undefined;
  let cache: ClinicCache | undefined;
  let folder: { dataDir: string; remove: () => Promise<void> } | undefined;
  const running: Core[] = [];
  beforeAll(async () => {
    central = await startTestCentral(options.central ?? options.clinic);
  });
  afterAll(async () => {
    await central?.close();
  });
  beforeEach(async () => {
    folder = tempVaultDir({ prefix: options.prefix });
    cache = await fillCache(folder.dataDir, options.clinic);
  });
  afterEach(async () => {
    for (const core of running.splice(0)) await core.close();
    await folder?.remove();
  });
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`useCoreStand: no ${what} outside a test`);
    return value;
  };
  return {
    get central() {
      return ready(central, 'central');
    },
    get cache() {
      return ready(cache, 'cache');
    },
    get dataDir() {
      return ready(folder, 'data folder').dataDir;
    },
    async start(policy = {}, authBrowser) {
      const h = await startCore(ready(central, 'central'), ready(folder, 'data folder').dataDir, policy, authBrowser);
      running.push(h.core);
      return h;
    },
    closeAfter(core) {
      running.push(core);
    },
  };
}
