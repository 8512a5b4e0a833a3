/**
 * The Bulk Data Group export client (sync/bulk-export.ts) against a hostile or slow central: the
 * token never goes to another origin, an export not ready in time is given up (and deleted at
 * central), a manifest with errors or unreadable is refused, lines are validated and a line too
 * long refuses the file; the capability is read from the CapabilityStatement.
 */
import { describe, expect, it } from 'vitest';
import {
  ExportRefused,
  offersGroupExport,
  runGroupExport,
  EXPORT_MAX_WAIT_MS,
} from '../../src-main/sync/bulk-export.ts';
import type { PreparedPage } from '../../src-main/sync/pages.ts';
import { DEFAULT_PAGE_LIMITS } from '../../src-main/sync/pull.ts';
import { testPatient } from '../support/fhir.ts';

const BASE = 'https://central.test/fhir';

type Handler = (url: URL, init: RequestInit) => Response | undefined;
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

/** A central answering kick-off, status and files as `files` and `manifest` say. */
function central(options: {
  manifest?: (base: string) => unknown;
  polls?: number;
  files?: Record<string, string>;
  handler?: Handler;
}) {
  const asked: { url: string; method: string; token: boolean }[] = [];
  let polls = 0;
  const fetch: typeof globalThis.fetch = async (input, init = {}) => {
    const url = new URL(String(input));
    const auth = (init.headers as Record<string, string> | undefined)?.['authorization'];
    asked.push({ url: url.href, method: init.method ?? 'GET', token: auth !== undefined });
    const custom = options.handler?.(url, init);
    if (custom) return custom;
    if (url.pathname.endsWith('/$export')) return json(undefined, 202, { 'content-location': `${BASE}/status/1` });
    if (url.pathname.endsWith('/status/1')) {
      if (init.method === 'DELETE') return json(undefined, 202);
      if (polls++ < (options.polls ?? 0)) return json(undefined, 202, { 'retry-after': '5' });
      return json(
        options.manifest?.(BASE) ?? {
          transactionTime: '2026-05-01T00:00:00Z',
          requiresAccessToken: true,
          output: [],
          error: [],
        },
      );
    }
    const file = options.files?.[url.href];
    if (file !== undefined) return new Response(file, { status: 200 });
    return json({ resourceType: 'OperationOutcome' }, 404);
  };
  return { asked, fetch };
}

const exportOptions = (fetch: typeof globalThis.fetch, slept: number[] = []) => ({
  fhirBaseUrl: BASE,
  accessToken: 'secret-token',
  allowLoopbackHttp: false,
  fetch,
  limits: DEFAULT_PAGE_LIMITS,
  retry: { attempts: 1 },
  sleep: async (ms: number) => void slept.push(ms),
});

const run = (
  fetch: typeof globalThis.fetch,
  pages: { type: string; page: PreparedPage }[] = [],
  slept: number[] = [],
) =>
  runGroupExport(exportOptions(fetch, slept), 'panel', ['Patient', 'Observation'], undefined, (type, page) =>
    pages.push({ type, page }),
  );

