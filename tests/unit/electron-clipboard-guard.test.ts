/**
 * The clipboard guard, against the recording Electron fakes: text copied from the app window
 * leaves the clipboard when the session locks or ends; text another application put there stays;
 * and what the guard keeps is a digest, never the text.
 */
import { randomUUID } from 'node:crypto';
import { getHeapSnapshot } from 'node:v8';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventListener } from '../../src-main/core.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import type { SessionState, SessionStatus } from '../../src-shared/session/status.ts';
import { FakeBrowserWindow, fake, resetFakeElectron } from './support/fake-electron.ts';
import type { FakeInput } from './support/fake-electron.ts';

vi.mock('electron', () => import('./support/fake-electron.ts'));
const { COPY_SETTLE_READS_MS, createClipboardGuard, endsChartAccess, isCopyShortcut } =
  await import('../../src-main/electron/clipboard-guard.ts');

const CHART_TEXT = 'Allergies: penicillin (anaphylaxis)';
const CTRL_C = { key: 'c', code: 'KeyC', control: true };

function status(state: SessionState): SessionStatus {
  return {
    state,
    user: state === 'signedOut' ? null : { userId: 'u1', username: 'nurse', displayName: 'A Nurse', role: 'nurse' },
    offline: false,
    signIn: { phase: 'idle' },
    lockDeadline: null,
    lockReason: state === 'locked' ? 'idle' : null,
    endedReason: state === 'signedOut' ? 'signOut' : null,
    pinRules: { minLength: 6, maxFailures: 5 },
    signInConfigured: true,
    centralContact: { expired: false, maxOfflineDays: 7, lastContactAt: null, message: null },
    emergencyAccess: { allowed: true, reasons: [], minJustificationLength: 20, durationMinutes: 60, grants: [] },
  };
}

