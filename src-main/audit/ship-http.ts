/**
 * The two requests audit shipping makes to central's FHIR API, and what each outcome means for
 * entries in flight: whether the request can have reached central at all (a refused connection,
 * an unknown host or a failed TLS handshake cannot), whether central answered (then it is done
 * with the request, whatever it says), or whether the answer was lost (then central may have
 * written any part of it).
 */
export interface CentralCall {
  /** FHIR base URL without a trailing slash. */
  base: string;
  accessToken: string;
  fetch: typeof fetch;
  timeoutMs: number;
}

export type BatchAnswer =
  /** Nothing reached central: the entries are not in doubt. */
  | { kind: 'not-sent'; reason: string }
  /** Sent, no answer: central may hold any of them. */
  | { kind: 'no-answer'; reason: string }
  /** Central answered, confirming nothing (HTTP error, unreadable answer): it is done with the batch. */
  | { kind: 'refused'; reason: string }
  /** Central's per-entry statuses, in the batch's order. */
  | { kind: 'answered'; statuses: string[] };

/** Errors raised before a byte of the request left: connecting and the TLS handshake. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

function neverSent(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown; name?: unknown; message?: unknown } } | null)?.cause;
  return (
    cause?.name === 'TlsPinError' ||
    // fetch refuses ports that browsers block before it connects.
    cause?.message === 'bad port' ||
    (typeof cause?.code === 'string' && NOT_SENT_CODES.has(cause.code))
  );
}

function headers(call: CentralCall): Record<string, string> {
  return {
    'content-type': 'application/fhir+json',
    accept: 'application/fhir+json',
    authorization: `Bearer ${call.accessToken}`,
  };
}

export async function postBatch(call: CentralCall, body: string): Promise<BatchAnswer> {
  let response: Response;
  try {
    response = await call.fetch(`${call.base}/`, {
      method: 'POST',
      headers: headers(call),
      body,
      signal: AbortSignal.timeout(call.timeoutMs),
    });
  } catch (error) {
    return neverSent(error) ? { kind: 'not-sent', reason: 'network' } : { kind: 'no-answer', reason: 'network' };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { kind: 'refused', reason: `http-${response.status}` };
  }
  // Central sent its headers, so it is done with the batch; if the statuses cannot be read (the
  // connection dropped mid-body, or the body is not JSON), every entry is unconfirmed.
  let text: string;
  try {
    text = await response.text();
  } catch {
    return { kind: 'refused', reason: 'network' };
  }
  try {
    const answer = JSON.parse(text) as { entry?: { response?: { status?: unknown } }[] };
    return {
      kind: 'answered',
      statuses: (answer.entry ?? []).map((e) => (typeof e.response?.status === 'string' ? e.response.status : '')),
    };
  } catch {
    return { kind: 'refused', reason: 'malformed-response' };
  }
}

export type CheckResult = { kind: 'found'; ids: Set<string> } | { kind: 'failed'; reason: string };

/** Which of these AuditEvent ids central holds: one `_id` search (a plain, universal FHIR search). */
export async function checkAtCentral(call: CentralCall, ids: readonly string[]): Promise<CheckResult> {
  const query = new URLSearchParams({ _id: ids.join(','), _elements: 'id', _count: String(ids.length) });
  let response: Response;
  try {
    response = await call.fetch(`${call.base}/AuditEvent?${query}`, {
      headers: { accept: 'application/fhir+json', authorization: `Bearer ${call.accessToken}` },
      signal: AbortSignal.timeout(call.timeoutMs),
    });
  } catch {
    return { kind: 'failed', reason: 'network' };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { kind: 'failed', reason: `http-${response.status}` };
  }
  try {
    const bundle = (await response.json()) as { entry?: { resource?: { id?: unknown } }[] };
    const found = new Set<string>();
    for (const e of bundle.entry ?? []) if (typeof e.resource?.id === 'string') found.add(e.resource.id);
    return { kind: 'found', ids: found };
  } catch {
    return { kind: 'failed', reason: 'malformed-response' };
  }
}
