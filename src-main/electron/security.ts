/**
 * Hardening applied to every webContents and every session the app creates (Electron security
 * checklist, PRODUCT.md capability 9). The window only ever shows the app's own pages: it cannot
 * navigate away, open windows, embed webviews, download files or be granted any permission.
 * A clinician must never be sent somewhere else from a window that holds PHI, so there are no
 * exceptions, not even "open https links in the browser". The sign-in window, which never holds
 * PHI, may show the identity provider's pages (allowNavigation).
 */
import { app } from 'electron';
import type { Session, WebContents } from 'electron';
import type { Logger } from '../log/index.ts';
import { contentSecurityPolicy } from '../../src-shared/security/csp.ts';
import { isAppUrl } from './origin.ts';

/** Sent with every response of the app:// protocol (see src-shared/security/csp.ts). */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

// Handlers are attached once per object even when both the app-wide hook and main.ts apply them.
const hardenedContents = new WeakSet<WebContents>();
const hardenedSessions = new WeakSet<Session>();

/**
 * Where a webContents may navigate, when not only to the app's own pages. The one exception is the
 * sign-in window (auth-browser.ts): the identity provider's pages and the loopback redirect. The
 * guards below read this at each navigation, so it can be set right after the window is created.
 */
const navigationAllowances = new WeakMap<WebContents, (url: string) => boolean>();

export function allowNavigation(contents: WebContents, allowed: (url: string) => boolean): void {
  navigationAllowances.set(contents, allowed);
}

function mayNavigate(contents: WebContents, url: string): boolean {
  const allowed = navigationAllowances.get(contents);
  return allowed ? allowed(url) : isAppUrl(url);
}

/** Navigation, new windows and webviews: everything that could take the page elsewhere. */
export function hardenWebContents(contents: WebContents, logger: Logger): void {
  if (hardenedContents.has(contents)) return;
  hardenedContents.add(contents);

  const blockForeign = (kind: string) => (event: { url: string; preventDefault(): void }) => {
    if (mayNavigate(contents, event.url)) return;
    event.preventDefault();
    // The target URL is not logged: a query string could carry PHI.
    logger.log('warn', 'security.navigation_blocked', { reason: kind });
  };
  // will-navigate covers the main frame, will-frame-navigate every frame, will-redirect a server
  // redirect in the middle of an allowed navigation.
  contents.on('will-navigate', blockForeign('will-navigate'));
  contents.on('will-frame-navigate', blockForeign('will-frame-navigate'));
  contents.on('will-redirect', blockForeign('will-redirect'));

  contents.setWindowOpenHandler(() => {
    logger.log('warn', 'security.window_open_denied');
    return { action: 'deny' };
  });

  // webviewTag is off in webPreferences; this stops a webview even if a preference ever flips.
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    logger.log('warn', 'security.webview_blocked');
  });
}

/** Permissions and downloads belong to the session, not to one webContents. */
export function hardenSession(ses: Session, logger: Logger): void {
  if (hardenedSessions.has(ses)) return;
  hardenedSessions.add(ses);

  // Camera, microphone, geolocation, notifications, clipboard, HID, serial...: nothing is granted.
  ses.setPermissionRequestHandler((_contents, permission, callback) => {
    logger.log('warn', 'security.permission_denied', { reason: permission });
    callback(false);
  });
  // Checks are frequent and synchronous, so they are denied without a log line each time.
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);

  // A download would write PHI to disk in clear; exports go through the core, never the browser.
  ses.on('will-download', (event) => {
    event.preventDefault();
    logger.log('warn', 'security.download_blocked');
  });
}

/**
 * Apply the hardening to whatever Electron creates from now on: every webContents (windows,
 * devtools, anything a future feature adds) and every session. Call before the first window.
 */
export function installSecurityHooks(logger: Logger): void {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, logger));
  app.on('session-created', (ses) => hardenSession(ses, logger));
}