/** Just the event side of the core: the guard subscribes, the test reports session changes. */
function fakeCore() {
  const listeners = new Set<EventListener>();
  return {
    onEvent(listener: EventListener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    listenerCount: () => listeners.size,
    /** The core's session.changed, then whatever the guard started because of it. */
    async session(state: SessionState) {
      for (const listener of listeners) listener('session.changed', status(state));
      await vi.advanceTimersByTimeAsync(0);
    },
  };
}

let logger: ReturnType<typeof createMemoryLogger>;

function setUp(platform: NodeJS.Platform = 'win32') {
  const guard = createClipboardGuard({ logger, platform });
  const window = new FakeBrowserWindow({});
  const unwatch = guard.watch(window.webContents as never);
  const core = fakeCore();
  const unfollow = guard.followSessions(core);
  return { guard, window, unwatch, core, unfollow, clipboard: fake().clipboard };
}

/** The renderer's copy lands on the clipboard a little after the key, from another process. */
async function copyFromChart(
  window: FakeBrowserWindow,
  text: string,
  input: Partial<FakeInput> & { key: string } = CTRL_C,
) {
  window.webContents.pressKey(input);
  await vi.advanceTimersByTimeAsync(30);
  await fake().clipboard.writeText(text);
  await settle();
}

const settle = () => vi.advanceTimersByTimeAsync((COPY_SETTLE_READS_MS.at(-1) ?? 0) + 100);

beforeEach(() => {
  resetFakeElectron();
  logger = createMemoryLogger();
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('clipboard guard', () => {
  it('clears text copied from the chart when the session locks', async () => {
    const { window, core, clipboard } = setUp();
    await copyFromChart(window, CHART_TEXT);
    expect(clipboard.text).toBe(CHART_TEXT);

    await core.session('active');
    await core.session('warning');
    expect(clipboard.clear).not.toHaveBeenCalled();

    await core.session('locked');
    expect(clipboard.clear).toHaveBeenCalledTimes(1);
    expect(clipboard.text).toBe('');
    expect(logger.entries).toContainEqual({
      level: 'info',
      event: 'shell.clipboard_cleared',
      fields: { reason: 'chart_text' },
    });
  });

  it('clears text copied with the Edit menu (a click, no key) when the session locks', async () => {
    const { guard, core, clipboard } = setUp();
    guard.noteCopy();
    await vi.advanceTimersByTimeAsync(30);
    await clipboard.writeText(CHART_TEXT);
    await settle();
    await core.session('locked');
    expect(clipboard.clear).toHaveBeenCalledTimes(1);
    expect(clipboard.text).toBe('');
  });

  it('clears it when the clinician signs out (or switches user) too', async () => {
    const { window, core, clipboard } = setUp('darwin');
    await copyFromChart(window, CHART_TEXT, { key: 'x', code: 'KeyX', meta: true });
    await core.session('signedOut');
    expect(clipboard.clear).toHaveBeenCalledTimes(1);
    expect(clipboard.text).toBe('');
  });

  it('catches a copy that reached the clipboard before the guard first looked', async () => {
    const { window, core, clipboard } = setUp();
    await clipboard.writeText(CHART_TEXT);
    window.webContents.pressKey(CTRL_C);
    await settle();
    expect(clipboard.reads).toBe(COPY_SETTLE_READS_MS.length); // it looked for a change throughout
    await core.session('locked');
    expect(clipboard.text).toBe('');
  });

  it('leaves text copied elsewhere after the chart copy alone', async () => {
    const { window, core, clipboard } = setUp();
    await copyFromChart(window, CHART_TEXT);
    await clipboard.writeText('text from the mail client'); // copied in another application
    await core.session('locked');
    await core.session('signedOut');
    expect(clipboard.clear).not.toHaveBeenCalled();
    expect(clipboard.text).toBe('text from the mail client');
  });

  it('does nothing, and does not even read the clipboard, when nothing was copied from the window', async () => {
    const { window, core, clipboard } = setUp();
    await clipboard.writeText('text from the mail client');
    // Typing, pasting, and shortcuts that are not copy on this platform.
    for (const input of [
      { key: 'c' },
      { key: 'v', control: true },
      { key: 'c', control: true, shift: true },
      { key: 'c', meta: true },
      { key: 'c', control: true, type: 'keyUp' },
    ]) {
      window.webContents.pressKey(input);
    }
    await settle();
    await core.session('locked');
    await core.session('signedOut');
    expect(clipboard.clear).not.toHaveBeenCalled();
    expect(clipboard.text).toBe('text from the mail client');
    expect(clipboard.reads).toBe(0);
  });

  it('forgets what it cleared: the same text copied elsewhere later stays', async () => {
    const { window, core, clipboard } = setUp();
    await copyFromChart(window, CHART_TEXT);
    await core.session('locked');
    expect(clipboard.clear).toHaveBeenCalledTimes(1);

    await clipboard.writeText(CHART_TEXT); // typed into another application and copied there
    await core.session('locked');
    expect(clipboard.clear).toHaveBeenCalledTimes(1);
    expect(clipboard.text).toBe(CHART_TEXT);
  });

  it('remembers every chart copy of the session, not only the last', async () => {
    const { window, core, clipboard } = setUp();
    await copyFromChart(window, 'first chart text');
    await copyFromChart(window, 'second chart text', { key: 'Insert', code: 'Insert', control: true });
    await clipboard.writeText('first chart text'); // pasted somewhere and copied back
    await core.session('locked');
    expect(clipboard.text).toBe('');
  });

  it('fails closed: clears at once when the session locks while a copy is still settling', async () => {
    const { window, core, clipboard } = setUp();
    window.webContents.pressKey({ key: 'Delete', code: 'Delete', shift: true });
    await vi.advanceTimersByTimeAsync(10);
    await clipboard.writeText(CHART_TEXT);
    await core.session('locked');
    expect(clipboard.clear).toHaveBeenCalledTimes(1);
    expect(clipboard.text).toBe('');
    // The settling copy was dropped with the clear; nothing is left to match later text.
    await settle();
    await clipboard.writeText('text from the mail client');
    await core.session('locked');
    expect(clipboard.clear).toHaveBeenCalledTimes(1);
  });

  it('fails closed: clears when the clipboard cannot be read at lock time after a chart copy', async () => {
    const { window, core, clipboard } = setUp();
    await copyFromChart(window, CHART_TEXT);
    clipboard.failReads = true;
    await core.session('locked');
    expect(clipboard.clear).toHaveBeenCalledTimes(1);
    expect(logger.entries.map((entry) => entry.event)).toContain('shell.clipboard_read_failed');
  });

  it('stops watching the window and following the core when asked', async () => {
    const { window, core, clipboard, unwatch, unfollow, guard } = setUp();
    await copyFromChart(window, CHART_TEXT);
    unfollow();
    expect(core.listenerCount()).toBe(0);
    await core.session('locked');
    expect(clipboard.clear).not.toHaveBeenCalled();

    unwatch();
    expect(window.webContents.listenerCount('before-input-event')).toBe(0);
    await expect(guard.clearChartText()).resolves.toBe(true); // the quit path still clears
    await copyFromChart(window, 'more chart text');
    await expect(guard.clearChartText()).resolves.toBe(false);
    expect(clipboard.text).toBe('more chart text');
  });

  it('keeps a keyed digest of the copied text, never the text (API, logs and heap)', async () => {
    const { guard, window, core, clipboard } = setUp();
    // The marker exists as a string only on the clipboard; the test holds it as bytes.
    const marker = Buffer.from(`Jane Q Patient ${randomUUID()}`);
    await copyFromChart(window, marker.toString());
    expect(clipboard.reads).toBeGreaterThan(0);

    for (const value of Object.values(guard)) expect(typeof value).toBe('function');

    // The text leaves the clipboard; the guard must not have kept it anywhere.
    await clipboard.writeText('text from the mail client');
    expect(await heapHolds(marker)).toBe(false);
    expect(Buffer.from(JSON.stringify(logger.entries)).includes(marker)).toBe(false);

    // Still matched through the digest: the same text, copied back, is cleared.
    await clipboard.writeText(marker.toString());
    await core.session('locked');
    expect(clipboard.text).toBe('');
  });
});

/** Whether any string in this process's heap contains `needle` (a snapshot collects garbage first). */
async function heapHolds(needle: Buffer): Promise<boolean> {
  const chunks: Buffer[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).includes(needle);
}

describe('copy shortcuts', () => {
  const press = (input: Partial<FakeInput> & { key: string }): FakeInput => ({
    type: 'keyDown',
    code: '',
    isAutoRepeat: false,
    isComposing: false,
    shift: false,
    control: false,
    alt: false,
    meta: false,
    location: 0,
    modifiers: [],
    ...input,
  });

  it.each([
    ['Ctrl+C', press({ key: 'c', code: 'KeyC', control: true }), 'win32'],
    ['Ctrl+X', press({ key: 'x', code: 'KeyX', control: true }), 'linux'],
    ['Ctrl+C with Caps Lock', press({ key: 'C', code: 'KeyC', control: true }), 'linux'],
    ['Ctrl+C on a Cyrillic layout', press({ key: 'с', code: 'KeyC', control: true }), 'win32'],
    ['Ctrl+Insert', press({ key: 'Insert', code: 'Insert', control: true }), 'win32'],
    ['Shift+Delete', press({ key: 'Delete', code: 'Delete', shift: true }), 'linux'],
    ['Cmd+C', press({ key: 'c', code: 'KeyC', meta: true }), 'darwin'],
    ['Cmd+X', press({ key: 'x', code: 'KeyX', meta: true }), 'darwin'],
    ['rawKeyDown Ctrl+C', press({ type: 'rawKeyDown', key: 'c', code: 'KeyC', control: true }), 'win32'],
  ] as const)('%s copies', (_name, input, platform) => {
    expect(isCopyShortcut(input, platform)).toBe(true);
  });

  it.each([
    ['plain c', press({ key: 'c', code: 'KeyC' }), 'win32'],
    ['Ctrl+V', press({ key: 'v', code: 'KeyV', control: true }), 'win32'],
    ['Ctrl+C released', press({ type: 'keyUp', key: 'c', code: 'KeyC', control: true }), 'win32'],
    ['Ctrl+C held down (repeat)', press({ key: 'c', code: 'KeyC', control: true, isAutoRepeat: true }), 'win32'],
    ['Ctrl+Shift+C (inspect)', press({ key: 'C', code: 'KeyC', control: true, shift: true }), 'linux'],
    ['AltGr+C', press({ key: 'c', code: 'KeyC', control: true, alt: true }), 'win32'],
    ['Cmd+C off macOS', press({ key: 'c', code: 'KeyC', meta: true }), 'linux'],
    ['Ctrl+C on macOS', press({ key: 'c', code: 'KeyC', control: true }), 'darwin'],
    ['Ctrl+Insert on macOS', press({ key: 'Insert', code: 'Insert', control: true }), 'darwin'],
    ['Delete', press({ key: 'Delete', code: 'Delete' }), 'win32'],
  ] as const)('%s does not', (_name, input, platform) => {
    expect(isCopyShortcut(input, platform)).toBe(false);
  });

  it('locked and signedOut end chart access; the other states do not', () => {
    const states: SessionState[] = ['signedOut', 'pinSetup', 'active', 'warning', 'locked'];
    expect(states.filter(endsChartAccess)).toStrictEqual(['signedOut', 'locked']);
  });
});
