/**
 * The app's own origin. The renderer is served from `app://clinic/` (see protocol.ts), and every
 * guard in the shell (navigation, IPC sender, event delivery) asks one question: is this URL ours?
 * Kept free of Electron imports so the guards can share it and tests can use it directly.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'clinic';
/** Written out rather than read from `URL.origin`: Node reports 'null' for non-special schemes. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * The in-memory session the window runs in. No `persist:` prefix: Chromium then keeps the HTTP
 * cache, cookies and storage in RAM only, so nothing the renderer touches reaches the disk.
 */
export const SESSION_PARTITION = 'clinic-workstation';

/**
 * True only for `app://clinic/...` with no port and no credentials. Anything unparsable is not
 * ours. Compares scheme and host by hand because WHATWG `URL.origin` is 'null' for custom schemes.
 */
export function isAppUrl(url: string | null | undefined): boolean {
  if (typeof url !== 'string' || url.length === 0) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === ''
  );
}
