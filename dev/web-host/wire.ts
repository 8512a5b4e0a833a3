/**
 * The web host's wire: the IPC contract carried over one WebSocket. Shared by the server, the
 * bridge (types only: the browser gets the values in the config the server prepends to it) and
 * the tests.
 *
 *   page -> host   { id, channel, request }            one invoke of the contract
 *   host -> page   { id, result }                      its IpcResult (id null: the message was unreadable)
 *   host -> page   { event, payload }                  an event from core.onEvent
 *   host -> page   { authPage: { open: url } }         the AuthBrowser port: open the provider's page in a popup
 *   host -> page   { authPage: { close: true } }       the sign-in is over: close that popup
 *
 * The per-run secret never travels in an HTTP request: it sits in the URL fragment the host
 * prints, the bridge reads it there and offers it during the WebSocket handshake as a second
 * subprotocol, `clinic-secret.<secret>`, next to `clinic-ipc.v1`. The host answers with
 * `clinic-ipc.v1` only, so the secret is never echoed.
 */
import type { IpcResult } from '../../src-shared/ipc/errors.ts';

export const WS_PATH = '/ipc';
export const WS_PROTOCOL = 'clinic-ipc.v1';
export const SECRET_PROTOCOL_PREFIX = 'clinic-secret.';
export const BRIDGE_PATH = '/__web-host/bridge.js';
/** Largest message either side accepts; a bigger one closes the connection (1009). */
export const MAX_MESSAGE_BYTES = 64 * 1024;

export type RequestId = number | string;

export interface ClientMessage {
  id: RequestId;
  channel: string;
  request: unknown;
}

export interface ResultMessage {
  id: RequestId | null;
  result: IpcResult<unknown>;
}

export interface EventMessage {
  event: string;
  payload: unknown;
}

/** The web host's AuthBrowser: the page opens the identity provider's sign-in page as a popup. */
export interface AuthPageMessage {
  authPage: { open: string } | { close: true };
}

export type ServerMessage = ResultMessage | EventMessage | AuthPageMessage;

/** What the bridge needs to know, prepended by the host to the compiled bridge. */
export interface BridgeConfig {
  wsPath: string;
  protocol: string;
  secretProtocolPrefix: string;
  maxMessageBytes: number;
  timeoutMs: number;
  channels: readonly string[];
  events: readonly string[];
}
