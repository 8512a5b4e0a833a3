/**
 * The sync budgets of issue 6, in a process of its own (fresh heap, so its memory growth is its
 * own) against a dev central running in the bench's main process (its own core):
 * - initial pull of the clinic into an empty encrypted cache, beside a plain paged fetch loop over
 *   the same server and pages that stores nothing (plain, pull, plain: the mean of the plain runs);
 *   the resident memory growth during the pull, sampled at every page;
 * - push of 1,000 changes from the outbox, beside a plain sequential PUT loop of 1,000 such
 *   resources (plain, push, plain).
 * With --big-page (issue 14), central first receives 42 notes of 1 MB each (base64; what dev
 * central's validator takes at most) for one patient, all on the last page of the DocumentReference
 * search: the pull's memory growth with a page over 40 MB (and nothing else: no push).
 * With --scope <Group id> (issue 15, tests/bench/scope-budgets.ts): the first pull scoped to that
 * Group's members (cache.scope), beside a plain loop over the same searches (the staff types whole,
 * the others by `patient=` in the pull's batches); no push.
 *   sync.ts --fhir <base url> [--big-page | --scope <Group id>]     (the access token in CLINIC_BENCH_TOKEN)
 * Prints one JSON line.
 */
import { parseArgs } from 'node:util';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { vitalSignObservations } from '../../src-main/records/edits.ts';
import { recordLocalChange } from '../../src-main/sync/outbox.ts';
import { startPageReader, type PageReader } from '../../src-main/sync/page-reader.ts';
import { DEFAULT_PAGE_LIMITS, PULL_PAGE_SIZE, PULLED_TYPES, pullAll } from '../../src-main/sync/pull.ts';
import { pushOutbox } from '../../src-main/sync/push.ts';
import { SCOPE_BATCH_SIZE, SCOPE_PARAMETER } from '../../src-main/sync/scope.ts';
import { durably } from '../../src-main/vault/sqlcipher.ts';
import type { Vault } from '../../src-main/vault/vault.ts';
import { openTempVault, type TempVault } from '../support/vault-fixture.ts';

const { values } = parseArgs({
  options: { fhir: { type: 'string' }, 'big-page': { type: 'boolean' }, scope: { type: 'string' } },
});
const token = process.env['CLINIC_BENCH_TOKEN'] ?? '';
if (!values.fhir || !token) {
  process.stderr.write('usage: CLINIC_BENCH_TOKEN=... sync.ts --fhir <base url>\n');
  process.exit(2);
}
const base = values.fhir.replace(/\/+$/, '');
const headers = { accept: 'application/fhir+json', authorization: `Bearer ${token}` };
const clock = { now: () => Date.now() };
const CHANGES = 1000;

const scope = values.scope ? { kind: 'group' as const, group: values.scope, maxMembers: 100_000 } : undefined;

/**
 * The first searches a pull makes: each type whole, or with a scope the staff whole and the
 * others by the Group's members, sorted, in the pull's batches (the first pull: no cursors yet).
 */
async function firstSearches(): Promise<string[]> {
  const query = (extra: Record<string, string> = {}) =>
    new URLSearchParams({ _sort: '_lastUpdated', _count: String(PULL_PAGE_SIZE), ...extra });
  if (!scope) return PULLED_TYPES.map((type) => `${base}/${type}?${query()}`);
  const group = (await (await fetch(`${base}/Group/${scope.group}`, { headers })).json()) as {
    member: { entity: { reference: string } }[];
  };
  const members = group.member.map((m) => m.entity.reference.slice('Patient/'.length)).sort();
  return PULLED_TYPES.flatMap((type) => {
    const parameter = SCOPE_PARAMETER[type];
    if (parameter === null) return [`${base}/${type}?${query()}`];
    const urls: string[] = [];
    for (let i = 0; i < members.length; i += SCOPE_BATCH_SIZE)
      urls.push(`${base}/${type}?${query({ [parameter]: members.slice(i, i + SCOPE_BATCH_SIZE).join(',') })}`);
    return urls;
  });
}

/** The same pages the pull reads (search by search, sorted by _lastUpdated, next links), parsed and dropped. */
async function plainPull(): Promise<{ ms: number; resources: number; largestPageMB: number }> {
  // Timed from before the Group's read (scoped): the pull reads it too.
  const started = performance.now();
  const searches = await firstSearches();
  let resources = 0;
  let largest = 0;
  for (const search of searches) {
    let url: string | undefined = search;
    while (url) {
      const text = await (await fetch(url, { headers })).text();
      largest = Math.max(largest, text.length);
      const bundle = JSON.parse(text) as {
        entry?: unknown[];
        link?: { relation: string; url: string }[];
      };
      resources += bundle.entry?.length ?? 0;
      url = bundle.link?.find((link) => link.relation === 'next')?.url;
    }
  }
  return { ms: performance.now() - started, resources, largestPageMB: largest / 1e6 };
}

