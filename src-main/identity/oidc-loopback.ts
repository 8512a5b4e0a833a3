import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/index.ts';
import { OidcError, safeOAuthErrorCode } from './oidc-errors.ts';

/**
 * The RFC 8252 loopback redirect receiver: an HTTP server on 127.0.0.1, on a port the OS picks,
 * open only for one sign-in. It accepts exactly one callback on the fixed path `/callback` that
 * carries this sign-in's state: with a code it resolves, with a provider error (or no code) it
 * rejects with a typed error, and the server closes right after. A request with a wrong or
 * missing state is answered 400 and ignored: any local process can reach the port, and one
 * forged request must not end the sign-in (issue 17). It also closes on timeout, on abort and
 * when the caller is done with it.
 */

export const CALLBACK_PATH = '/callback';

export interface LoopbackReceiver {
  /** `http://127.0.0.1:<port>/callback` */
  readonly redirectUri: string;
  readonly port: number;
  /** The full callback URL (to hand to the code exchange), once a matching callback arrived. */
  readonly callback: Promise<URL>;
  /** Stops listening and drops open connections; idempotent. */
  close(): Promise<void>;
}

function page(title: string, text: string, script = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><main><h1>${title}</h1><p>${text}</p></main>${script ? `<script>${script}</script>` : ''}</body></html>`;
}

/**
 * Once the sign-in is received the window closes itself: the app's own close cannot reach it
 * (the web host's page is cross-origin isolated, so its handle on the popup is cut; a system
 * browser's tab was never the app's). A browser that refuses (a tab the user opened) keeps the text.
 */
const CLOSE_SCRIPT = 'window.close();';
const CLOSE_SCRIPT_HASH = `'sha256-${createHash('sha256').update(CLOSE_SCRIPT).digest('base64')}'`;
const DONE_PAGE = page(
  'Clinic Workstation',
  'Sign-in received. You can close this window and return to Clinic Workstation.',
  CLOSE_SCRIPT,
);
const FAILED_PAGE = page(
  'Clinic Workstation',
  'Sign-in did not complete. You can close this window and return to Clinic Workstation.',
);

export async function startLoopbackReceiver(options: {
  expectedState: string;
  timeoutMs: number;
  logger: Logger;
  signal?: AbortSignal;
}): Promise<LoopbackReceiver> {
  const { expectedState, logger } = options;
  let settle: { resolve: (url: URL) => void; reject: (error: Error) => void } | undefined;
  const callback = new Promise<URL>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // The caller may never await (e.g. the browser failed first); avoid an unhandled rejection.
  callback.catch(() => undefined);
  let done = false;
  let closed: Promise<void> | undefined;

  const server = http.createServer((req, res) => {
    const respond = (status: number, body: string) => {
      res.writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        // Nothing runs but the one script that closes the window (by its hash; only the done page has it).
        'content-security-policy': `default-src 'none'; script-src ${body === DONE_PAGE ? CLOSE_SCRIPT_HASH : "'none'"}`,
        connection: 'close',
      });
      res.end(body);
    };
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH || done) {
      respond(404, page('Not found', 'Nothing here.'));
      return;
    }
    const params = url.searchParams;
    if (params.get('state') !== expectedState) {
      // Any local process can reach this port: a request without this sign-in's state proves
      // nothing and must not end the sign-in (or one request would kill every sign-in). It is
      // answered and logged, and the receiver keeps waiting for the real redirect until the timeout.
      respond(400, FAILED_PAGE);
      logger.log('warn', 'identity.oidc.callback.forged', { code: 'STATE_MISMATCH' });
      return;
    }
    const error = params.get('error');
    if (error !== null) {
      const code = safeOAuthErrorCode(error);
      respond(200, FAILED_PAGE);
      finish(
        code === 'access_denied'
          ? new OidcError('CANCELLED', 'The sign-in was cancelled at the identity provider.', code)
          : new OidcError('PROVIDER_ERROR', 'The identity provider refused the sign-in.', code),
      );
      return;
    }
    if (!params.get('code')) {
      respond(400, FAILED_PAGE);
      finish(new OidcError('PROVIDER_ERROR', 'The sign-in response carries no authorization code.'));
      return;
    }
    respond(200, DONE_PAGE);
    finish(undefined, new URL(`${redirectUri}${url.search}`));
  });

  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      server.close(() => resolve());
      // Let the answer to the browser go out, then drop whatever is still open.
      setImmediate(() => server.closeAllConnections());
    });
    return closed;
  };

  function finish(error: OidcError | undefined, url?: URL): void {
    if (done) return;
    done = true;
    logger.log(error ? 'warn' : 'info', 'identity.oidc.callback', { code: error?.code ?? 'OK' });
    void close();
    if (error) settle?.reject(error);
    else if (url) settle?.resolve(url);
  }

  const onAbort = () => finish(new OidcError('CANCELLED', 'The sign-in was cancelled.'));
  const timer = setTimeout(
    () => finish(new OidcError('TIMEOUT', 'The sign-in did not complete in time.')),
    options.timeoutMs,
  );
  timer.unref();

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch {
    clearTimeout(timer);
    throw new OidcError('NETWORK', 'The sign-in could not open a loopback port.');
  }
  const { port } = server.address() as AddressInfo;
  const redirectUri = `http://127.0.0.1:${port}${CALLBACK_PATH}`;
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  logger.log('debug', 'identity.oidc.loopback.listening', { port });

  return { redirectUri, port, callback, close };
}
