import { z } from 'zod';
import { withholdLargeAttachments } from '../../src-shared/fhir/attachments.ts';
import { prepareResource, type Prepared } from '../../src-shared/fhir/prepare.ts';
import { fetchWithRetry, readBoundedJson, readBoundedText, SyncHttpError, type HttpDeps } from './http.ts';
import type { PageLimits, PreparedPage } from './pages.ts';

/**
 * FHIR Bulk Data's Group export (issue 15), where central's CapabilityStatement offers it (the
 * Group resource's `export` operation): a group-scoped pull asks for its members' records in one
 * export instead of hundreds of patient searches, as the Bulk Data Access IG's async request
 * pattern has it. Kick-off `GET Group/<id>/$export?_type=...&_since=...` with
 * `Prefer: respond-async` (202 and a status URL on central's own origin); the status polled as
 * central says (Retry-After, clamped) for at most EXPORT_MAX_WAIT_MS; the manifest checked (zod);
 * each NDJSON file read as a stream, line by line, each line validated and sized like a search
 * page's resources and handed on in chunks; the job deleted at central after.
 *
 * Central is untrusted: a file on another origin is not sent the token (a manifest that needs it
 * there is refused whole); a line past central.maxResourceMiB refuses the file; an output of a type
 * not asked for is skipped; a manifest with errors, or an export not ready in time, is refused as
 * an ExportRefused, which the pull answers by searching as without an export (pull.ts).
 */

export const EXPORT_MAX_WAIT_MS = 120_000;
const POLL_MIN_MS = 1_000;
const POLL_MAX_MS = 30_000;
/** A file of a large clinic takes longer than one search page's timeout to arrive. */
const FILE_TIMEOUT_MS = 10 * 60_000;
const FILE_MAX_BYTES = 8 * 1024 ** 3;
const OUTPUTS_MAX = 10_000;
/** Resources handed on at once: about a search page's worth. */
const CHUNK_SIZE = 500;

export class ExportRefused extends Error {
  override readonly name = 'ExportRefused';
}

export interface ExportOptions extends HttpDeps {
  fhirBaseUrl: string;
  accessToken: string;
  limits: PageLimits;
}

const Instant = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'not an instant');
const Manifest = z.object({
  transactionTime: Instant,
  requiresAccessToken: z.boolean(),
  output: z.array(z.object({ type: z.string().max(64), url: z.string().max(4096) })).max(OUTPUTS_MAX),
  error: z
    .array(z.object({ type: z.string().max(64), url: z.string().max(4096) }))
    .max(OUTPUTS_MAX)
    .default([]),
});

const base = (options: ExportOptions) => new URL(options.fhirBaseUrl.replace(/\/+$/, '') + '/');
const headers = (options: ExportOptions, token = true): Record<string, string> => ({
  accept: 'application/fhir+json',
  ...(token ? { authorization: `Bearer ${options.accessToken}` } : {}),
});

/** Whether central's CapabilityStatement names a Group `export` operation; any failure: no. */
export async function offersGroupExport(options: ExportOptions): Promise<boolean> {
  try {
    const response = await fetchWithRetry(
      new URL('metadata', base(options)).href,
      { headers: headers(options) },
      { ...options, retry: { attempts: 2, ...options.retry } },
    );
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return false;
    }
    const statement = (await readBoundedJson(response, options.limits.maxResponseBytes, 'CapabilityStatement')) as {
      rest?: { resource?: { type?: unknown; operation?: { name?: unknown; definition?: unknown }[] }[] }[];
    };
    return (statement.rest ?? []).some((rest) =>
      (rest.resource ?? []).some(
        (resource) =>
          resource.type === 'Group' &&
          (resource.operation ?? []).some(
            (op) =>
              op.name === 'export' ||
              (typeof op.definition === 'string' && op.definition.endsWith('/OperationDefinition/group-export')),
          ),
      ),
    );
  } catch {
    return false;
  }
}

const sameOrigin = (url: URL, options: ExportOptions) => url.origin === base(options).origin;

async function refusedBy(response: Response, what: string): Promise<never> {
  await response.body?.cancel().catch(() => undefined);
  throw new ExportRefused(`Central refused the ${what} (HTTP ${response.status}).`);
}

