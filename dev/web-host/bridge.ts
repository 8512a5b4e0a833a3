/**
 * window.clinic for the development web host: the same ClinicBridge the Electron preload exposes
 * (invoke and on, frozen, nothing else on window), carried over one WebSocket to the host.
 *
 * The host compiles this file at start (types stripped) and serves it same-origin at
 * /__web-host/bridge.js, injected before the app's script, with its config prepended as a
 * module-scoped constant. It is a module script: nothing but `clinic` lands on window.
 *
 * The secret: read from the URL fragment (`#secret=...`, never sent in an HTTP request), removed
 * from the address bar at once, and offered once per connection in the WebSocket handshake. So
 * that a reload reconnects (the demo survives F5), it is also kept in this tab's `window.name`:
 * not storage (nothing on disk, gone with the tab), never sent to a server, and cleared by the
 * browser when the tab goes to another site. The session itself lives in the core, so after a
 * reload the window shows what the core says: signed in, locked or signed out.
 *
 * Like the preload, invoke never throws: an unknown channel, a host that is gone or silent, or an
 * answer that is not a result all come back as typed failures.
 */
import type {
  ChannelName,
  ChannelRequest,
  ChannelResponse,
  ClinicBridge,
  EventPayload,
} from '../../src-shared/ipc/contract.ts';
import type { IpcResult } from '../../src-shared/ipc/errors.ts';
import type { BridgeConfig } from './wire.ts';

declare const __CLINIC_WEB_HOST__: BridgeConfig;

const config = __CLINIC_WEB_HOST__;
const NO_ANSWER = 'The workstation service did not answer.';
const NO_SECRET =
  'This page was opened without the web host secret. Open the address the web host printed (it ends in #secret=...).';

function failure(code: 'INVALID' | 'UNAVAILABLE', message: string): IpcResult<never> {
  return { ok: false, error: { code, message } };
}

const TAB_NAME_PREFIX = 'clinic-web-host-secret:';
// base64url only: anything else could not be a handshake token anyway.
const isToken = (value: string) => /^[A-Za-z0-9_-]{16,128}$/.test(value);

function takeSecretFromUrl(): string | null {
  const params = new URLSearchParams(location.hash.slice(1));
  const secret = params.get('secret');
  if (secret === null) return null;
  params.delete('secret');
  const rest = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  return isToken(secret) ? secret : null;
}

/** The printed URL's secret, or (after a reload) the one this tab was opened with. */
function takeSecret(): string | null {
  const fromUrl = takeSecretFromUrl();
  if (fromUrl !== null) {
    window.name = `${TAB_NAME_PREFIX}${fromUrl}`;
    return fromUrl;
  }
  const kept = window.name.startsWith(TAB_NAME_PREFIX) ? window.name.slice(TAB_NAME_PREFIX.length) : '';
  return isToken(kept) ? kept : null;
}

const secret = takeSecret();

interface Pending {
  resolve(result: IpcResult<unknown>): void;
  timer: ReturnType<typeof setTimeout>;
}

const pending = new Map<number, Pending>();
const listeners = new Map<string, Set<(payload: unknown) => void>>();
let connecting: Promise<WebSocket | null> | null = null;
let nextId = 1;

function settleAll(result: IpcResult<never>): void {
  for (const entry of pending.values()) {
    clearTimeout(entry.timer);
    entry.resolve(result);
  }
  pending.clear();
}

function isResult(value: unknown): value is IpcResult<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const { ok, error } = value as { ok?: unknown; error?: unknown };
  if (ok === true) return 'data' in value;
  return ok === false && typeof error === 'object' && error !== null;
}

