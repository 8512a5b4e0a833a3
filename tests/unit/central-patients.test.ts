/**
 * What charts on demand take from central (sync/central-patients.ts), central being untrusted:
 * a search brings valid Patients only, at most the limit; a patient's records are only theirs
 * (another patient's, or an invalid one, is refused); a search cut short by the page limit is
 * not complete, so nothing the cache holds is taken for deleted on its word.
 */
import { describe, expect, it } from 'vitest';
import { centralPatientQuery, readPatientTypes, searchCentralPatients } from '../../src-main/sync/central-patients.ts';
import { DEFAULT_PAGE_LIMITS } from '../../src-main/sync/pull.ts';
import { testPatient } from '../support/fhir.ts';

const BASE = 'http://127.0.0.1:9/fhir';

/** A central that answers every request with the bundle `answer` gives for its URL. */
function central(answer: (url: URL) => unknown) {
  const asked: URL[] = [];
  const fetch: typeof globalThis.fetch = async (input) => {
    const url = new URL(String(input));
    asked.push(url);
    return new Response(JSON.stringify(answer(url)), {
      status: 200,
      headers: { 'content-type': 'application/fhir+json' },
    });
  };
  return { asked, fetch };
}

const options = (fetch: typeof globalThis.fetch, limits = DEFAULT_PAGE_LIMITS) => ({
  fhirBaseUrl: BASE,
  accessToken: 'token',
  allowLoopbackHttp: true,
  fetch,
  limits,
  retry: { attempts: 1 },
});

const observation = (id: string, patientId: string) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { text: 'Heart rate' },
  subject: { reference: `Patient/${patientId}` },
  valueQuantity: { value: 70, unit: '/min' },
});

describe('centralPatientQuery', () => {
  it('reads what was typed as the local search does: birth date, MRN, name words', () => {
    expect(Object.fromEntries(centralPatientQuery('1980-04', 25))).toEqual({ _count: '25', birthdate: '1980-04' });
    expect(Object.fromEntries(centralPatientQuery(' 54674317 ', 25))).toEqual({ _count: '25', identifier: '54674317' });
    expect([...centralPatientQuery('fyl  Iv', 5).getAll('name')]).toEqual(['fyl', 'Iv']);
    // Punctuation cannot reach central as search syntax.
    expect([...centralPatientQuery('smi,th&_id=x', 5).getAll('name')]).toEqual(['smi', 'th', 'id', 'x']);
    expect(centralPatientQuery('smi,th&_id=x', 5).has('_id')).toBe(false);
  });
});

describe('searchCentralPatients', () => {
  it('brings valid Patients only, at most the limit, and says when central has more', async () => {
    const server = central(() => ({
      resourceType: 'Bundle',
      type: 'searchset',
      link: [{ relation: 'next', url: `${BASE}/Patient?name=a&_offset=3` }],
      entry: [
        { resource: testPatient('p1', 'Ana', 'Aldren', '1001') },
        { resource: { resourceType: 'Patient', id: 'p2', birthDate: 'not a date' } },
        { resource: observation('o1', 'p1') },
        { resource: testPatient('p3', 'Ari', 'Aldren', '1003') },
        { resource: testPatient('p4', 'Abe', 'Aldren', '1004') },
      ],
    }));
    const found = await searchCentralPatients('Aldren', 2, options(server.fetch));
    expect(found.patients.map((p) => p.id)).toEqual(['p1', 'p3']);
    expect(found.more).toBe(true);
    // One page only: a search is not a crawl of central.
    expect(server.asked).toHaveLength(1);
    expect(server.asked[0]!.searchParams.get('_count')).toBe('2');
  });
});

describe('readPatientTypes', () => {
  it('keeps only the patient asked about: another patient’s record and an invalid one are refused', async () => {
    const server = central((url) => ({
      resourceType: 'Bundle',
      type: 'searchset',
      entry: url.pathname.endsWith('/Patient')
        ? [
            { resource: testPatient('p1', 'Ana', 'Aldren', '1001') },
            { resource: testPatient('p9', 'Zed', 'Other', '9') },
          ]
        : [
            { resource: observation('o1', 'p1') },
            { resource: observation('o2', 'p9') },
            { resource: { ...observation('o3', 'p1'), status: 42 } },
          ],
    }));
    const read = await readPatientTypes('p1', ['Patient', 'Observation'], options(server.fetch));
    expect(read.map((r) => [r.type, r.resources.map((x) => x.id), r.rejected, r.complete])).toEqual([
      ['Patient', ['p1'], 1, true],
      ['Observation', ['o1'], 2, true],
    ]);
    expect(
      server.asked.map((u) => [
        u.pathname.split('/').pop(),
        u.searchParams.get('_id') ?? u.searchParams.get('patient'),
      ]),
    ).toEqual([
      ['Patient', 'p1'],
      ['Observation', 'p1'],
    ]);
  });

  it('is not complete when the page limit cut the search short', async () => {
    let page = 0;
    const server = central(() => ({
      resourceType: 'Bundle',
      type: 'searchset',
      link: [{ relation: 'next', url: `${BASE}/Observation?patient=p1&_offset=${++page}` }],
      entry: [{ resource: observation(`o${page}`, 'p1') }],
    }));
    const [read] = await readPatientTypes(
      'p1',
      ['Observation'],
      options(server.fetch, { ...DEFAULT_PAGE_LIMITS, maxPages: 2 }),
    );
    expect(read!.resources.length).toBe(2);
    expect(read!.complete).toBe(false);
  });
});
