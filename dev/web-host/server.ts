/**
 * The development web host: the built renderer in any Chromium, against a real core, through the
 * same IPC contract the Electron shell carries (ARCHITECTURE.md). Never packaged.
 *
 * - Listens on 127.0.0.1 only, and answers only requests addressed to 127.0.0.1:<port> (a page
 *   reaching it through DNS rebinding has another Host and gets nothing).
 * - Serves out/renderer read-only: GET and HEAD, fixed MIME types, paths that would leave the
 *   folder refused, the CSP and other security headers and `Cache-Control: no-store` on every
 *   response. index.html gets the bridge script injected before the app's script, and its CSP meta
 *   tag rewritten to allow the WebSocket (both the header and the meta tag are enforced).
 * - Carries the contract over a WebSocket at /ipc (wire.ts). A connection is accepted only with
 *   the right Origin and the per-run secret (compared in constant time) during the handshake;
 *   anything else is refused before the upgrade, so nothing reaches the core. Messages are size
 *   limited, checked for shape, and answered with a typed error when malformed.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import ts from 'typescript';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { z } from 'zod';
import { channelNames, eventNames } from '../../src-shared/ipc/contract.ts';
import { contentSecurityPolicy } from '../../src-shared/security/csp.ts';
import type { IpcResult } from '../../src-shared/ipc/errors.ts';
import { Policy, type PolicyInput } from '../../src-shared/policy/schema.ts';
import { createCore, type Core } from '../../src-main/core.ts';
import type { AuthBrowser } from '../../src-main/ports.ts';
import type { PowerEvent } from '../../src-main/ports.ts';
import { createManualPowerEvents } from './power.ts';
import { createShiftableTime } from './time.ts';
import { createJsonLogger, type Logger } from '../../src-main/log/logger.ts';
import { MIME_TYPES, mimeTypeFor, resolveUnderRoot } from '../../src-main/static/files.ts';
import { systemClock } from '../../src-main/ports.ts';
import { createKeytarKeyStore } from '../../src-main/vault/keytar-key-store.ts';
import {
  BRIDGE_PATH,
  MAX_MESSAGE_BYTES,
  SECRET_PROTOCOL_PREFIX,
  WS_PATH,
  WS_PROTOCOL,
  type BridgeConfig,
  type ServerMessage,
} from './wire.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const DEFAULT_RENDERER_DIR = path.join(ROOT, 'out/renderer');
const BRIDGE_SOURCE = path.join(import.meta.dirname, 'bridge.ts');

const HOST = '127.0.0.1';
/** Requests one page may have waiting on the core at once. */
const MAX_IN_FLIGHT = 32;
/** Open WebSocket connections at once (tabs of the same run). */
const MAX_CONNECTIONS = 8;
const BRIDGE_TIMEOUT_MS = 30_000;

export interface WebHostOptions {
  /** Folder of the encrypted cache (created on first start, like a workstation's). */
  dataDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The built renderer; default out/renderer (`npx electron-vite build`). */
  rendererDir?: string;
  /** Managed policy for the core; validated like a policy file. */
  policy?: PolicyInput;
  /** Where that policy came from, for the audit trail and the settings screen. */
  policySource?: string;
  /** Default: JSON lines on stderr. Never given the secret or the URL that carries it. */
  logger?: Logger;
  /** Tests: a clock they can move forward (WebHost.advanceTime); default the system clock. */
  shiftableTime?: boolean;
  /**
   * Where the core writes exports for the person signed in (the review history); default an
   * `exports` folder beside the data folder (the window cannot write files itself).
   */
  exportsDir?: string;
}

export interface WebHost {
  /** `http://127.0.0.1:<port>/#secret=<secret>`: the secret only in the fragment. */
  url: string;
  port: number;
  secret: string;
  /**
   * What the OS would report in Electron (lock screen, suspend, user switch): the browser cannot
   * see these, so tests, the benchmark and the demo's developer raise them here.
   */
  simulatePowerEvent(event: PowerEvent): void;
  /** With `shiftableTime`: moves the core's clock forward and runs what became due. */
  advanceTime(ms: number): void;
  /** Closes connections, the HTTP server and the core; safe to call more than once. */
  close(): Promise<void>;
}

/** The host could not start (renderer not built, port taken, ...): a message for the developer. */
export class WebHostError extends Error {
  override readonly name = 'WebHostError';
}

/** The renderer's CSP (src-renderer/index.html) with the WebSocket added; `frame-ancestors` is header-only. */
export function webHostCsp(port: number, { forMeta = false } = {}): string {
  return contentSecurityPolicy({ extraConnectSources: [`ws://${HOST}:${port}`], forMetaTag: forMeta });
}

