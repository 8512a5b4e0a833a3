/**
 * Dev central's HAPI FHIR personality over real HTTP (dev/central/personality.ts): what a HAPI
 * JPA server does where FHIR leaves servers free, so the workstation's sync meets it in tests:
 * integer version ids per resource, weak ETags on them, 201 with a versioned Location on
 * PUT-create, searches and histories held server-side behind opaque `_getpages` links (later
 * writes do not shift them, held results expire into 410 Gone, an identical search within a
 * minute answered from them unless the client says Cache-Control: no-cache), Bundle.id and
 * Bundle.meta.lastUpdated on every page, a Date header on every answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, BundleEntry, OperationOutcome, Patient, Resource } from '@medplum/fhirtypes';
import { fhirFetch, signIn, startTestCentral, type Central } from '../support/central.ts';
import { testPatient } from '../support/fhir.ts';

/** Enough patients for more than 200 observations (the page size cap). */
const PATIENTS = 60;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let central: Central;
let token: string;

beforeAll(async () => {
  central = await startTestCentral({ patients: PATIENTS, seed: 11, personality: 'hapi' });
  token = (await signIn(central, 'nurse1')).accessToken;
});
afterAll(() => central?.close());

const api = (path: string, init?: RequestInit) => fhirFetch(central, token, path, init);
const bundleOf = async (response: Response) => {
  expect(response.status).toBe(200);
  return (await response.json()) as Bundle;
};
const next = (bundle: Bundle) => bundle.link?.find((link) => link.relation === 'next')?.url;
const newPatient = (id: string): Patient => {
  const { meta: _meta, ...content } = testPatient(id, 'Hapi', 'Personality', `MRN-${id}`);
  return content;
};

async function allPages(first: string): Promise<{ pages: Bundle[]; entries: BundleEntry[] }> {
  const pages: Bundle[] = [];
  for (let url: string | undefined = first; url; url = next(pages.at(-1)!)) {
    pages.push(await bundleOf(await api(url)));
    if (pages.length > 100) throw new Error('paging does not end');
  }
  return { pages, entries: pages.flatMap((page) => page.entry ?? []) };
}

describe('versions', () => {
  it('numbers each resource\'s versions "1", "2", ... with weak ETags and a versioned Location', async () => {
    const created = await api('Patient/hapi-v', { method: 'PUT', body: JSON.stringify(newPatient('hapi-v')) });
    expect(created.status).toBe(201);
    expect(((await created.json()) as Resource).meta?.versionId).toBe('1');
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.headers.get('location')).toBe(`${central.fhirBaseUrl}/Patient/hapi-v/_history/1`);

    const updated = await api('Patient/hapi-v', {
      method: 'PUT',
      headers: { 'if-match': 'W/"1"' },
      body: JSON.stringify({ ...newPatient('hapi-v'), gender: 'female' }),
    });
    expect(updated.status).toBe(200);
    expect(updated.headers.get('etag')).toBe('W/"2"');
    expect(updated.headers.get('location')).toBeNull();
    await updated.body?.cancel();

    const stale = await api('Patient/hapi-v', {
      method: 'PUT',
      headers: { 'if-match': 'W/"1"' },
      body: JSON.stringify(newPatient('hapi-v')),
    });
    expect(stale.status).toBe(412);
    await stale.body?.cancel();

    // A delete is a version too; a create after it goes on counting.
    expect((await api('Patient/hapi-v', { method: 'DELETE' })).status).toBeLessThan(300);
    const again = await api('Patient/hapi-v', { method: 'PUT', body: JSON.stringify(newPatient('hapi-v')) });
    expect(again.status).toBe(201);
    expect(again.headers.get('etag')).toBe('W/"4"');
    await again.body?.cancel();
    const history = await bundleOf(await api('Patient/hapi-v/_history'));
    expect(history.entry?.map((entry) => entry.response?.etag)).toEqual(['W/"4"', 'W/"3"', 'W/"2"', 'W/"1"']);
    expect((await bundleOf(await api('Patient/hapi-v/_history/2'))) as Resource).toMatchObject({ gender: 'female' });
  });

  it('gives seeded resources version "1", and a Date header to every answer', async () => {
    const { entries } = await allPages('Patient?_count=200');
    expect(entries.length).toBeGreaterThanOrEqual(PATIENTS);
    const seeded = entries.filter((entry) => entry.resource?.id?.startsWith('pat-'));
    expect(seeded.length).toBe(PATIENTS);
    expect(seeded.every((entry) => entry.resource?.meta?.versionId === '1')).toBe(true);
    for (const path of ['Patient?_count=1', 'Patient/does-not-exist', 'metadata']) {
      const response = await api(path);
      await response.body?.cancel();
      expect(Math.abs(Date.parse(response.headers.get('date') ?? '') - Date.now())).toBeLessThan(60_000);
    }
  });
});