describe('Bulk Data Group export', () => {
  it('reads each file line by line: valid resources of the type asked, an invalid one refused; the job deleted after', async () => {
    const server = central({
      polls: 2,
      manifest: (base) => ({
        transactionTime: '2026-05-01T00:00:00Z',
        requiresAccessToken: true,
        output: [
          { type: 'Patient', url: `${base}/files/patients.ndjson` },
          { type: 'Condition', url: `${base}/files/conditions.ndjson` },
        ],
        error: [],
      }),
      files: {
        [`${BASE}/files/patients.ndjson`]: [
          JSON.stringify(testPatient('p1', 'Ana', 'Aldren', '1')),
          JSON.stringify({ resourceType: 'Patient', id: 'p2', birthDate: 'soon' }),
          '',
          JSON.stringify(testPatient('p3', 'Ari', 'Aldren', '3')),
        ].join('\n'),
      },
    });
    const pages: { type: string; page: PreparedPage }[] = [];
    const slept: number[] = [];
    expect(await run(server.fetch, pages, slept)).toEqual({ transactionTime: '2026-05-01T00:00:00Z' });
    expect(slept).toEqual([5000, 5000]); // as central said, between polls
    const prepared = pages.flatMap((p) => p.page.prepared);
    expect(prepared.map((p) => (p.ok ? p.resource.id : `refused ${p.rejected.id}`))).toEqual([
      'p1',
      'refused p2',
      'p3',
    ]);
    // The Condition file was not asked for: not even read.
    expect(server.asked.some((a) => a.url.includes('conditions'))).toBe(false);
    expect(server.asked.at(-1)).toMatchObject({ url: `${BASE}/status/1`, method: 'DELETE' });
    expect(server.asked[0]!.url).toContain('_type=Patient%2CObservation');
  });

  it('never sends the token to a file on another origin: such a manifest is refused whole', async () => {
    const server = central({
      manifest: () => ({
        transactionTime: '2026-05-01T00:00:00Z',
        requiresAccessToken: true,
        output: [{ type: 'Patient', url: 'https://elsewhere.test/p.ndjson' }],
        error: [],
      }),
    });
    await expect(run(server.fetch)).rejects.toBeInstanceOf(ExportRefused);
    expect(server.asked.some((a) => a.url.startsWith('https://elsewhere.test'))).toBe(false);
  });

  it('gives up an export not ready in time, and deletes it at central', async () => {
    const server = central({ polls: 1_000 });
    const slept: number[] = [];
    await expect(run(server.fetch, [], slept)).rejects.toThrow(/not ready within/);
    expect(slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(EXPORT_MAX_WAIT_MS);
    expect(server.asked.at(-1)).toMatchObject({ method: 'DELETE' });
  });

  it('refuses a manifest with errors, one it cannot read, a status on another origin, and a line too long', async () => {
    const withErrors = central({
      manifest: (base) => ({
        transactionTime: '2026-05-01T00:00:00Z',
        requiresAccessToken: true,
        output: [],
        error: [{ type: 'OperationOutcome', url: `${base}/err.ndjson` }],
      }),
    });
    await expect(run(withErrors.fetch)).rejects.toThrow(/errors/);
    await expect(run(central({ manifest: () => ({ output: 'all of it' }) }).fetch)).rejects.toThrow(/cannot read/);
    const elsewhere = central({
      handler: (url) =>
        url.pathname.endsWith('/$export')
          ? json(undefined, 202, { 'content-location': 'https://evil.test/s' })
          : undefined,
    });
    await expect(run(elsewhere.fetch)).rejects.toThrow(/own origin/);
    expect(elsewhere.asked.some((a) => a.url.startsWith('https://evil.test'))).toBe(false);
    const long = central({
      manifest: (base) => ({
        transactionTime: '2026-05-01T00:00:00Z',
        requiresAccessToken: true,
        output: [{ type: 'Patient', url: `${base}/f.ndjson` }],
        error: [],
      }),
      files: { [`${BASE}/f.ndjson`]: 'x'.repeat(DEFAULT_PAGE_LIMITS.maxResourceBytes + 10) },
    });
    await expect(run(long.fetch)).rejects.toThrow(/larger than/);
  });

  it("reads the offer from the CapabilityStatement: the Group's export operation, nothing else", async () => {
    const statement = (operation: unknown[]) =>
      central({
        handler: (url) =>
          url.pathname.endsWith('/metadata')
            ? json({ resourceType: 'CapabilityStatement', rest: [{ resource: [{ type: 'Group', operation }] }] })
            : undefined,
      }).fetch;
    expect(await offersGroupExport(exportOptions(statement([{ name: 'export' }])))).toBe(true);
    expect(
      await offersGroupExport(
        exportOptions(
          statement([{ name: 'x', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export' }]),
        ),
      ),
    ).toBe(true);
    expect(await offersGroupExport(exportOptions(statement([{ name: 'everything' }])))).toBe(false);
    expect(await offersGroupExport(exportOptions(central({}).fetch))).toBe(false);
  });
});
