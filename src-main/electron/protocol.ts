/**
 * The app:// scheme: serves the built renderer (out/renderer) to the window. A custom scheme
 * rather than file:// gives the page a real origin, so 'self' in the CSP means something, the IPC
 * guard can recognise the sender, and the page cannot read other files through file:// URLs.
 *
 * The handler only reads files inside the renderer folder, answers with a fixed MIME type per
 * extension (module scripts need the right one), and sends the CSP on every response, errors
 * included. It has no Electron import, so tests call it with plain Request objects.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import { mimeTypeFor, resolveUnderRoot } from '../static/index.ts';
import { APP_HOST, APP_ORIGIN, APP_SCHEME } from './origin.ts';
import { CONTENT_SECURITY_POLICY } from './security.ts';

/**
 * Privileges for protocol.registerSchemesAsPrivileged. `standard` gives the scheme an origin and
 * relative URLs, `secure` makes it a secure context, `supportFetchAPI` lets the page fetch its own
 * files. Deliberately absent: `corsEnabled` (would let other origins read these files),
 * `bypassCSP`, `allowServiceWorkers`, `stream`, and `codeCache` (V8 code cache is written to disk).
 */
export const APP_SCHEME_PRIVILEGES = Object.freeze({
  standard: true,
  secure: true,
  supportFetchAPI: true,
});

/** Headers on every response, whatever its status. */
function securityHeaders(contentType?: string): Headers {
  const headers = new Headers({
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });
  if (contentType) headers.set('Content-Type', contentType);
  return headers;
}

function refuse(status: 403 | 404 | 405): Response {
  const headers = securityHeaders('text/plain; charset=utf-8');
  if (status === 405) headers.set('Allow', 'GET, HEAD');
  return new Response(null, { status, headers });
}

/**
 * Maps a request URL to a file inside `root`, or null when the URL is not ours or the path would
 * leave the folder. The path is percent-decoded first and checked after resolution, so
 * `..%2F..%2Fetc%2Fpasswd`, backslashes and NUL bytes cannot escape either.
 */
export function resolveRendererFile(root: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST || url.username || url.password) return null;

  return resolveUnderRoot(root, url.pathname);
}

export interface AppProtocolOptions {
  /** Absolute path of the built renderer (out/renderer, inside app.asar when packaged). */
  rendererDir: string;
  /** Injected by tests; Electron's fs also reads from inside app.asar. */
  readFile?: (filePath: string) => Promise<Uint8Array>;
}

type ElectronRequest = Request & { initiatorOrigin?: string };

export function createAppProtocolHandler(options: AppProtocolOptions): (request: Request) => Promise<Response> {
  const read = options.readFile ?? ((filePath: string) => fsReadFile(filePath));
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405);

    // Electron sets initiatorOrigin (the page cannot forge it) when web content made the request.
    // Only our own pages may load our files; the window's first load has no initiator.
    const initiator = (request as ElectronRequest).initiatorOrigin;
    if (initiator !== undefined && initiator !== APP_ORIGIN) return refuse(403);

    const filePath = resolveRendererFile(options.rendererDir, request.url);
    if (filePath === null) return refuse(404);

    let body: Uint8Array;
    try {
      body = await read(filePath);
    } catch {
      return refuse(404); // missing file or a directory; no path in the answer
    }
    const headers = securityHeaders(mimeTypeFor(filePath));
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
  };
}
