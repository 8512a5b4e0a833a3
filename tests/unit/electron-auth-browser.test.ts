/**
 * The sign-in window (AuthBrowser in Electron), against the recording Electron fakes: hardened
 * options, navigation only to the provider and the loopback redirect (while the app's own window
 * keeps refusing both), and a provider session wiped when the sign-in ends.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { FakeBrowserWindow, FakeEvent, fake, resetFakeElectron } from './support/fake-electron.ts';

vi.mock('electron', () => import('./support/fake-electron.ts'));
const { createElectronAuthBrowser, SIGN_IN_PARTITION, signInNavigationRule } =
  await import('../../src-main/electron/auth-browser.ts');
const { installSecurityHooks } = await import('../../src-main/electron/security.ts');

const ISSUER = 'https://idp.clinic.example';
const logger = createMemoryLogger();

beforeEach(() => {
  resetFakeElectron();
  installSecurityHooks(logger);
});

function navigate(window: FakeBrowserWindow, url: string, kind = 'will-navigate'): boolean {
  const event = new FakeEvent({ url });
  window.webContents.emit(kind, event);
  return !event.defaultPrevented;
}

describe('sign-in window', () => {
  it('opens the provider page in a sandboxed window of its own, in-memory session, no preload', async () => {
    const browser = createElectronAuthBrowser({ issuer: ISSUER, logger });
    await browser.open(new URL(`${ISSUER}/auth?client_id=clinic-workstation`));
    const [window] = fake().windows;
    expect(window!.loadURL).toHaveBeenCalledWith(`${ISSUER}/auth?client_id=clinic-workstation`);
    const prefs = window!.options.webPreferences;
    expect(prefs).toMatchObject({
      partition: SIGN_IN_PARTITION,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      devTools: false,
    });
    expect(prefs.preload).toBeUndefined();
    expect(SIGN_IN_PARTITION.startsWith('persist:')).toBe(false);
    // The session is hardened like the app's: no permission is ever granted.
    const ses = fake().sessions.get(SIGN_IN_PARTITION)!;
    const granted = vi.fn();
    ses.permissionRequestHandler!(null, 'media', granted);
    expect(granted).toHaveBeenCalledWith(false);
  });

  it('may navigate within the provider and to the loopback redirect only; the app window still may not', async () => {
    const browser = createElectronAuthBrowser({ issuer: ISSUER, logger });
    await browser.open(new URL(`${ISSUER}/auth`));
    const signInWindow = fake().windows[0]!;
    expect(navigate(signInWindow, `${ISSUER}/interaction/abc/login`)).toBe(true);
    expect(navigate(signInWindow, 'http://127.0.0.1:53682/callback?code=x&state=y', 'will-redirect')).toBe(true);
    expect(navigate(signInWindow, 'http://127.0.0.1:53682/elsewhere')).toBe(false);
    expect(navigate(signInWindow, 'https://evil.example/phish')).toBe(false);
    expect(navigate(signInWindow, 'https://idp.clinic.example.evil.example/')).toBe(false);
    expect(navigate(signInWindow, `https://user:pw@idp.clinic.example/`)).toBe(false);
    expect(navigate(signInWindow, 'app://clinic/index.html')).toBe(false);

    const appWindow = new FakeBrowserWindow({});
    expect(navigate(appWindow, `${ISSUER}/interaction/abc/login`)).toBe(false);
    expect(navigate(appWindow, 'app://clinic/index.html')).toBe(true);
  });

  it('is modal to the app window as it is when the sign-in opens, and stands alone without one', async () => {
    let appWindow: FakeBrowserWindow | null = null;
    const browser = createElectronAuthBrowser({ issuer: ISSUER, logger, getParent: () => appWindow as never });
    appWindow = new FakeBrowserWindow({}); // created after the port, as main.ts does
    await browser.open(new URL(`${ISSUER}/auth`));
    expect(fake().windows[1]!.options).toMatchObject({ parent: appWindow, modal: true });
    browser.close!();

    appWindow.close();
    await browser.open(new URL(`${ISSUER}/auth`));
    expect(fake().windows[2]!.options).toMatchObject({ parent: undefined, modal: false });
  });

  it('refuses to open anything but the provider', async () => {
    const browser = createElectronAuthBrowser({ issuer: ISSUER, logger });
    await expect(browser.open(new URL('https://evil.example/auth'))).rejects.toThrow(/not the identity provider/);
    expect(fake().windows).toHaveLength(0);
    expect(signInNavigationRule(ISSUER)('not a url')).toBe(false);
  });

  it('wipes the provider session when the sign-in ends, and tells the caller when the clinician closed it', async () => {
    const closedByUser = vi.fn();
    const done = createElectronAuthBrowser({ issuer: ISSUER, logger, onClosedByUser: closedByUser });
    await done.open(new URL(`${ISSUER}/auth`));
    done.close!();
    const ses = fake().sessions.get(SIGN_IN_PARTITION)!;
    expect(fake().windows[0]!.isDestroyed()).toBe(true);
    expect(ses.clearStorageData).toHaveBeenCalledTimes(1);
    expect(closedByUser).not.toHaveBeenCalled();

    const abandoned = createElectronAuthBrowser({ issuer: ISSUER, logger, onClosedByUser: closedByUser });
    await abandoned.open(new URL(`${ISSUER}/auth`));
    fake().windows[1]!.close(); // the clinician closes the window
    expect(closedByUser).toHaveBeenCalledTimes(1);
    expect(ses.clearStorageData).toHaveBeenCalledTimes(2);
  });
});