describe('paging by held results', () => {
  it('pages a search by an opaque _getpages link, every match once, with Bundle.id and meta.lastUpdated', async () => {
    const first = await bundleOf(await api('Patient?_count=7&_sort=_lastUpdated'));
    expect(first.id).toMatch(UUID);
    expect(Date.now() - Date.parse(first.meta?.lastUpdated ?? '')).toBeLessThan(60_000);
    const link = new URL(next(first) ?? '');
    expect(`${link.origin}${link.pathname}`).toBe(central.fhirBaseUrl);
    expect(link.searchParams.get('_getpages')).toBe(first.id);
    expect(link.searchParams.get('_getpagesoffset')).toBe('7');
    expect(link.searchParams.get('_count')).toBe('7');
    expect(link.searchParams.get('_lastUpdated')).toBeNull();

    const { pages, entries } = await allPages(link.href);
    expect(pages.every((page) => page.id === first.id && page.meta?.lastUpdated === first.meta?.lastUpdated)).toBe(
      true,
    );
    const ids = [...(first.entry ?? []), ...entries].map((entry) => entry.resource?.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(first.total);
  });

  it('holds what the search found: later creates are not added, updates show, deletes drop out', async () => {
    const first = await bundleOf(await api('Patient?_count=5&_sort=_lastUpdated'));
    const total = first.total ?? 0;
    const { entries: peek } = await allPages(next(first) ?? '');
    const [toUpdate, toDelete] = peek.slice(-2).map((entry) => entry.resource as Patient);

    expect((await api('Patient', { method: 'POST', body: JSON.stringify(newPatient('hapi-late')) })).status).toBe(201);
    const updated = await api(`Patient/${toUpdate!.id}`, {
      method: 'PUT',
      body: JSON.stringify({ ...toUpdate, meta: undefined, gender: 'other' }),
    });
    expect(updated.status).toBe(200);
    expect((await api(`Patient/${toDelete!.id}`, { method: 'DELETE' })).status).toBeLessThan(300);

    const { entries } = await allPages(next(first) ?? '');
    const ids = [...(first.entry ?? []), ...entries].map((entry) => entry.resource?.id);
    expect(ids).not.toContain('hapi-late');
    expect(ids).not.toContain(toDelete!.id);
    expect(ids.length).toBe(total - 1);
    const shown = entries.find((entry) => entry.resource?.id === toUpdate!.id)?.resource as Patient;
    expect(shown.gender).toBe('other');
    expect(Number(shown.meta?.versionId)).toBe(Number(toUpdate!.meta?.versionId) + 1);
  });

  it('pages 20 by default and 200 at most', async () => {
    expect((await bundleOf(await api('Patient'))).entry?.length).toBe(20);
    const capped = await bundleOf(await api('Observation?_count=100000'));
    expect(capped.total).toBeGreaterThan(200);
    expect(capped.entry?.length).toBe(200);
    expect(new URL(next(capped) ?? '').searchParams.get('_count')).toBe('200');
  });

  it('pages type-level history with _since the same way, deletes included', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const first = await bundleOf(await api(`Patient/_history?_since=${encodeURIComponent(since)}&_count=2`));
    expect(first.type).toBe('history');
    expect(new URL(next(first) ?? '').searchParams.get('_getpages')).toBe(first.id);
    const { entries } = await allPages(next(first) ?? '');
    const all = [...(first.entry ?? []), ...entries];
    expect(all.length).toBe(first.total);
    expect(all.some((entry) => entry.request?.method === 'DELETE')).toBe(true);
  });

  it('answers an identical search within a minute from the held results, unless told Cache-Control: no-cache', async () => {
    const query = 'Patient?_count=3&gender=female&_sort=-_lastUpdated';
    // What a client that does not say no-cache sends (fhirFetch says it unless told otherwise).
    const cached = { headers: { 'cache-control': 'max-age=60' } };
    const before = await bundleOf(await api(query, cached));
    const created = await api('Patient', {
      method: 'POST',
      body: JSON.stringify({ ...newPatient('hapi-cached'), gender: 'female' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as Resource;
    // HAPI's search result cache: the same search again is the same held results, stale.
    const again = await bundleOf(await api(query, cached));
    expect(again.id).toBe(before.id);
    expect(again.total).toBe(before.total);
    const fresh = await bundleOf(await api(query, { headers: { 'cache-control': 'no-cache' } }));
    expect(fresh.id).not.toBe(before.id);
    expect(fresh.total).toBe((before.total ?? 0) + 1);
    expect(fresh.entry?.[0]?.resource?.id).toBe(id);
  });

  it('answers 410 Gone with an OperationOutcome for results it does not hold', async () => {
    const unknown = await api(`?_getpages=${crypto.randomUUID()}&_getpagesoffset=20&_count=20`);
    expect(unknown.status).toBe(410);
    expect(((await unknown.json()) as OperationOutcome).resourceType).toBe('OperationOutcome');
    const bad = await api(`?_getpages=${crypto.randomUUID()}&_getpagesoffset=-1`);
    expect(bad.status).toBe(400);
    await bad.body?.cancel();
  });
});

describe('held results expire', () => {
  let short: Central;
  let shortToken: string;
  beforeAll(async () => {
    short = await startTestCentral({ patients: 3, seed: 5, personality: 'hapi', heldResultsTtlMs: 300 });
    shortToken = (await signIn(short, 'nurse1')).accessToken;
  });
  afterAll(() => short?.close());

  it('after their time since the last read: 410, while a page read in time keeps them', async () => {
    const first = (await (await fhirFetch(short, shortToken, 'Patient?_count=1')).json()) as Bundle;
    const link = next(first) ?? '';
    await new Promise((resolve) => setTimeout(resolve, 150));
    const inTime = await fhirFetch(short, shortToken, link);
    expect(inTime.status).toBe(200);
    const second = (await inTime.json()) as Bundle;
    await new Promise((resolve) => setTimeout(resolve, 200));
    // 350 ms after the search, 200 ms after its last read: still held.
    const stillHeld = await fhirFetch(short, shortToken, next(second) ?? '');
    expect(stillHeld.status).toBe(200);
    await stillHeld.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 450));
    const expired = await fhirFetch(short, shortToken, link);
    expect(expired.status).toBe(410);
    await expired.body?.cancel();
  });
});