function receive(data: unknown): void {
  if (typeof data !== 'string') return;
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return;
  }
  if (typeof message !== 'object' || message === null) return;
  const { id, result, event, payload, authPage } = message as {
    id?: unknown;
    result?: unknown;
    event?: unknown;
    payload?: unknown;
    authPage?: unknown;
  };
  if (typeof authPage === 'object' && authPage !== null) return onAuthPage(authPage);
  if (typeof id === 'number') {
    const entry = pending.get(id);
    if (!entry) return;
    pending.delete(id);
    clearTimeout(entry.timer);
    entry.resolve(isResult(result) ? result : failure('UNAVAILABLE', NO_ANSWER));
    return;
  }
  if (typeof event === 'string') {
    for (const listener of listeners.get(event) ?? []) {
      try {
        listener(payload);
      } catch (error) {
        // One failing listener must not stop the others; the error still reaches the console.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

/**
 * The AuthBrowser port of the web host: the core asks for the provider's sign-in page, which opens
 * as a popup (the click on "Sign in" a moment earlier lets the page open one). Only http(s)
 * addresses are opened; the provider's page and the loopback redirect never touch this page.
 */
let authPopup: Window | null = null;
function onAuthPage(message: object): void {
  const { open, close } = message as { open?: unknown; close?: unknown };
  if (close === true) {
    try {
      authPopup?.close();
    } catch {
      // Already gone, or cut off by cross-origin isolation: the user closes it.
    }
    authPopup = null;
    return;
  }
  if (typeof open !== 'string') return;
  let url: URL;
  try {
    url = new URL(open);
  } catch {
    return;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return;
  authPopup = window.open(url.href, 'clinic-sign-in', 'popup,width=520,height=720');
}

/** The open socket, opening it when needed; null when the host cannot be reached or refuses. */
function connect(): Promise<WebSocket | null> {
  if (connecting) return connecting;
  if (secret === null) return Promise.resolve(null);
  const attempt = new Promise<WebSocket | null>((resolve) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(`ws://${location.host}${config.wsPath}`, [
        config.protocol,
        `${config.secretProtocolPrefix}${secret}`,
      ]);
    } catch {
      resolve(null);
      return;
    }
    socket.addEventListener('open', () => resolve(socket));
    socket.addEventListener('message', (message) => receive(message.data));
    socket.addEventListener('close', () => {
      // The next invoke tries again (the host may be back); what was in flight is lost.
      if (connecting === attempt) connecting = null;
      resolve(null);
      settleAll(failure('UNAVAILABLE', NO_ANSWER));
    });
  });
  connecting = attempt;
  return attempt;
}

async function invoke<C extends ChannelName>(
  channel: C,
  request: ChannelRequest<C>,
): Promise<IpcResult<ChannelResponse<C>>> {
  if (!config.channels.includes(channel)) return failure('INVALID', 'Unknown channel.');
  if (secret === null) return failure('UNAVAILABLE', NO_SECRET);
  const id = nextId++;
  let text: string;
  try {
    text = JSON.stringify({ id, channel, request });
  } catch {
    return failure('INVALID', 'The request could not be sent.');
  }
  if (new TextEncoder().encode(text).length > config.maxMessageBytes)
    return failure('INVALID', 'The request is too large.');
  const socket = await connect();
  if (!socket || socket.readyState !== WebSocket.OPEN) return failure('UNAVAILABLE', NO_ANSWER);
  const result = await new Promise<IpcResult<unknown>>((resolve) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      resolve(failure('UNAVAILABLE', NO_ANSWER));
    }, config.timeoutMs);
    pending.set(id, { resolve, timer });
    socket.send(text);
  });
  // The host forwards the core's answer, which the router checked against the contract.
  return result as IpcResult<ChannelResponse<C>>;
}

const on: ClinicBridge['on'] = (event, listener) => {
  if (!config.events.includes(event)) throw new TypeError('Unknown event.');
  if (typeof listener !== 'function') throw new TypeError('The listener must be a function.');
  const forward = (payload: unknown) => listener(payload as EventPayload<typeof event>);
  let set = listeners.get(event);
  if (!set) listeners.set(event, (set = new Set()));
  set.add(forward);
  void connect();
  return () => {
    set.delete(forward);
  };
};

const bridge: ClinicBridge = Object.freeze({ invoke, on });
Object.defineProperty(window, 'clinic', { value: bridge, enumerable: true, writable: false, configurable: false });

// Connect at once, so the secret is used while the page loads and events can arrive.
void connect();