/** The file under `root` a request URL's path names, or null when refused (see resolveUnderRoot). */
export function resolveStaticPath(root: string, rawUrl: string): string | null {
  return resolveUnderRoot(root, rawUrl.split(/[?#]/, 1)[0] ?? '');
}

/** index.html as the host serves it: the bridge before the app's first script, the CSP meta rewritten. */
export function prepareIndexHtml(html: string, port: number): string {
  const bridgeTag = `<script type="module" src="${BRIDGE_PATH}"></script>`;
  const metaTag = `<meta http-equiv="Content-Security-Policy" content="${webHostCsp(port, { forMeta: true })}" />`;
  const metaPattern = /<meta\s[^>]*http-equiv\s*=\s*["']?Content-Security-Policy["']?[^>]*>/gi;
  let out: string;
  if (html.search(metaPattern) >= 0) {
    // The first one is rewritten in place (after <meta charset>), any other dropped.
    let first = true;
    out = html.replace(metaPattern, () => {
      const replacement = first ? metaTag : '';
      first = false;
      return replacement;
    });
  } else {
    const head = html.search(/<head[^>]*>/i);
    if (head < 0) throw new WebHostError('The built index.html has no <head>.');
    const afterHead = html.indexOf('>', head) + 1;
    out = `${html.slice(0, afterHead)}\n    ${metaTag}${html.slice(afterHead)}`;
  }
  const firstScript = out.search(/<script\b/i);
  if (firstScript < 0) throw new WebHostError('The built index.html has no script to run.');
  return `${out.slice(0, firstScript)}${bridgeTag}\n    ${out.slice(firstScript)}`;
}

/** bridge.ts with its types stripped, its config in front. Compiled once per start. */
export function compileBridge(config: BridgeConfig): string {
  const source = fs.readFileSync(BRIDGE_SOURCE, 'utf8');
  const output = ts.transpileModule(source, {
    fileName: 'bridge.ts',
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      isolatedModules: true,
      removeComments: true,
      sourceMap: false,
    },
  });
  if (output.diagnostics && output.diagnostics.length > 0) {
    const text = ts.flattenDiagnosticMessageText(output.diagnostics[0]?.messageText ?? 'unknown', '\n');
    throw new WebHostError(`The web host bridge does not compile: ${text}`);
  }
  return `const __CLINIC_WEB_HOST__ = Object.freeze(${JSON.stringify(config)});\n${output.outputText}`;
}

function securityHeaders(port: number, contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': webHostCsp(port),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=(), bluetooth=()',
  };
}

const RequestMessage = z
  .object({
    id: z.union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(64)]),
    channel: z.string().max(100),
    request: z.unknown(),
  })
  .strict();

function invalid(message: string): IpcResult<never> {
  return { ok: false, error: { code: 'INVALID', message } };
}

