import { isAllowedTransport } from '../net/index.ts';

/**
 * HTTP to the central FHIR API with the sync engine's retry rules (PRODUCT.md capability 7):
 * retried with exponential backoff and full jitter on network errors, timeouts, 408, 409, 429 (its
 * Retry-After honoured) and 5xx; never on other 4xx, which would fail the same way again. The
 * transport rule (HTTPS; loopback HTTP only when policy allows it) is checked before anything
 * is sent.
 */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 250, maxDelayMs: 30_000, timeoutMs: 30_000 };

export interface HttpDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  allowLoopbackHttp: boolean;
  retry?: Partial<RetryPolicy>;
  /**
   * Before a request is sent again after an answer that leaves its effect unknown (the connection
   * failed, or a 5xx): the answer to use instead when the first try did land, or null to send
   * again. A push uses it so a write is never applied twice.
   */
  beforeResend?: () => Promise<Response | null>;
}

export class SyncHttpError extends Error {
  override readonly name = 'SyncHttpError';
  /**
   * 'network' | 'timeout' | 'tls' | 'insecure-transport' | 'malformed-response' | 'too-large' |
   * 'cyclic-paging' | 'reader-failed' | `http-<status>`
   */
  readonly reason: string;
  readonly status: number | null;
  // Plain fields, not parameter properties: the page worker runs this file with Node's own type
  // stripping, which supports only erasable syntax.
  constructor(reason: string, message: string, status: number | null = null) {
    super(message);
    this.reason = reason;
    this.status = status;
  }
}

/**
 * Answers worth asking again: a timeout, a conflict of the moment (409: central busy with a
 * concurrent write of the same record), too many requests, a server error. A 412 is not retried
 * here: it is an answer (central holds a newer version), which the push turns into a conflict.
 */
const RETRIED_STATUS = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500;

/** Seconds or an HTTP date, as Retry-After allows; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export async function fetchWithRetry(url: string, init: RequestInit, deps: HttpDeps): Promise<Response> {
  return fetchAndReadWithRetry(url, init, deps, async (response) => response);
}

/**
 * fetchWithRetry, with the answer's body read inside the attempt (`read`): a timeout or a
 * connection cut while the body arrives is retried like one before the headers, and reported as
 * what it was. `read` throws a SyncHttpError for an answer that is read but not usable (too
 * large, not JSON): those are answers, never retried.
 */
export async function fetchAndReadWithRetry<T>(
  url: string,
  init: RequestInit,
  deps: HttpDeps,
  read: (response: Response) => Promise<T>,
): Promise<T> {
  const policy = { ...DEFAULT_RETRY, ...deps.retry };
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  if (!isAllowedTransport(new URL(url), deps.allowLoopbackHttp)) {
    throw new SyncHttpError('insecure-transport', 'The central FHIR API must be reached over HTTPS.');
  }
  const timedOut = () =>
    new SyncHttpError(
      'timeout',
      `The central FHIR API did not answer within ${Math.round(policy.timeoutMs / 1000)} s.`,
    );
  const unreachable = () => new SyncHttpError('network', 'The central FHIR API could not be reached.');
  let lastError: SyncHttpError | null = null;
  let lastRetryAfter: number | null = null;
  for (let attempt = 0; attempt < policy.attempts; attempt++) {
    if (attempt > 0) {
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const told = lastError?.status === 429 || lastError?.status === 503 ? lastRetryAfter : null;
      await sleep(told ?? Math.floor(random() * backoff));
      const answered = deps.beforeResend ? await deps.beforeResend() : null;
      if (answered) return read(answered);
    }
    let response: Response;
    try {
      response = await doFetch(url, { ...init, signal: AbortSignal.timeout(policy.timeoutMs) });
    } catch (error) {
      // A refused certificate is not a network failure: trying again would only be refused again.
      const refusal = tlsRefusal(error);
      if (refusal) throw new SyncHttpError('tls', `The central FHIR API's certificate was refused: ${refusal}`);
      lastError = isTimeout(error) ? timedOut() : unreachable();
      continue;
    }
    if (response.ok || !RETRIED_STATUS(response.status)) {
      try {
        return await read(response);
      } catch (error) {
        if (error instanceof SyncHttpError) throw error;
        // The body stopped coming: cut off, or too slow.
        lastError = isTimeout(error) ? timedOut() : unreachable();
        continue;
      }
    }
    lastRetryAfter = retryAfterMs(response.headers.get('retry-after'));
    await response.body?.cancel().catch(() => undefined);
    lastError = new SyncHttpError(
      `http-${response.status}`,
      `The central FHIR API answered HTTP ${response.status}.`,
      response.status,
    );
  }
  throw lastError ?? unreachable();
}