/** 42 notes of 1 MB (base64 text) for one patient: the newest, so all on the last page of their search. */
async function addBigNotes(): Promise<void> {
  const someone = (await (await fetch(`${base}/Patient?_count=1`, { headers })).json()) as {
    entry: { resource: { id: string } }[];
  };
  const patientId = someone.entry[0]!.resource.id;
  for (let i = 0; i < 42; i++) {
    const note = {
      resourceType: 'DocumentReference',
      status: 'current',
      type: { coding: [{ system: 'http://loinc.org', code: '11506-3', display: 'Progress note' }] },
      subject: { reference: `Patient/${patientId}` },
      date: '2026-01-01T10:00:00Z',
      content: [
        {
          attachment: {
            contentType: 'text/plain',
            data: Buffer.alloc(750_000, 'synthetic note text ').toString('base64'),
          },
        },
      ],
    };
    const response = await fetch(`${base}/DocumentReference`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(note),
    });
    if (!response.ok) throw new Error(`big note POST answered ${response.status}`);
    await response.arrayBuffer();
  }
}

async function plainPuts(bodies: { id: string; json: string }[]): Promise<number> {
  const started = performance.now();
  for (const body of bodies) {
    const response = await fetch(`${base}/Observation/${body.id}`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/fhir+json' },
      body: body.json,
    });
    if (!response.ok) throw new Error(`plain PUT answered ${response.status}`);
    await response.arrayBuffer();
  }
  return performance.now() - started;
}

/** The plain loop again (the mean of before and after), then the push beside plain PUTs. */
async function measurePush(vault: Vault, plainBeforeMs: number) {
  const plainAfter = await plainPull();
  // 1,000 vital signs for the pulled patients, queued as a clinician would write them.
  const patients = vault.db
    .prepare("SELECT id FROM resources WHERE type = 'Patient' LIMIT 200")
    .pluck()
    .all() as string[];
  const author = { practitionerId: null, displayName: 'Bench Nurse' };
  const observation = (i: number) =>
    vitalSignObservations(
      patients[i % patients.length]!,
      { heartRate: 50 + (i % 100) },
      author,
      new Date(Date.UTC(2026, 0, 1) + i * 1000),
    )[0]!;
  const plainBodies = () =>
    Array.from({ length: CHANGES }, (_, i) => observation(i)).map((o) => ({ id: o.id!, json: JSON.stringify(o) }));
  const plainPushBefore = await plainPuts(plainBodies());
  durably(vault.db, () => {
    for (let i = 0; i < CHANGES; i++) recordLocalChange(vault.db, observation(i), 'bench-user', clock);
  });
  const started = performance.now();
  const pushed = await pushOutbox({
    db: vault.db,
    fhirBaseUrl: base,
    tokenFor: async () => ({ token }),
    allowLoopbackHttp: true,
    clock,
    logger: createMemoryLogger(),
  });
  const pushMs = performance.now() - started;
  const plainPushAfter = await plainPuts(plainBodies());
  return {
    plainPullMs: (plainBeforeMs + plainAfter.ms) / 2,
    pushed: pushed.pushed,
    pushMs,
    plainPushMs: (plainPushBefore + plainPushAfter) / 2,
  };
}

let temp: TempVault | undefined;
let reader: PageReader | undefined;
try {
  if (values['big-page']) await addBigNotes();
  // With the 40 MB page, the plain loop runs after the pull: its own peak (the page read whole)
  // would otherwise count as the pull's.
  const bigPage = values['big-page'] === true;
  // A scoped pull is measured alone (pull only, like the big page).
  const pullOnly = bigPage || scope !== undefined;
  const plainBefore = bigPage ? null : await plainPull();
  temp = await openTempVault({ prefix: 'clinic-bench-sync-' });
  const { vault } = temp;
  // The pull reads with a page worker already running, as the sync engine's is by its first pull
  // (started when the clinician signs in, kept across rounds): a read of no searches waits until
  // the worker has loaded. Its start is not the pull's throughput (about 0.5 s from source).
  reader = startPageReader(DEFAULT_PAGE_LIMITS);
  for await (const item of reader.read({ searches: [], accessToken: token, allowLoopbackHttp: true, tlsPins: [] }))
    void item;
  globalThis.gc?.();
  const rssBefore = process.memoryUsage.rss();
  // The process's peak resident size, before and after (the page worker's memory included).
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const pulled = await pullAll({
    db: vault.db,
    fhirBaseUrl: base,
    accessToken: token,
    allowLoopbackHttp: true,
    clock,
    logger: createMemoryLogger(),
    reader,
    ...(scope ? { scope } : {}),
  });
  const pullMs = performance.now() - started;
  // The client's own CPU time (every thread: storing here, reading and validating in the worker).
  const cpu = process.cpuUsage(cpuBefore);
  const pullCpuMs = (cpu.user + cpu.system) / 1000;
  // An upper bound when the peak came before the pull (the plain loop): never an underestimate.
  const rssPeak = Math.max(peakBefore, process.resourceUsage().maxRSS * 1024);
  const stored = Object.values(pulled).reduce((sum, result) => sum + result.stored, 0);
  const plain = plainBefore ?? (await plainPull());
  const pull = {
    resources: stored,
    served: plain.resources,
    largestPageMB: plain.largestPageMB,
    pullMs,
    pullCpuMs,
    rssGrowthMB: (rssPeak - rssBefore) / 1e6,
  };
  // Scoped: plain, pull, plain, the mean of the plain runs (as for the push's figures).
  const plainPullMs = scope ? (plain.ms + (await plainPull()).ms) / 2 : plain.ms;
  const result = pullOnly ? { ...pull, plainPullMs } : { ...pull, ...(await measurePush(vault, plain.ms)) };
  vault.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await reader?.close();
  await temp?.close();
}
