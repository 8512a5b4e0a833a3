/**
 * The app entry's wiring, against recording Electron fakes and a fake core: what must happen
 * before 'ready' (single instance, sandbox, privileged scheme, security hooks), what happens at
 * 'ready' (hardened in-memory session, app:// handler, core with its OS ports, window, IPC, the
 * clipboard guard), and a clean shutdown.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Policy } from '../../src-shared/policy/schema.ts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BRIDGE_INVOKE } from '../../src-shared/ipc/contract.ts';
import type { SessionStatus } from '../../src-shared/session/status.ts';
import type { Core, EventListener } from '../../src-main/core.ts';
import type { PowerEvent } from '../../src-main/ports.ts';
import type { Ports } from '../../src-main/ports.ts';
import type * as LoggerModule from '../../src-main/log/logger.ts';
import { FakeEvent, fake, resetFakeElectron } from './support/fake-electron.ts';

const hoisted = vi.hoisted(() => {
  let resolveClose: () => void = () => undefined;
  const state = { unsubscribed: 0 };
  const core = {
    invoke: vi.fn(async () => ({ ok: true as const, data: null })),
    onEvent: vi.fn((_listener: EventListener) => () => void (state.unsubscribed += 1)),
    close: vi.fn(() => new Promise<void>((resolve) => (resolveClose = resolve))),
  } satisfies Core;
  return {
    core,
    finishClose: () => resolveClose(),
    get unsubscribed() {
      return state.unsubscribed;
    },
    createCore: vi.fn(async (_ports: Ports): Promise<Core> => core),
    keyStore: { get: vi.fn(), set: vi.fn(), delete: vi.fn() },
    logged: [] as unknown[],
  };
});

vi.mock('electron', () => import('./support/fake-electron.ts'));

// The app is not packaged here, so the development policy file is read instead of /etc's.
const policyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'clinic-main-policy-'));
function usePolicy(policy: unknown): string {
  const file = path.join(policyDir, `policy-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, typeof policy === 'string' ? policy : JSON.stringify(policy));
  process.env['CLINIC_POLICY_FILE'] = file;
  return file;
}
usePolicy({});
afterAll(() => {
  delete process.env['CLINIC_POLICY_FILE'];
  fs.rmSync(policyDir, { recursive: true, force: true });
});
vi.mock('../../src-main/core.ts', () => ({ createCore: hoisted.createCore }));
vi.mock('../../src-main/vault/keytar-key-store.ts', () => ({ createKeytarKeyStore: () => hoisted.keyStore }));
vi.mock('../../src-main/log/logger.ts', async (importOriginal) => {
  const original = await importOriginal<typeof LoggerModule>();
  return { ...original, createJsonLogger: () => ({ log: (...args: unknown[]) => hoisted.logged.push(args) }) };
});

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('main entry', () => {
  // Vitest clears mock calls before every test, so what happened at import is recorded here.
  let atImport: {
    lockCalls: number;
    sandboxCalls: number;
    schemes: unknown[][];
    webContentsHooks: number;
    sessionHooks: number;
    sessions: number;
    windows: number;
    coreCalls: number;
  };
  // What the shell subscribed to the core's events at 'ready' (the IPC bridge, the clipboard guard).
  let coreListeners: EventListener[] = [];

  beforeAll(async () => {
    resetFakeElectron();
    await import('../../src-main/electron/main.ts');
    const { app, protocol, sessions, windows } = fake();
    atImport = {
      lockCalls: app.requestSingleInstanceLock.mock.calls.length,
      sandboxCalls: app.enableSandbox.mock.calls.length,
      schemes: protocol.registerSchemesAsPrivileged.mock.calls,
      webContentsHooks: app.listenerCount('web-contents-created'),
      sessionHooks: app.listenerCount('session-created'),
      sessions: sessions.size,
      windows: windows.length,
      coreCalls: hoisted.createCore.mock.calls.length,
    };
  });

  it('before ready: takes the single-instance lock, enables the sandbox, registers app:// and the hooks', () => {
    expect(atImport).toStrictEqual({
      lockCalls: 1,
      sandboxCalls: 1,
      schemes: [[[{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]]],
      webContentsHooks: 1,
      sessionHooks: 1,
      // Nothing that needs 'ready' has happened yet.
      sessions: 0,
      windows: 0,
      coreCalls: 0,
    });
  });

  it('at ready: hardens the in-memory session, serves app://, builds the core, opens the window', async () => {
    const { app } = fake();
    app.becomeReady();
    await vi.waitFor(() => expect(fake().windows[0]?.loadURL).toHaveBeenCalled());

    const { sessions, defaultSession, windows, ipcMainHandlers } = fake();
    // The default menu (Reload, Developer Tools) is replaced before anything else is set up.
    expect(fake().applicationMenu).not.toBeNull();
    expect(JSON.stringify(fake().applicationMenu)).toContain('"label":"Edit"');
    const ses = sessions.get('clinic-workstation');
    expect([...sessions.keys()]).toStrictEqual(['clinic-workstation']);
    if (!ses) throw new Error('no session');
    for (const s of [ses, defaultSession]) {
      const callback = vi.fn();
      s.permissionRequestHandler?.(null, 'media', callback, {});
      expect(callback).toHaveBeenCalledExactlyOnceWith(false);
      expect(s.permissionCheckHandler?.(null, 'media', 'app://clinic', {})).toBe(false);
    }
    expect(ses.setSpellCheckerEnabled).toHaveBeenCalledWith(false);
    expect(ses.clearCache).toHaveBeenCalled();
    // The handler goes on the window's session, not on the default session's protocol module.
    expect([...ses.protocol.handlers.keys()]).toStrictEqual(['app']);
    expect(fake().protocol.handle).not.toHaveBeenCalled();

    expect(hoisted.createCore).toHaveBeenCalledTimes(1);
    const ports = hoisted.createCore.mock.calls[0]?.[0];
    expect(ports?.keyStore).toBe(hoisted.keyStore);
    expect(ports?.paths.dataDir.startsWith('/fake/userData')).toBe(true);
    expect(ports?.policy).toStrictEqual(Policy.parse({}));
    expect(typeof ports?.clock.now()).toBe('number');
    // The lock controller hears the OS through powerMonitor.
    const heard: PowerEvent[] = [];
    const unsubscribe = ports?.power?.subscribe((event) => heard.push(event));
    fake().powerMonitor.emit('lock-screen');
    fake().powerMonitor.emit('suspend');
    unsubscribe?.();
    fake().powerMonitor.emit('lock-screen');
    expect(heard).toStrictEqual(['lock-screen', 'suspend']);
    // The default policy names no identity provider: no sign-in window (see the last describe).
    expect(ports?.authBrowser).toBeUndefined();

    expect(windows).toHaveLength(1);
    const window = windows[0];
    expect(window?.options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      partition: 'clinic-workstation',
      devTools: true,
    });
    expect(String(window?.options.webPreferences.preload)).toMatch(/[\\/]preload[\\/]preload\.cjs$/);
    // The window's webContents was hardened through the app-wide hook.
    expect(window?.webContents.windowOpenHandler?.({ url: 'https://example.org/' })).toStrictEqual({ action: 'deny' });
    expect([...ipcMainHandlers.keys()]).toStrictEqual([BRIDGE_INVOKE]);
    expect(window?.loadURL).toHaveBeenCalledExactlyOnceWith('app://clinic/index.html');
    expect(fake().errorBoxes).toHaveLength(0);
    // Updates were considered once the window was up: off, since this is not a packaged app
    // (the decision itself is tested in electron-updater.test.ts).
    await vi.waitFor(() => expect(hoisted.logged).toContainEqual(['info', 'updates.off', { reason: 'not_packaged' }]));

    // The IPC bridge and the clipboard guard listen to the core.
    coreListeners = hoisted.core.onEvent.mock.calls.map((call: unknown[]) => call[0] as EventListener);
    expect(coreListeners).toHaveLength(2);
    expect(window?.webContents.listenerCount('before-input-event')).toBe(1);
  });

  it('clears text copied from the window when the core reports a lock, and only then', async () => {
    const window = fake().windows[0]!;
    const clipboard = fake().clipboard;
    const session = (state: SessionStatus['state']) => {
      for (const listener of coreListeners) listener('session.changed', { state } as SessionStatus);
    };
    vi.useFakeTimers();
    try {
      window.webContents.pressKey({
        key: 'c',
        code: 'KeyC',
        control: process.platform !== 'darwin',
        meta: process.platform === 'darwin',
      });
      await vi.advanceTimersByTimeAsync(20);
      await clipboard.writeText('Allergies: penicillin');
      await vi.advanceTimersByTimeAsync(5_000);
      session('active');
      await vi.advanceTimersByTimeAsync(0);
      expect(clipboard.text).toBe('Allergies: penicillin');
      session('locked');
      await vi.advanceTimersByTimeAsync(0);
      expect(clipboard.clear).toHaveBeenCalledTimes(1);
      expect(clipboard.text).toBe('');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a second launch focuses the existing window', () => {
    const window = fake().windows[0];
    fake().app.emit('second-instance', new FakeEvent(), [], '/');
    expect(window?.focus).toHaveBeenCalledTimes(1);
  });

  it('quits when the window is closed, on every platform', () => {
    fake().app.emit('window-all-closed');
    expect(fake().app.quit).toHaveBeenCalledTimes(1);
  });

  it('before quitting, closes the core exactly once and then quits', async () => {
    const { app } = fake();
    app.quit.mockClear();

    const first = new FakeEvent();
    app.emit('before-quit', first);
    expect(first.defaultPrevented).toBe(true);
    expect(hoisted.core.close).toHaveBeenCalledTimes(1);
    // IPC stops before the vault closes.
    expect(fake().ipcMainHandlers.size).toBe(0);

    // Another quit request while the core is closing waits too.
    const second = new FakeEvent();
    app.emit('before-quit', second);
    expect(second.defaultPrevented).toBe(true);
    expect(hoisted.core.close).toHaveBeenCalledTimes(1);
    expect(app.quit).not.toHaveBeenCalled();

    hoisted.finishClose();
    await flush();
    expect(app.quit).toHaveBeenCalledTimes(1);
    // Closing stopped the clipboard guard's subscription along with IPC.
    expect(hoisted.unsubscribed).toBe(2);

    const last = new FakeEvent();
    app.emit('before-quit', last);
    expect(last.defaultPrevented).toBe(false);
    expect(hoisted.core.close).toHaveBeenCalledTimes(1);
  });
});

describe('main entry, second instance', () => {
  it('quits at once without starting anything when another instance holds the lock', async () => {
    vi.resetModules();
    const state = resetFakeElectron();
    state.app.requestSingleInstanceLock.mockReturnValue(false);
    await import('../../src-main/electron/main.ts');
    expect(state.app.quit).toHaveBeenCalledTimes(1);
    expect(state.app.enableSandbox).not.toHaveBeenCalled();
    expect(state.app.whenReady).not.toHaveBeenCalled();
    expect(state.protocol.registerSchemesAsPrivileged).not.toHaveBeenCalled();
  });
});

describe('main entry, start failure', () => {
  it('fails closed: shows an error box and exits when the core cannot be created', async () => {
    vi.resetModules();
    const state = resetFakeElectron();
    hoisted.createCore.mockRejectedValueOnce(new Error('keychain gone for Jane Smith'));
    await import('../../src-main/electron/main.ts');
    state.app.becomeReady();
    await vi.waitFor(() => expect(state.app.exit).toHaveBeenCalledWith(1));
    expect(state.errorBoxes).toHaveLength(1);
    expect(JSON.stringify(state.errorBoxes)).not.toContain('Smith');
    // The raw log calls (before any redaction) carry the error's name, not its message.
    expect(JSON.stringify(hoisted.logged)).toContain('shell.start_failed');
    expect(JSON.stringify(hoisted.logged)).not.toContain('Smith');
    expect(state.windows).toHaveLength(0);
  });
});

describe('main entry, with the clinic identity provider in the policy', () => {
  it('gives the core a sign-in window, modal to the app window, whose closing cancels the sign-in', async () => {
    vi.resetModules();
    const state = resetFakeElectron();
    hoisted.createCore.mockClear();
    const issuer = 'https://idp.clinic.example';
    const file = usePolicy({
      central: {
        issuer,
        fhirBaseUrl: 'https://fhir.clinic.example/r4',
        clientId: 'clinic-workstation',
        roleMap: { nurse: 'nurse' },
      },
    });
    try {
      await import('../../src-main/electron/main.ts');
      state.app.becomeReady();
      await vi.waitFor(() => expect(state.windows[0]?.loadURL).toHaveBeenCalled());
      const ports = hoisted.createCore.mock.calls[0]?.[0];
      const authBrowser = ports?.authBrowser;
      if (!authBrowser) throw new Error('no sign-in window given to the core');
      expect(ports?.policy.central?.issuer).toBe(issuer);
      expect(ports?.policySource).toBe(file);

      await authBrowser.open(new URL(`${issuer}/auth?client_id=clinic-workstation`));
      const [appWindow, signInWindow] = state.windows;
      expect(signInWindow?.options).toMatchObject({
        parent: appWindow,
        modal: true,
        webPreferences: { partition: 'clinic-workstation-sign-in' },
      });

      hoisted.core.invoke.mockClear();
      signInWindow?.close(); // the clinician closes the provider's window
      expect(hoisted.core.invoke).toHaveBeenCalledExactlyOnceWith('session.cancelSignIn', {});
    } finally {
      usePolicy({});
    }
  });

  it('with --ws runs the IT command line instead of the app: no window, no lock, its exit code', async () => {
    vi.resetModules();
    const state = resetFakeElectron();
    hoisted.createCore.mockClear();
    const file = usePolicy({ lock: { idleSeconds: 10 } });
    const argv = process.argv;
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    process.argv = [argv[0]!, '.', '--ws', 'policy', 'check', file, '--json'];
    try {
      await import('../../src-main/electron/main.ts');
      await vi.waitFor(() => expect(state.app.exit).toHaveBeenCalledWith(1));
      expect(JSON.parse(written.join(''))).toMatchObject({
        ok: false,
        code: 'POLICY_INVALID',
        message: expect.stringContaining('lock.idleSeconds'),
      });
      expect(state.app.requestSingleInstanceLock).not.toHaveBeenCalled();
      expect(state.windows).toHaveLength(0);
      expect(hoisted.createCore).not.toHaveBeenCalled();
    } finally {
      process.argv = argv;
      write.mockRestore();
      usePolicy({});
    }
  });

  it('does not start with an invalid policy: the dialog names the setting and the file, and the app exits', async () => {
    vi.resetModules();
    const state = resetFakeElectron();
    hoisted.createCore.mockClear();
    const file = usePolicy({ lock: { idleSecs: 60 } });
    try {
      await import('../../src-main/electron/main.ts');
      state.app.becomeReady();
      await vi.waitFor(() => expect(state.app.exit).toHaveBeenCalledWith(1));
      expect(hoisted.createCore).not.toHaveBeenCalled();
      expect(state.windows).toHaveLength(0);
      const [box] = state.errorBoxes;
      expect(box?.title).toBe('Clinic Workstation could not start');
      expect(box?.content).toContain(file);
      expect(box?.content).toContain('lock.idleSecs: not a setting this version knows');
    } finally {
      usePolicy({});
    }
  });
});