/** Kick-off to manifest: the manifest, and the status URL (to delete the job after). */
async function awaitManifest(
  options: ExportOptions,
  group: string,
  types: readonly string[],
  since: string | undefined,
): Promise<{ manifest: z.infer<typeof Manifest>; status: URL }> {
  const query = new URLSearchParams({ _type: types.join(',') });
  if (since !== undefined) query.set('_since', since);
  const kickOff = await fetchWithRetry(
    new URL(`Group/${encodeURIComponent(group)}/$export?${query}`, base(options)).href,
    { headers: { ...headers(options), prefer: 'respond-async' } },
    options,
  );
  if (kickOff.status !== 202) return refusedBy(kickOff, 'Group export');
  await kickOff.body?.cancel().catch(() => undefined);
  const location = kickOff.headers.get('content-location');
  const status = location ? new URL(location, base(options)) : null;
  if (!status || !sameOrigin(status, options))
    throw new ExportRefused('Central gave no status address for the export on its own origin.');
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let waited = 0;
  for (;;) {
    const polled = await fetchWithRetry(status.href, { headers: headers(options) }, options);
    if (polled.status === 200) {
      const manifest = Manifest.safeParse(
        await readBoundedJson(polled, options.limits.maxResponseBytes, 'Bulk Data manifest'),
      );
      if (!manifest.success) throw new ExportRefused('Central sent a Bulk Data manifest this workstation cannot read.');
      return { manifest: manifest.data, status };
    }
    if (polled.status !== 202) return refusedBy(polled, 'export status');
    await polled.body?.cancel().catch(() => undefined);
    const told = Number(polled.headers.get('retry-after'));
    const wait = Math.min(POLL_MAX_MS, Math.max(POLL_MIN_MS, Number.isFinite(told) ? told * 1000 : POLL_MIN_MS));
    if (waited + wait > EXPORT_MAX_WAIT_MS) {
      await forget(options, status);
      throw new ExportRefused(`Central's export was not ready within ${EXPORT_MAX_WAIT_MS / 1000} s.`);
    }
    await sleep(wait);
    waited += wait;
  }
}

/** Deletes the job at central (Bulk Data's clean-up); a failure is central's to tidy. */
async function forget(options: ExportOptions, status: URL): Promise<void> {
  try {
    const response = await fetchWithRetry(
      status.href,
      { method: 'DELETE', headers: headers(options) },
      { ...options, retry: { attempts: 1 } },
    );
    await response.body?.cancel().catch(() => undefined);
  } catch {
    // Left for central to expire.
  }
}

/** One NDJSON file's resources, validated, in chunks shaped as search pages (no cursor of their own). */
async function readFile(
  options: ExportOptions,
  url: URL,
  type: string,
  withToken: boolean,
  onChunk: (page: PreparedPage) => void,
): Promise<void> {
  const response = await fetchWithRetry(
    url.href,
    { headers: { ...headers(options, withToken), accept: 'application/fhir+ndjson' } },
    { ...options, retry: { ...options.retry, timeoutMs: FILE_TIMEOUT_MS } },
  );
  if (!response.ok) return refusedBy(response, `${type} export file`);
  let chunk: Prepared[] = [];
  const flush = () => {
    if (chunk.length > 0) onChunk({ prepared: chunk, newest: null, future: [], centralNow: null });
    chunk = [];
  };
  const take = (line: string) => {
    if (line.trim() === '') return;
    let resource: unknown;
    try {
      resource = JSON.parse(line);
    } catch {
      throw new SyncHttpError('malformed-response', `Central sent a ${type} export line that is not JSON.`);
    }
    if ((resource as { resourceType?: unknown } | null)?.resourceType !== type) return;
    const outcome = prepareResource(withholdLargeAttachments(resource as object, options.limits.maxAttachmentBytes));
    chunk.push(
      outcome.ok && Buffer.byteLength(outcome.resource.json) > options.limits.maxResourceBytes
        ? {
            ok: false,
            rejected: {
              resourceType: type,
              id: outcome.resource.id,
              issues: ['(root): larger than central.maxResourceMiB'],
            },
          }
        : outcome,
    );
    if (chunk.length >= CHUNK_SIZE) flush();
  };
  let rest = '';
  for await (const piece of readBoundedText(response, FILE_MAX_BYTES, `${type} export file`)) {
    rest += piece;
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) take(line);
    if (rest.length > options.limits.maxResourceBytes)
      throw new SyncHttpError('too-large', `Central sent a ${type} export line larger than central.maxResourceMiB.`);
  }
  take(rest);
  flush();
}

/**
 * One Group export of these types (since `since`, or everything): each file's resources handed to
 * `onChunk(type, page)` as they arrive. Answers central's transactionTime: everything updated
 * before it is in the files. ExportRefused when central will not or cannot export; SyncHttpError
 * when it cannot be reached or sends what cannot be read.
 */
export async function runGroupExport(
  options: ExportOptions,
  group: string,
  types: readonly string[],
  since: string | undefined,
  onChunk: (type: string, page: PreparedPage) => void,
): Promise<{ transactionTime: string }> {
  const { manifest, status } = await awaitManifest(options, group, types, since);
  try {
    if (manifest.error.length > 0) throw new ExportRefused('Central reported errors in its export.');
    const files = manifest.output.map((output) => ({ ...output, at: new URL(output.url, base(options)) }));
    if (manifest.requiresAccessToken && files.some((file) => !sameOrigin(file.at, options)))
      throw new ExportRefused('Central asked for the token to be sent to an export file on another origin.');
    for (const file of files) {
      if (!types.includes(file.type)) continue;
      await readFile(options, file.at, file.type, manifest.requiresAccessToken, (page) => onChunk(file.type, page));
    }
    return { transactionTime: manifest.transactionTime };
  } finally {
    await forget(options, status);
  }
}
