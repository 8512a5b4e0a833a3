/**
 * The Electron shell's guards, with Electron replaced by recording fakes (its binary cannot be
 * downloaded here). Each test drives what a hostile or buggy page could do and asserts the guard
 * stops it, so removing a guard makes a test fail.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrowserWindow, IpcMainInvokeEvent, Session, WebContents } from 'electron';
import { BRIDGE_EVENT, BRIDGE_INVOKE } from '../../src-shared/ipc/contract.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import type { Core } from '../../src-main/core.ts';
import {
  FakeBrowserWindow,
  FakeEvent,
  FakeFrame,
  FakeSession,
  FakeWebContents,
  fake,
  resetFakeElectron,
} from './support/fake-electron.ts';

vi.mock('electron', () => import('./support/fake-electron.ts'));

const { APP_ENTRY_URL, APP_ORIGIN, SESSION_PARTITION, isAppUrl } = await import('../../src-main/electron/origin.ts');
const { buildMainWindowOptions, buildWebPreferences, createMainWindow } =
  await import('../../src-main/electron/window.ts');
const { CONTENT_SECURITY_POLICY, hardenSession, hardenWebContents, installSecurityHooks } =
  await import('../../src-main/electron/security.ts');
const { checkSender, registerIpcBridge } = await import('../../src-main/electron/ipc.ts');
const { APP_SCHEME_PRIVILEGES, createAppProtocolHandler, resolveRendererFile } =
  await import('../../src-main/electron/protocol.ts');

const asContents = (contents: FakeWebContents) => contents as unknown as WebContents;
const asSession = (ses: FakeSession) => ses as unknown as Session;
const asWindow = (window: FakeBrowserWindow) => window as unknown as BrowserWindow;

beforeEach(() => {
  resetFakeElectron();
});

describe('app origin', () => {
  it('accepts only app://clinic pages', () => {
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
    expect(isAppUrl(`${APP_ORIGIN}/assets/x.js?y=1#z`)).toBe(true);
    for (const url of [
      'https://example.org/',
      'https://clinic/',
      'app://evil/index.html',
      'app://clinic.evil/index.html',
      'app://clinic:8080/index.html',
      'app://user:pw@clinic/index.html',
      'file:///etc/passwd',
      'about:blank',
      'javascript:alert(1)',
      '',
      'not a url',
    ]) {
      expect(isAppUrl(url), url).toBe(false);
    }
    expect(isAppUrl(null)).toBe(false);
    expect(isAppUrl(undefined)).toBe(false);
  });
});

describe('window', () => {
  it('uses exactly the hardened webPreferences', () => {
    const preloadPath = '/app/out/preload/preload.cjs';
    expect(buildWebPreferences({ preloadPath, isPackaged: true })).toStrictEqual({
      preload: preloadPath,
      partition: 'clinic-workstation',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      devTools: false,
    });
  });

  it('allows developer tools only when not packaged', () => {
    expect(buildWebPreferences({ preloadPath: '/p.cjs', isPackaged: false }).devTools).toBe(true);
    expect(buildWebPreferences({ preloadPath: '/p.cjs', isPackaged: true }).devTools).toBe(false);
  });

  it('uses an in-memory partition (no persist: prefix)', () => {
    expect(SESSION_PARTITION.startsWith('persist:')).toBe(false);
    expect(buildWebPreferences({ preloadPath: '/p.cjs', isPackaged: true }).partition).toBe(SESSION_PARTITION);
  });

  it('creates the BrowserWindow with those options, hidden until ready to show', () => {
    const config = { preloadPath: '/app/out/preload/preload.cjs', isPackaged: true };
    createMainWindow(config);
    const [window] = fake().windows;
    expect(window?.options).toStrictEqual(buildMainWindowOptions(config));
    expect(window?.options.show).toBe(false);
    expect(window?.show).not.toHaveBeenCalled();
    window?.emit('ready-to-show');
    expect(window?.show).toHaveBeenCalledTimes(1);
  });
});

describe('webContents hardening', () => {
  const navigationEvents = ['will-navigate', 'will-frame-navigate', 'will-redirect'] as const;

  it.each(navigationEvents)('%s: foreign targets are prevented, the app origin is allowed', (eventName) => {
    const contents = new FakeWebContents();
    const logger = createMemoryLogger();
    hardenWebContents(asContents(contents), logger);

    for (const url of [
      'https://example.org/',
      'http://127.0.0.1:8080/',
      'file:///etc/passwd',
      'app://evil/index.html',
    ]) {
      const event = new FakeEvent({ url });
      contents.emit(eventName, event, url);
      expect(event.defaultPrevented, url).toBe(true);
    }
    const ownUrl = `${APP_ORIGIN}/index.html`;
    const own = new FakeEvent({ url: ownUrl });
    contents.emit(eventName, own, ownUrl);
    expect(own.defaultPrevented).toBe(false);
    // The blocked URL is not logged (a query string could carry PHI).
    expect(JSON.stringify(logger.entries)).not.toContain('example.org');
  });

  it('denies every window.open, including to the app origin', () => {
    const contents = new FakeWebContents();
    hardenWebContents(asContents(contents), createMemoryLogger());
    expect(contents.windowOpenHandler).not.toBeNull();
    for (const url of ['https://example.org/', APP_ENTRY_URL, 'about:blank']) {
      expect(contents.windowOpenHandler?.({ url })).toStrictEqual({ action: 'deny' });
    }
  });

  it('prevents attaching a webview', () => {
    const contents = new FakeWebContents();
    hardenWebContents(asContents(contents), createMemoryLogger());
    const event = new FakeEvent();
    contents.emit('will-attach-webview', event, {}, { src: 'https://example.org/' });
    expect(event.defaultPrevented).toBe(true);
  });

  it('is applied to every webContents the app creates', () => {
    installSecurityHooks(createMemoryLogger());
    const contents = new FakeWebContents();
    fake().app.emit('web-contents-created', new FakeEvent(), contents);
    expect(contents.windowOpenHandler?.({ url: 'https://example.org/' })).toStrictEqual({ action: 'deny' });
    const event = new FakeEvent({ url: 'https://example.org/' });
    contents.emit('will-navigate', event);
    expect(event.defaultPrevented).toBe(true);
  });

  it('attaches its handlers once even when applied twice', () => {
    const contents = new FakeWebContents();
    const logger = createMemoryLogger();
    hardenWebContents(asContents(contents), logger);
    hardenWebContents(asContents(contents), logger);
    expect(contents.listenerCount('will-navigate')).toBe(1);
  });
});

describe('session hardening', () => {
  const permissions = [
    'media',
    'geolocation',
    'notifications',
    'clipboard-read',
    'display-capture',
    'fullscreen',
    'hid',
    'serial',
    'usb',
    'openExternal',
    'pointerLock',
    'unknown',
  ];

  it('denies every permission request', () => {
    const ses = new FakeSession(SESSION_PARTITION);
    hardenSession(asSession(ses), createMemoryLogger());
    for (const permission of permissions) {
      const callback = vi.fn();
      ses.permissionRequestHandler?.(asContents(new FakeWebContents()), permission, callback, {});
      expect(callback, permission).toHaveBeenCalledExactlyOnceWith(false);
    }
  });

  it('answers false to every permission check and device request', () => {
    const ses = new FakeSession(SESSION_PARTITION);
    hardenSession(asSession(ses), createMemoryLogger());
    for (const permission of permissions) {
      expect(ses.permissionCheckHandler?.(null, permission, APP_ORIGIN, {}), permission).toBe(false);
    }
    expect(ses.devicePermissionHandler?.({ deviceType: 'usb', origin: APP_ORIGIN })).toBe(false);
  });

  it('prevents downloads (they would write PHI to disk)', () => {
    const ses = new FakeSession(SESSION_PARTITION);
    hardenSession(asSession(ses), createMemoryLogger());
    const event = new FakeEvent();
    ses.emit('will-download', event, {}, asContents(new FakeWebContents()));
    expect(event.defaultPrevented).toBe(true);
  });

  it('is applied to every session the app creates', () => {
    installSecurityHooks(createMemoryLogger());
    const ses = new FakeSession('later');
    fake().app.emit('session-created', ses);
    const callback = vi.fn();
    ses.permissionRequestHandler?.(null, 'media', callback, {});
    expect(callback).toHaveBeenCalledExactlyOnceWith(false);
  });
});

describe('content security policy', () => {
  it('is strict: no inline or eval, nothing from elsewhere, no framing', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|unsafe-hashes|wasm-unsafe-eval|\*|https?:/);
    const directives = new Map(
      CONTENT_SECURITY_POLICY.split(';').map((part) => {
        const [name, ...values] = part.trim().split(/\s+/);
        return [name, values.join(' ')] as const;
      }),
    );
    expect(Object.fromEntries(directives)).toStrictEqual({
      'default-src': "'none'",
      'script-src': "'self'",
      'style-src': "'self'",
      'img-src': "'self' data:",
      'font-src': "'self'",
      'connect-src': "'self'",
      'base-uri': "'none'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
      'object-src': "'none'",
    });
  });
});

describe('IPC bridge', () => {
  type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>;

  function setup(coreInvoke: Core['invoke'] = async () => ({ ok: true, data: { answered: true } })) {
    const window = new FakeBrowserWindow({});
    window.webContents.navigateTo(APP_ENTRY_URL);
    const listeners: Parameters<Core['onEvent']>[0][] = [];
    const core = {
      invoke: vi.fn(coreInvoke),
      onEvent: vi.fn((listener: Parameters<Core['onEvent']>[0]) => {
        listeners.push(listener);
        return () => listeners.splice(listeners.indexOf(listener), 1);
      }),
    };
    const logger = createMemoryLogger();
    let current: FakeBrowserWindow | null = window;
    const dispose = registerIpcBridge({ core, getWindow: () => (current ? asWindow(current) : null), logger });
    const handler = fake().ipcMainHandlers.get(BRIDGE_INVOKE) as Handler | undefined;
    if (!handler) throw new Error('no handler registered');
    const emit = <E extends Parameters<Parameters<Core['onEvent']>[0]>[0]>(
      name: E,
      payload: Parameters<Parameters<Core['onEvent']>[0]>[1],
    ) => {
      for (const listener of listeners) listener(name, payload as never);
    };
    return {
      window,
      core,
      logger,
      handler,
      dispose,
      listeners,
      emit,
      closeWindow: () => {
        current = null;
      },
    };
  }

  const eventFrom = (sender: FakeWebContents, senderFrame: FakeFrame | null) =>
    ({ sender, senderFrame }) as unknown as IpcMainInvokeEvent;

  it('registers one handler on the bridge channel', () => {
    setup();
    expect([...fake().ipcMainHandlers.keys()]).toStrictEqual([BRIDGE_INVOKE]);
  });

  it('forwards a request from the main frame of our window on the app origin', async () => {
    const { window, core, handler } = setup();
    const request = { query: 'smi', limit: 5 };
    const result = await handler(
      eventFrom(window.webContents, window.webContents.mainFrame),
      'patients.search',
      request,
    );
    expect(core.invoke).toHaveBeenCalledExactlyOnceWith('patients.search', request);
    expect(result).toStrictEqual({ ok: true, data: { answered: true } });
  });

  it('refuses a main frame whose URL is not the app origin, without calling the core', async () => {
    const { window, core, handler, logger } = setup();
    window.webContents.navigateTo('https://evil.example/');
    const result = await handler(eventFrom(window.webContents, window.webContents.mainFrame), 'workstation.status', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(core.invoke).not.toHaveBeenCalled();
    expect(logger.entries).toStrictEqual([
      {
        level: 'warn',
        event: 'ipc.sender_rejected',
        fields: { reason: 'foreign_origin', channel: 'workstation.status' },
      },
    ]);
  });

  it('refuses a sub-frame, even one on the app origin', async () => {
    const { window, core, handler } = setup();
    const subFrame = new FakeFrame(APP_ENTRY_URL, window.webContents.mainFrame);
    const result = await handler(eventFrom(window.webContents, subFrame), 'workstation.status', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(core.invoke).not.toHaveBeenCalled();
  });

  it('refuses a top frame that is not the main frame of our window', async () => {
    const { window, core, handler } = setup();
    const otherTop = new FakeFrame(APP_ENTRY_URL);
    const result = await handler(eventFrom(window.webContents, otherTop), 'workstation.status', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(core.invoke).not.toHaveBeenCalled();
  });

  it('refuses another webContents, a frame that is gone, and a closed window', async () => {
    const { window, core, handler, closeWindow } = setup();
    const other = new FakeWebContents();
    other.navigateTo(APP_ENTRY_URL);
    expect(await handler(eventFrom(other, other.mainFrame), 'workstation.status', {})).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await handler(eventFrom(window.webContents, null), 'workstation.status', {})).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    closeWindow();
    expect(
      await handler(eventFrom(window.webContents, window.webContents.mainFrame), 'workstation.status', {}),
    ).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(core.invoke).not.toHaveBeenCalled();
  });

  it('logs a refused request without anything the page sent', async () => {
    const { window, handler, logger } = setup();
    window.webContents.navigateTo('https://evil.example/?patient=Jane%20Smith');
    await handler(eventFrom(window.webContents, window.webContents.mainFrame), 'Jane Smith 1970-01-01', {
      query: 'Jane Smith',
    });
    const logged = JSON.stringify(logger.entries);
    expect(logged).not.toContain('Smith');
    expect(logged).not.toContain('evil.example');
    expect(logger.entries[0]?.fields).toStrictEqual({ reason: 'foreign_origin', channel: 'unknown' });
  });

  it('answers INTERNAL if the core throws', async () => {
    const { window, handler } = setup(async () => {
      throw new Error('boom Jane Smith');
    });
    const result = await handler(eventFrom(window.webContents, window.webContents.mainFrame), 'workstation.status', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(JSON.stringify(result)).not.toContain('Smith');
  });

  it('forwards core events to our page with the event name and payload only', () => {
    const { window, emit } = setup();
    const payload = {
      appName: 'Clinic Workstation',
      appVersion: '0.1.0',
      workstationId: null,
      vault: { state: 'ready', schemaVersion: 1, escrowed: false },
    };
    emit('workstation.statusChanged', payload as never);
    expect(window.webContents.send).toHaveBeenCalledExactlyOnceWith(BRIDGE_EVENT, 'workstation.statusChanged', payload);
  });

  it('does not send events to a page that is not ours, or to a destroyed window', () => {
    const { window, emit } = setup();
    window.webContents.navigateTo('https://evil.example/');
    emit('workstation.statusChanged', {} as never);
    window.webContents.navigateTo(APP_ENTRY_URL);
    window.destroyed = true;
    emit('workstation.statusChanged', {} as never);
    expect(window.webContents.send).not.toHaveBeenCalled();
  });

  it('removes the handler and the event subscription when disposed', () => {
    const { dispose, listeners } = setup();
    expect(listeners).toHaveLength(1);
    dispose();
    expect(fake().ipcMainHandlers.has(BRIDGE_INVOKE)).toBe(false);
    expect(listeners).toHaveLength(0);
  });

  it('refuses a sender whose frame can no longer be read', async () => {
    const { window, core, handler } = setup();
    const disposed = new FakeFrame(APP_ENTRY_URL);
    Object.defineProperty(disposed, 'url', {
      get: () => {
        throw new Error('Render frame was disposed before WebFrameMain could be accessed');
      },
    });
    Object.defineProperty(disposed, 'frameTreeNodeId', { value: window.webContents.mainFrame.frameTreeNodeId });
    const result = await handler(eventFrom(window.webContents, disposed), 'workstation.status', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(core.invoke).not.toHaveBeenCalled();
  });

  it('checkSender explains why a sender was refused', () => {
    const window = new FakeBrowserWindow({});
    window.webContents.navigateTo(APP_ENTRY_URL);
    const main = window.webContents.mainFrame;
    expect(checkSender(eventFrom(window.webContents, main), asWindow(window))).toStrictEqual({ ok: true });
    expect(checkSender(eventFrom(window.webContents, main), null)).toStrictEqual({ ok: false, reason: 'no_window' });
    expect(
      checkSender(eventFrom(window.webContents, new FakeFrame(APP_ENTRY_URL, main)), asWindow(window)),
    ).toStrictEqual({
      ok: false,
      reason: 'sub_frame',
    });
  });
});

describe('app:// protocol', () => {
  let base: string;
  let rendererDir: string;
  const SECRET = 'TOP-SECRET-OUTSIDE-RENDERER';

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'clinic-protocol-'));
    rendererDir = path.join(base, 'renderer');
    await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
    await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Clinic</title>');
    await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'export {};');
    await writeFile(path.join(rendererDir, 'assets', 'app.css'), 'body{}');
    await writeFile(path.join(rendererDir, 'assets', 'logo.svg'), '<svg/>');
    await writeFile(path.join(rendererDir, 'assets', 'font.woff2'), 'x');
    await writeFile(path.join(rendererDir, 'assets', 'blob.bin'), 'x');
    await writeFile(path.join(base, 'secret.txt'), SECRET);
    await writeFile(path.join(base, 'renderer-sibling.txt'), SECRET);
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const get = (url: string, init?: RequestInit & { initiatorOrigin?: string }) => {
    const { initiatorOrigin, ...rest } = init ?? {};
    const request = new Request(url, rest);
    if (initiatorOrigin !== undefined) Object.defineProperty(request, 'initiatorOrigin', { value: initiatorOrigin });
    return createAppProtocolHandler({ rendererDir })(request);
  };

  it('registers app:// as standard, secure and fetchable, and nothing more', () => {
    expect(APP_SCHEME_PRIVILEGES).toStrictEqual({ standard: true, secure: true, supportFetchAPI: true });
  });

  it('serves the renderer with the right MIME types and the CSP header', async () => {
    const cases: [string, string][] = [
      ['app://clinic/index.html', 'text/html; charset=utf-8'],
      ['app://clinic/', 'text/html; charset=utf-8'],
      ['app://clinic/assets/app.js', 'text/javascript; charset=utf-8'],
      ['app://clinic/assets/app.css', 'text/css; charset=utf-8'],
      ['app://clinic/assets/logo.svg', 'image/svg+xml'],
      ['app://clinic/assets/font.woff2', 'font/woff2'],
      ['app://clinic/assets/blob.bin', 'application/octet-stream'],
    ];
    for (const [url, type] of cases) {
      const response = await get(url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type'), url).toBe(type);
      expect(response.headers.get('content-security-policy'), url).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers.get('x-content-type-options'), url).toBe('nosniff');
    }
    expect(await (await get('app://clinic/index.html')).text()).toBe('<!doctype html><title>Clinic</title>');
  });

  it('refuses path traversal out of the renderer folder', async () => {
    const attempts = [
      'app://clinic/../../etc/passwd',
      'app://clinic/..%2Fsecret.txt',
      'app://clinic/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
      'app://clinic/assets/..%2F..%2Fsecret.txt',
      'app://clinic/%2e%2e%2fsecret.txt',
      'app://clinic/..%5Csecret.txt',
      'app://clinic/..%2F..%2Frenderer-sibling.txt',
      `app://clinic/${encodeURIComponent(path.join(base, 'secret.txt'))}`,
      'app://clinic/index.html%00.js',
      'app://clinic/%E0%A4%A',
    ];
    for (const url of attempts) {
      const response = await get(url);
      expect(response.status, url).toBe(404);
      expect(await response.text(), url).not.toContain(SECRET);
      expect(response.headers.get('content-security-policy'), url).toBe(CONTENT_SECURITY_POLICY);
    }
    expect(resolveRendererFile(rendererDir, 'app://clinic/..%2Fsecret.txt')).toBeNull();
    // Backslashes (a separator on Windows) and NUL bytes are refused before touching the disk.
    expect(resolveRendererFile(rendererDir, 'app://clinic/..%5Csecret.txt')).toBeNull();
    expect(resolveRendererFile(rendererDir, 'app://clinic/index.html%00.js')).toBeNull();
    expect(resolveRendererFile(rendererDir, 'app://clinic/assets/app.js')).toBe(
      path.join(rendererDir, 'assets', 'app.js'),
    );
  });

  it('serves only the app host and only GET/HEAD', async () => {
    expect((await get('app://evil/index.html')).status).toBe(404);
    expect((await get('app://clinic:99/index.html')).status).toBe(404);
    const post = await get('app://clinic/index.html', { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const head = await get('app://clinic/index.html', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await get('app://clinic/missing.js')).status).toBe(404);
    expect((await get('app://clinic/assets/')).status).toBe(404);
  });

  it('serves only requests made by our own pages (or by the browser itself)', async () => {
    expect((await get('app://clinic/index.html', { initiatorOrigin: APP_ORIGIN })).status).toBe(200);
    expect((await get('app://clinic/index.html', { initiatorOrigin: 'https://evil.example' })).status).toBe(403);
    expect((await get('app://clinic/index.html', { initiatorOrigin: 'null' })).status).toBe(403);
  });
});