/** An abort by AbortSignal.timeout, before the headers or while the body arrives. */
function isTimeout(error: unknown): boolean {
  for (
    let cause = error, depth = 0;
    cause && typeof cause === 'object' && depth < 5;
    cause = (cause as { cause?: unknown }).cause, depth++
  ) {
    if ((cause as { name?: unknown }).name === 'TimeoutError') return true;
  }
  return false;
}

/** 'too-large' for an answer past the cap: nothing more of it is read. */
function tooLargeError(maxBytes: number, what: string): SyncHttpError {
  return new SyncHttpError(
    'too-large',
    `The central FHIR API sent a ${what} larger than ${Math.round(maxBytes / 1048576)} MiB; it was not read.`,
  );
}

/**
 * An answer's body as UTF-8 text, piece by piece as it arrives, cut off past `maxBytes`
 * (announced or counted), so a server cannot make the workstation hold more than that: an
 * endless or huge answer is refused as 'too-large' after at most `maxBytes` were read. Not UTF-8:
 * 'malformed-response'.
 */
export async function* readBoundedText(
  response: Response,
  maxBytes: number,
  what: string,
): AsyncGenerator<string, void, undefined> {
  const announced = Number(response.headers.get('content-length'));
  if (Number.isFinite(announced) && announced > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLargeError(maxBytes, what);
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let size = 0;
  try {
    if (response.body) {
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (size > maxBytes) throw tooLargeError(maxBytes, what);
          yield decoder.decode(value, { stream: true });
        }
      } finally {
        // Left before its end (too large, or the reader stopped): nothing more is read.
        await reader.cancel().catch(() => undefined);
      }
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch (error) {
    if (error instanceof TypeError && (error as { code?: unknown }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA')
      throw new SyncHttpError('malformed-response', `The central FHIR API sent a ${what} that is not UTF-8.`);
    throw error;
  }
}

/** The 'malformed-response' of an answer that is not JSON. */
export function notJsonError(what: string): SyncHttpError {
  return new SyncHttpError('malformed-response', `The central FHIR API sent a ${what} that is not JSON.`);
}

/**
 * An answer's JSON, read as a stream within `maxBytes` (readBoundedText). Decoded as it comes (a
 * rope of strings, flattened once by JSON.parse): no second copy of the whole answer in bytes.
 */
export async function readBoundedJson(response: Response, maxBytes: number, what: string): Promise<unknown> {
  let text = '';
  for await (const piece of readBoundedText(response, maxBytes, what)) text += piece;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw notJsonError(what);
  }
}

const TLS_CODES =
  /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET_ISSUER_CERT|VERIFY_LEAF_SIGNATURE))/;

/** Why TLS refused the server, when that is what failed (a pin, an untrusted or wrong certificate). */
export function tlsRefusal(error: unknown): string | null {
  for (
    let cause = error, depth = 0;
    cause && typeof cause === 'object' && depth < 5;
    cause = (cause as { cause?: unknown }).cause, depth++
  ) {
    const { name, code, message } = cause as { name?: unknown; code?: unknown; message?: unknown };
    if (name === 'TlsPinError' && typeof message === 'string') return message;
    if (typeof code === 'string' && TLS_CODES.test(code)) return code;
  }
  return null;
}
