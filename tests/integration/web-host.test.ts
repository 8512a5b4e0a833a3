/**
 * The development web host against a real core (real keychain, real SQLCipher cache) and a real
 * `ws` client: who may connect, the contract over the socket, bad messages, and the static files.
 * The renderer folder is a small fixture, so this test does not need a build.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  prepareIndexHtml,
  resolveStaticPath,
  startWebHost,
  WebHostError,
  type WebHost,
} from '../../dev/web-host/server.ts';
import {
  BRIDGE_PATH,
  MAX_MESSAGE_BYTES,
  SECRET_PROTOCOL_PREFIX,
  WS_PATH,
  WS_PROTOCOL,
} from '../../dev/web-host/wire.ts';
import { APP_NAME, APP_VERSION } from '../../src-shared/app-info.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { eraseVault } from '../../src-main/vault/vault.ts';
import { keyStore } from '../support/keychain.ts';
import { tempDir } from '../support/temp.ts';

const FIXTURE_INDEX = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; connect-src 'self'" />
    <title>Fixture</title>
    <script type="module" crossorigin src="./assets/app.js"></script>
    <link rel="stylesheet" href="./assets/app.css">
  </head>
  <body><div id="root"></div></body>
</html>
`;
const OUTSIDE_MARKER = 'outside-the-renderer-folder-7f3a';

let root: string;
let cleanup: () => void;
let rendererDir: string;
let dataDir: string;
let host: WebHost;
let origin: string;
const logger = createMemoryLogger();

beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir('clinic-web-host-'));
  rendererDir = path.join(root, 'renderer');
  dataDir = path.join(root, 'cache');
  fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(rendererDir, 'index.html'), FIXTURE_INDEX);
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("app");\n');
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app.css'), 'body { color: black; }\n');
  // Next to the renderer folder: must never be served.
  fs.writeFileSync(path.join(root, 'secret.txt'), OUTSIDE_MARKER);
  fs.writeFileSync(path.join(root, 'package.json'), `{"name":"${OUTSIDE_MARKER}"}`);
  host = await startWebHost({ dataDir, rendererDir, logger });
  origin = `http://127.0.0.1:${host.port}`;
});

afterAll(async () => {
  await host?.close();
  await eraseVault({ dataDir, keyStore });
  cleanup();
});

// ---- helpers -------------------------------------------------------------------------------

type Attempt = { ws: WebSocket } | { status: number } | { error: Error };

function attempt(options: { protocols?: string[]; origin?: string | null; path?: string } = {}): Promise<Attempt> {
  const protocols = options.protocols ?? [WS_PROTOCOL, `${SECRET_PROTOCOL_PREFIX}${host.secret}`];
  const wsOrigin = options.origin === undefined ? origin : options.origin;
  return new Promise((resolve) => {
    const ws = new WebSocket(
      `ws://127.0.0.1:${host.port}${options.path ?? WS_PATH}`,
      protocols,
      wsOrigin === null ? {} : { origin: wsOrigin },
    );
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
      ws.terminate();
    });
    ws.once('error', (error) => resolve({ error }));
  });
}

async function connect(): Promise<WebSocket> {
  const result = await attempt();
  if (!('ws' in result)) throw new Error(`connection refused: ${JSON.stringify(result)}`);
  return result.ws;
}

function nextMessage(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: unknown) => {
      ws.off('close', onClose);
      resolve(JSON.parse(String(data)) as Record<string, unknown>);
    };
    const onClose = (code: number) => {
      ws.off('message', onMessage);
      reject(new Error(`closed with ${code}`));
    };
    ws.once('message', onMessage);
    ws.once('close', onClose);
  });
}

async function ask(ws: WebSocket, message: unknown): Promise<Record<string, unknown>> {
  const answer = nextMessage(ws);
  ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  return answer;
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
}

/** A raw HTTP GET: the path is sent exactly as given (fetch would normalize `..` away). */
function get(rawPath: string, options: { method?: string; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: host.port, path: rawPath, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

// ---- tests ---------------------------------------------------------------------------------

describe('who may open the WebSocket', () => {
  it('prints a URL that carries a 32-byte secret in its fragment only', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#secret=[A-Za-z0-9_-]{43}$/);
    expect(host.url.endsWith(`#secret=${host.secret}`)).toBe(true);
    expect(Buffer.from(host.secret, 'base64url')).toHaveLength(32);
  });

  it('refuses a connection without the secret', async () => {
    expect(await attempt({ protocols: [WS_PROTOCOL] })).toEqual({ status: 403 });
    expect(await attempt({ protocols: [] })).toEqual({ status: 403 });
  });

  it('refuses a wrong secret, a near miss and two secrets', async () => {
    const wrong = Buffer.alloc(32, 7).toString('base64url');
    const nearMiss = `${host.secret.slice(0, -1)}${host.secret.endsWith('A') ? 'B' : 'A'}`;
    for (const protocols of [
      [WS_PROTOCOL, `${SECRET_PROTOCOL_PREFIX}${wrong}`],
      [WS_PROTOCOL, `${SECRET_PROTOCOL_PREFIX}${nearMiss}`],
      [WS_PROTOCOL, `${SECRET_PROTOCOL_PREFIX}${host.secret.slice(0, 20)}`],
      [WS_PROTOCOL, `${SECRET_PROTOCOL_PREFIX}${wrong}`, `${SECRET_PROTOCOL_PREFIX}${host.secret}`],
      [`${SECRET_PROTOCOL_PREFIX}${host.secret}`], // the secret without our protocol
    ]) {
      expect(await attempt({ protocols })).toEqual({ status: 403 });
    }
  });

  it('refuses a foreign or missing Origin even with the right secret', async () => {
    expect(await attempt({ origin: 'http://evil.example' })).toEqual({ status: 403 });
    expect(await attempt({ origin: `http://localhost:${host.port}` })).toEqual({ status: 403 });
    expect(await attempt({ origin: `http://127.0.0.1:${host.port + 1}` })).toEqual({ status: 403 });
    expect(await attempt({ origin: null })).toEqual({ status: 403 });
  });

  it('refuses other paths', async () => {
    expect(await attempt({ path: '/ipc2' })).toEqual({ status: 404 });
    expect(await attempt({ path: `${WS_PATH}?x=1` })).toEqual({ status: 404 });
  });

  it('accepts the right secret and Origin, and answers with our protocol only', async () => {
    const ws = await connect();
    expect(ws.protocol).toBe(WS_PROTOCOL);
    ws.close();
  });

  it('never logs the secret, and refusals are logged with their reason', () => {
    const text = JSON.stringify(logger.entries);
    expect(text).not.toContain(host.secret);
    const reasons = logger.entries.filter((e) => e.event === 'webhost.ws-refused').map((e) => e.fields?.reason);
    expect(new Set(reasons)).toEqual(new Set(['secret', 'origin', 'protocol', 'path']));
  });
});

describe('the contract over the socket, through the real router', () => {
  it('workstation.status round trip returns the vault ready state', async () => {
    const ws = await connect();
    const answer = await ask(ws, { id: 1, channel: 'workstation.status', request: {} });
    expect(answer).toEqual({
      id: 1,
      result: {
        ok: true,
        data: {
          appName: APP_NAME,
          appVersion: APP_VERSION,
          workstationId: expect.stringMatching(/^ws-[0-9a-f]{32}$/),
          vault: { state: 'ready', schemaVersion: expect.any(Number), escrowed: false },
        },
      },
    });
    ws.close();
  });

  it('patients.search is refused with UNAUTHENTICATED while no one is signed in', async () => {
    const ws = await connect();
    const answer = await ask(ws, { id: 'search-1', channel: 'patients.search', request: { query: 'Smith' } });
    expect(answer).toEqual({
      id: 'search-1',
      result: { ok: false, error: { code: 'UNAUTHENTICATED', message: 'Sign in to continue.' } },
    });
    ws.close();
  });

  it('an unknown channel and a request the contract refuses are INVALID', async () => {
    const ws = await connect();
    expect(await ask(ws, { id: 2, channel: 'vault.erase', request: {} })).toEqual({
      id: 2,
      result: { ok: false, error: { code: 'INVALID', message: 'Unknown channel.' } },
    });
    expect(await ask(ws, { id: 3, channel: '__proto__', request: {} })).toMatchObject({
      id: 3,
      result: { ok: false, error: { code: 'INVALID' } },
    });
    expect(await ask(ws, { id: 4, channel: 'workstation.status', request: { extra: true } })).toMatchObject({
      id: 4,
      result: { ok: false, error: { code: 'INVALID' } },
    });
    ws.close();
  });

  it('malformed messages get an INVALID answer and the host keeps serving', async () => {
    const ws = await connect();
    expect(await ask(ws, '{not json')).toEqual({
      id: null,
      result: { ok: false, error: { code: 'INVALID', message: 'The message is not valid JSON.' } },
    });
    for (const bad of [
      'null',
      '42',
      '"text"',
      '[1,2]',
      '{}',
      '{"id":{},"channel":"workstation.status","request":{}}',
    ]) {
      expect(await ask(ws, bad)).toMatchObject({ id: null, result: { ok: false, error: { code: 'INVALID' } } });
    }
    // A usable id is echoed even when the rest is wrong.
    expect(await ask(ws, { id: 9, chanel: 'workstation.status' })).toMatchObject({
      id: 9,
      result: { ok: false, error: { code: 'INVALID' } },
    });
    expect(await ask(ws, { id: 10, channel: 'workstation.status', request: {}, extra: 1 })).toMatchObject({
      id: 10,
      result: { ok: false },
    });
    // Binary frames are not the protocol.
    const binary = nextMessage(ws);
    ws.send(Buffer.from([1, 2, 3]));
    expect(await binary).toMatchObject({ id: null, result: { ok: false, error: { code: 'INVALID' } } });

    // Same connection, still answering.
    expect(await ask(ws, { id: 11, channel: 'workstation.status', request: {} })).toMatchObject({
      id: 11,
      result: { ok: true },
    });
    ws.close();
    expect((await get('/')).status).toBe(200);
  });

  it('closes a connection that sends more than the size limit, and stays up for others', async () => {
    const ws = await connect();
    const end = closed(ws);
    ws.send(JSON.stringify({ id: 1, channel: 'patients.search', request: { query: 'x'.repeat(MAX_MESSAGE_BYTES) } }));
    expect((await end).code).toBe(1009);

    const again = await connect();
    expect(await ask(again, { id: 1, channel: 'workstation.status', request: {} })).toMatchObject({
      id: 1,
      result: { ok: true },
    });
    again.close();
  });
});

describe('static files', () => {
  it('serves index.html with the CSP, no-store and the bridge before the app script', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; ` +
        `connect-src 'self' ws://127.0.0.1:${host.port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'`,
    );
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');

    const bridgeAt = res.body.indexOf(`<script type="module" src="${BRIDGE_PATH}"></script>`);
    expect(bridgeAt).toBeGreaterThan(0);
    expect(bridgeAt).toBeLessThan(res.body.indexOf('./assets/app.js'));
    // The meta policy is enforced too, so it must allow the socket; only one is left.
    expect(res.body.match(/http-equiv="Content-Security-Policy"/g)).toHaveLength(1);
    expect(res.body).toContain(`connect-src 'self' ws://127.0.0.1:${host.port}`);
    expect(res.body).not.toContain(host.secret);
    expect((await get('/index.html')).body).toBe(res.body);
  });

  it('serves the bridge as same-origin JavaScript, without the secret', async () => {
    const res = await get(BRIDGE_PATH);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toContain('__CLINIC_WEB_HOST__');
    expect(res.body).toContain("defineProperty(window, 'clinic'");
    expect(res.body).not.toContain(host.secret);
    expect(res.body).not.toMatch(/\bimport\b.*\bfrom\b/); // types only: nothing left to load
  });

  it('serves assets with their MIME type and the same headers', async () => {
    const js = await get('/assets/app.js');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const css = await get('/assets/app.css?v=1');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toBe('no-store');
  });

  it('refuses path traversal in every spelling', async () => {
    for (const attemptPath of [
      '/../package.json',
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/package.json',
      '/%2E%2E%2Fsecret.txt',
      '/..%2fsecret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/..\\secret.txt',
      '/%00/index.html',
      '//etc/passwd',
      '/%zz',
    ]) {
      const res = await get(attemptPath);
      expect([400, 403], attemptPath).toContain(res.status);
      expect(res.body).not.toContain(OUTSIDE_MARKER);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    }
    expect((await get('/../package.json')).status).toBe(403);
  });

  it('answers missing files, folders, other methods and other hosts with errors that still carry the headers', async () => {
    const missing = await get('/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.headers['cache-control']).toBe('no-store');
    expect(missing.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect((await get('/assets')).status).toBe(404);
    expect((await get('/', { method: 'POST' })).status).toBe(405);
    expect((await get('/', { method: 'HEAD' })).body).toBe('');
    // DNS rebinding: the page of another name must not read ours.
    expect((await get('/', { headers: { Host: `evil.example:${host.port}` } })).status).toBe(403);
    expect((await get('/', { headers: { Host: `localhost:${host.port}` } })).status).toBe(403);
  });
});

describe('pieces', () => {
  it('resolveStaticPath keeps every path inside the folder', () => {
    const base = path.resolve('/srv/renderer');
    expect(resolveStaticPath(base, '/')).toBe(path.join(base, 'index.html'));
    expect(resolveStaticPath(base, '/assets/a.js?x#y')).toBe(path.join(base, 'assets/a.js'));
    for (const bad of ['/../x', '/a/../../x', '/%2e%2e/x', 'x', '//x', '/a\\b', '/%00', '/./x'])
      expect(resolveStaticPath(base, bad), bad).toBeNull();
  });

  it('prepareIndexHtml adds a CSP meta tag when the page has none', () => {
    const out = prepareIndexHtml('<html><head><title>x</title><script src="a.js"></script></head></html>', 1234);
    expect(out).toContain(`connect-src 'self' ws://127.0.0.1:1234`);
    expect(out).not.toContain('frame-ancestors'); // not allowed in a meta tag
    expect(out.indexOf(BRIDGE_PATH)).toBeLessThan(out.indexOf('a.js'));
  });
});

describe('starting and stopping', () => {
  it('refuses to start without a built renderer, before opening any cache', async () => {
    const otherData = path.join(root, 'never-created');
    await expect(
      startWebHost({ dataDir: otherData, rendererDir: path.join(root, 'missing'), logger }),
    ).rejects.toBeInstanceOf(WebHostError);
    expect(fs.existsSync(otherData)).toBe(false);
  });

  it('close() ends open connections (1001), stops listening and can be called twice', async () => {
    const otherData = path.join(root, 'second-cache');
    const second = await startWebHost({ dataDir: otherData, rendererDir, logger });
    try {
      const ws = await new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(
          `ws://127.0.0.1:${second.port}${WS_PATH}`,
          [WS_PROTOCOL, `${SECRET_PROTOCOL_PREFIX}${second.secret}`],
          {
            origin: `http://127.0.0.1:${second.port}`,
          },
        );
        socket.once('open', () => resolve(socket));
        socket.once('error', reject);
      });
      const end = closed(ws);
      await Promise.all([second.close(), second.close()]);
      expect((await end).code).toBe(1001);
      await expect(
        new Promise((resolve, reject) => http.get(`http://127.0.0.1:${second.port}/`, resolve).on('error', reject)),
      ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      await second.close();
      await eraseVault({ dataDir: otherData, keyStore });
    }
  });
});