/** The id of a message that failed the shape check, when it has a usable one. */
function salvageId(message: unknown): number | string | null {
  if (typeof message !== 'object' || message === null || !('id' in message)) return null;
  const parsed = RequestMessage.shape.id.safeParse(message.id);
  return parsed.success ? parsed.data : null;
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) =>
      reject(new WebHostError(`The web host could not listen on ${HOST}:${port}: ${error.message}`));
    server.once('error', onError);
    server.listen({ host: HOST, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function rejectUpgrade(socket: Socket, status: 400 | 403 | 404 | 503): void {
  const reason = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }[status];
  if (socket.writable)
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\nCache-Control: no-store\r\n\r\n`,
    );
  socket.destroy();
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const logger = options.logger ?? createJsonLogger();
  const rendererDir = path.resolve(options.rendererDir ?? DEFAULT_RENDERER_DIR);
  const indexFile = path.join(rendererDir, 'index.html');
  if (!fs.existsSync(indexFile)) {
    throw new WebHostError(`The renderer is not built (no ${indexFile}). Run \`npx electron-vite build\` first.`);
  }
  const requestedPort = options.port ?? 0;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65_535) {
    throw new WebHostError(`The port must be an integer from 0 to 65535, not ${requestedPort}.`);
  }
  const policy = Policy.parse(options.policy ?? {});
  const bridgeJs = compileBridge({
    wsPath: WS_PATH,
    protocol: WS_PROTOCOL,
    secretProtocolPrefix: SECRET_PROTOCOL_PREFIX,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    timeoutMs: BRIDGE_TIMEOUT_MS,
    channels: channelNames,
    events: eventNames,
  });
  const rendererRoot = fs.realpathSync(rendererDir);

  const secret = randomBytes(32).toString('base64url');
  const secretDigest = digest(secret);

  // The connected pages: the AuthBrowser below asks them to open the provider's page.
  let clients: ReadonlySet<WebSocket> = new Set();
  const sendAll = (message: ServerMessage) => {
    for (const client of clients) if (client.readyState === WebSocket.OPEN) client.send(JSON.stringify(message));
  };
  const authBrowser: AuthBrowser = {
    async open(url) {
      if (![...clients].some((client) => client.readyState === WebSocket.OPEN))
        throw new WebHostError('No page is connected to open the sign-in page.');
      sendAll({ authPage: { open: url.href } });
    },
    close() {
      sendAll({ authPage: { close: true } });
    },
  };
  const power = createManualPowerEvents();
  const time = options.shiftableTime ? createShiftableTime() : null;

  const core: Core = await createCore({
    keyStore: createKeytarKeyStore(),
    clock: time ?? systemClock,
    ...(time ? { timers: time } : {}),
    paths: {
      dataDir: path.resolve(options.dataDir),
      exportsDir: path.resolve(options.exportsDir ?? path.join(path.dirname(path.resolve(options.dataDir)), 'exports')),
    },
    policy,
    policySource: options.policySource ?? 'the development web host',
    policyManaged: options.policySource !== undefined,
    logger,
    power,
    authBrowser,
  });

  // Known once listening; requests cannot be handled before (the handlers check).
  let port = 0;
  let hostHeader = '';
  let origin = '';

  const send = (
    res: http.ServerResponse,
    status: number,
    contentType: string,
    body: string | Buffer | null,
    head: boolean,
    extra: Record<string, string> = {},
  ) => {
    const bytes = body === null ? null : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    res.writeHead(status, {
      ...securityHeaders(port, contentType),
      'Content-Length': String(bytes?.length ?? 0),
      ...extra,
    });
    res.end(head || bytes === null ? undefined : bytes);
  };
  const refuse = (
    res: http.ServerResponse,
    status: number,
    message: string,
    head = false,
    extra: Record<string, string> = {},
  ) => send(res, status, 'text/plain; charset=utf-8', `${message}\n`, head, extra);

  async function serveStatic(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) return refuse(res, 405, 'Method not allowed.', false, { Allow: 'GET, HEAD' });
    const url = req.url ?? '';
    if (url.split(/[?#]/, 1)[0] === BRIDGE_PATH) return send(res, 200, MIME_TYPES['.js']!, bridgeJs, head);

    const file = resolveStaticPath(rendererRoot, url);
    if (file === null) return refuse(res, 403, 'Forbidden path.', head);
    let real: string;
    let body: Buffer;
    try {
      real = await fs.promises.realpath(file);
      const relative = path.relative(rendererRoot, real);
      if (relative.startsWith('..') || path.isAbsolute(relative)) return refuse(res, 403, 'Forbidden path.', head);
      body = await fs.promises.readFile(real);
    } catch {
      return refuse(res, 404, 'Not found.', head); // missing, or a folder: no path in the answer
    }
    if (real === path.join(rendererRoot, 'index.html')) {
      return send(res, 200, MIME_TYPES['.html']!, prepareIndexHtml(body.toString('utf8'), port), head);
    }
    return send(res, 200, mimeTypeFor(real), body, head);
  }

  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    if (port === 0) return refuse(res, 503, 'Starting.');
    if (req.headers.host !== hostHeader) {
      logger.log('warn', 'webhost.http-refused', { reason: 'host' });
      return refuse(res, 403, `Use http://${hostHeader}/.`);
    }
    serveStatic(req, res).catch((error: unknown) => {
      logger.log('error', 'webhost.http-failed', { errorName: error instanceof Error ? error.name : 'unknown' });
      if (!res.headersSent) refuse(res, 500, 'Internal error.');
      else res.destroy();
    });
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    socket.destroy();
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
    // The secret is offered as a second subprotocol; the answer names only ours, never the secret.
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });

  /** Why an upgrade is refused, or null when it may proceed. Checked before the handshake completes. */
  function upgradeRefusal(req: http.IncomingMessage): { status: 400 | 403 | 404 | 503; reason: string } | null {
    if (port === 0) return { status: 503, reason: 'starting' };
    if (req.url !== WS_PATH) return { status: 404, reason: 'path' };
    if (req.headers.host !== hostHeader) return { status: 403, reason: 'host' };
    if (req.headers.origin !== origin) return { status: 403, reason: 'origin' };
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((token) => token.trim())
      .filter((token) => token.length > 0);
    if (!offered.includes(WS_PROTOCOL)) return { status: 403, reason: 'protocol' };
    const tokens = offered.filter((token) => token.startsWith(SECRET_PROTOCOL_PREFIX));
    if (tokens.length !== 1) return { status: 403, reason: 'secret' };
    const given = digest(tokens[0]!.slice(SECRET_PROTOCOL_PREFIX.length));
    if (!timingSafeEqual(given, secretDigest)) return { status: 403, reason: 'secret' };
    if (wss.clients.size >= MAX_CONNECTIONS) return { status: 503, reason: 'connections' };
    return null;
  }

  const inFlight = new Set<Promise<void>>();

  function reply(socket: WebSocket, message: ServerMessage): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function onMessage(socket: WebSocket, data: RawData, isBinary: boolean, state: { waiting: number }): void {
    if (isBinary) {
      logger.log('warn', 'webhost.bad-message', { reason: 'binary' });
      return reply(socket, { id: null, result: invalid('Messages must be JSON text, not binary.') });
    }
    let message: unknown;
    try {
      message = JSON.parse(rawText(data));
    } catch {
      logger.log('warn', 'webhost.bad-message', { reason: 'json' });
      return reply(socket, { id: null, result: invalid('The message is not valid JSON.') });
    }
    const parsed = RequestMessage.safeParse(message);
    if (!parsed.success) {
      logger.log('warn', 'webhost.bad-message', { reason: 'shape' });
      return reply(socket, {
        id: salvageId(message),
        result: invalid(
          'A message must be { "id": number or string, "channel": string, "request": ... } and nothing else.',
        ),
      });
    }
    const { id, channel, request } = parsed.data;
    if (state.waiting >= MAX_IN_FLIGHT) {
      return reply(socket, {
        id,
        result: { ok: false, error: { code: 'UNAVAILABLE', message: 'Too many requests at once; try again.' } },
      });
    }
    state.waiting++;
    const work = (async () => {
      let result: IpcResult<unknown>;
      try {
        result = await core.invoke(channel, request);
      } catch (error) {
        // The core promises never to throw; if it does, the page still gets a typed answer.
        logger.log('error', 'webhost.core-threw', { errorName: error instanceof Error ? error.name : 'unknown' });
        result = { ok: false, error: { code: 'INTERNAL', message: 'The request could not be completed.' } };
      } finally {
        state.waiting--;
      }
      reply(socket, { id, result });
    })();
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  wss.on('connection', (socket: WebSocket) => {
    const state = { waiting: 0 };
    // Errors (a message over the size limit: closed with 1009, a reset) end this connection only.
    socket.on('error', (error) => logger.log('warn', 'webhost.ws-error', { errorName: error.name }));
    socket.on('message', (data, isBinary) => onMessage(socket, data, isBinary, state));
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const refusal = upgradeRefusal(req);
    if (refusal) {
      logger.log('warn', 'webhost.ws-refused', { reason: refusal.reason });
      return rejectUpgrade(socket, refusal.status);
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  clients = wss.clients;
  const unsubscribe = core.onEvent((event, payload) => {
    for (const client of wss.clients) reply(client, { event, payload });
  });

  try {
    port = await listen(server, requestedPort);
  } catch (error) {
    unsubscribe();
    await core.close();
    throw error;
  }
  hostHeader = `${HOST}:${port}`;
  origin = `http://${hostHeader}`;
  logger.log('info', 'webhost.listening', { port });

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      unsubscribe();
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      const sockets = [...wss.clients];
      await Promise.all(
        sockets.map(
          (client) =>
            new Promise<void>((resolve) => {
              if (client.readyState === WebSocket.CLOSED) return resolve();
              const timer = setTimeout(() => {
                client.terminate();
                resolve();
              }, 1_000);
              client.once('close', () => {
                clearTimeout(timer);
                resolve();
              });
              client.close(1001, 'The web host is closing.');
            }),
        ),
      );
      wss.close();
      server.closeAllConnections();
      await serverClosed;
      await Promise.allSettled([...inFlight]);
      await core.close();
      logger.log('info', 'webhost.closed', { port });
    })());

  return {
    url: `${origin}/#secret=${secret}`,
    port,
    secret,
    simulatePowerEvent: (event) => power.emit(event),
    advanceTime(ms) {
      if (!time) throw new WebHostError('This web host was started without shiftableTime.');
      time.advance(ms);
    },
    close,
  };
}
