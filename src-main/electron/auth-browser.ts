/**
 * The AuthBrowser port in Electron: a dedicated window that shows the clinic identity provider's
 * sign-in page (RFC 8252 recommends the system browser; a kiosk-like shared workstation keeps the
 * flow in a window the app controls and can close). The window holds no PHI and no preload; it may
 * navigate only within the provider's origin and to the loopback redirect, and its session is in
 * memory and wiped when the sign-in ends, so the next clinician at this workstation never inherits
 * the previous one's provider session.
 */
import { BrowserWindow, session } from 'electron';
import type { AuthBrowser } from '../ports.ts';
import type { Logger } from '../log/index.ts';
import { allowNavigation, hardenSession } from './security.ts';
import { HARDENED_WEB_PREFERENCES } from './window.ts';

/** In memory (no `persist:`), and separate from the app window's session. */
export const SIGN_IN_PARTITION = 'clinic-workstation-sign-in';

function isLoopbackCallback(url: URL): boolean {
  return (
    url.protocol === 'http:' &&
    (url.hostname === '127.0.0.1' || url.hostname === '[::1]') &&
    url.pathname === '/callback'
  );
}

/** The provider's origin, and the loopback redirect the core listens on; nothing else. */
export function signInNavigationRule(issuer: string): (url: string) => boolean {
  const issuerOrigin = new URL(issuer).origin;
  return (raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return false;
    }
    if (url.username || url.password) return false;
    return url.origin === issuerOrigin || isLoopbackCallback(url);
  };
}

export interface ElectronAuthBrowserOptions {
  issuer: string;
  logger: Logger;
  /**
   * The app window the sign-in window is modal to. Read when a sign-in opens, because the shell
   * builds this port (for the core) before it creates the app window.
   */
  getParent?: () => BrowserWindow | null;
  /** The clinician closed the sign-in window: the caller aborts the sign-in (its AbortSignal). */
  onClosedByUser?: () => void;
}

export function createElectronAuthBrowser(options: ElectronAuthBrowserOptions): AuthBrowser {
  let window: BrowserWindow | null = null;
  let closing = false;
  const ses = session.fromPartition(SIGN_IN_PARTITION);
  hardenSession(ses, options.logger);
  const rule = signInNavigationRule(options.issuer);

  const wipe = () => {
    // Cookies and storage of the provider: the next sign-in on this workstation starts clean.
    void ses.clearStorageData().catch(() => options.logger.log('warn', 'shell.sign_in_storage_not_cleared'));
  };

  return {
    async open(url) {
      if (!rule(url.href)) throw new Error('The sign-in address is not the identity provider.');
      const found = options.getParent?.();
      const parent = found && !found.isDestroyed() ? found : undefined;
      window = new BrowserWindow({
        width: 520,
        height: 720,
        title: 'Sign in',
        parent,
        modal: parent !== undefined,
        autoHideMenuBar: true,
        webPreferences: { partition: SIGN_IN_PARTITION, ...HARDENED_WEB_PREFERENCES, devTools: false },
      });
      allowNavigation(window.webContents, rule);
      window.on('closed', () => {
        window = null;
        wipe();
        if (!closing) options.onClosedByUser?.();
      });
      await window.loadURL(url.href);
    },
    close() {
      closing = true;
      if (window && !window.isDestroyed()) window.close();
      else wipe();
    },
  };
}
