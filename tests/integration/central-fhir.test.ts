/**
 * Contract of dev central's FHIR R4 API over real HTTP with real tokens. Each block pins one gap
 * of Medplum's router that the wrapper closes, so a regression in the wrapper fails here:
 * definitions indexed (search finds things), paging links and default page size, headers
 * (ETag/Location/Last-Modified), client meta stripped, validation, 412 on a stale If-Match,
 * 410 after delete, deletes in incremental history, type-level _history with _since, /metadata,
 * and 401 for missing, foreign and wrong-audience tokens.
 */
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, BundleEntry, CapabilityStatement, OperationOutcome, Patient, Resource } from '@medplum/fhirtypes';
import { generateClinic } from '../../dev/synthetic/clinic.ts';
import { parseFhirResource } from '../../src-shared/fhir/resources.ts';
import { fhirFetch, signIn, startTestCentral } from '../support/central.ts';
import type { Central, SignedIn } from '../support/central.ts';
import { testPatient } from '../support/fhir.ts';

const PATIENTS = 30;
const SEED = 7;
const clinic = generateClinic({ seed: SEED, patients: PATIENTS });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let central: Central;
let session: SignedIn;

beforeAll(async () => {
  central = await startTestCentral({ patients: PATIENTS, seed: SEED, personality: 'medplum' });
  session = await signIn(central, 'nurse1');
});

afterAll(async () => {
  await central?.close();
});

const api = (path: string, init?: RequestInit) => fhirFetch(central, session.accessToken, path, init);

async function json<T = Resource>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

function nextLink(bundle: Bundle): string | undefined {
  return bundle.link?.find((l) => l.relation === 'next')?.url;
}

async function collect(first: string): Promise<{ entries: BundleEntry[]; pages: number }> {
  const entries: BundleEntry[] = [];
  let url: string | undefined = first;
  let pages = 0;
  while (url) {
    const response = await api(url);
    expect(response.status).toBe(200);
    const bundle = await json<Bundle>(response);
    entries.push(...(bundle.entry ?? []));
    url = nextLink(bundle);
    pages++;
    if (pages > 200) throw new Error('paging does not end');
  }
  return { entries, pages };
}

function newPatient(id: string, family = 'Contractfamily'): Patient {
  const { meta: _meta, ...patient } = testPatient(id, 'Contractgiven', family, `MRN-${id}`);
  return patient as Patient;
}

async function create(resource: Resource): Promise<{ response: Response; body: Resource }> {
  const response = await api(resource.resourceType, { method: 'POST', body: JSON.stringify(resource) });
  return { response, body: await json(response) };
}

describe('metadata', () => {
  it('serves a CapabilityStatement without a token', async () => {
    const response = await fetch(`${central.fhirBaseUrl}/metadata`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    const statement = await json<CapabilityStatement>(response);
    expect(statement.resourceType).toBe('CapabilityStatement');
    expect(statement.fhirVersion).toBe('4.0.1');
    const patient = statement.rest?.[0]?.resource?.find((r) => r.type === 'Patient');
    expect(patient?.interaction?.map((i) => i.code)).toEqual(
      expect.arrayContaining(['read', 'update', 'delete', 'history-type', 'search-type']),
    );
    expect(patient?.searchParam?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['_lastUpdated', 'identifier', 'family', 'birthdate']),
    );
    expect(JSON.stringify(statement.rest?.[0]?.security)).toContain(`${central.issuer}/token`);
  });
});

describe('authentication', () => {
  it('answers 401 with WWW-Authenticate without a token', async () => {
    const response = await fetch(`${central.fhirBaseUrl}/Patient`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    expect((await json<OperationOutcome>(response)).resourceType).toBe('OperationOutcome');
  });

  it('answers 401 for a malformed token', async () => {
    const response = await fhirFetch(central, 'not.a.jwt', 'Patient');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('answers 401 for a token of the right issuer for another audience (the ID token)', async () => {
    const response = await fhirFetch(central, session.idToken, 'Patient');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('answers 401 for a well-formed token signed by a foreign key', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const forged = await new SignJWT({
      roles: ['physician'],
      fhirUser: 'Practitioner/prac-0000',
      client_id: central.clientId,
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: (await exportJWK(privateKey)).kid ?? 'forged' })
      .setIssuer(central.issuer)
      .setAudience(central.fhirBaseUrl)
      .setSubject('physician1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const response = await fhirFetch(central, forged, 'Patient');
    expect(response.status).toBe(401);
  });

  it('accepts the access token from a real sign-in', async () => {
    const response = await api('Patient?_count=1');
    expect(response.status).toBe(200);
  });
});

describe('search (definitions indexed)', () => {
  it('finds a seeded patient by family name and by MRN, and its observations by subject', async () => {
    const record = clinic.patients[3]!;
    const byFamily = await json<Bundle>(await api(`Patient?family=${encodeURIComponent(record.family)}`));
    expect(byFamily.entry?.map((e) => e.resource?.id)).toContain(record.id);
    const byMrn = await json<Bundle>(await api(`Patient?identifier=${encodeURIComponent(record.mrn)}`));
    expect(byMrn.entry?.map((e) => e.resource?.id)).toEqual([record.id]);
    const observations = record.resources.filter((r) => r.resourceType === 'Observation').length;
    const bySubject = await json<Bundle>(await api(`Observation?subject=Patient/${record.id}&_count=1000`));
    expect(bySubject.total).toBe(observations);
  });
});

describe('search by site (cache.scope organization and location)', () => {
  const ids = (bundle: Bundle) => (bundle.entry ?? []).map((e) => e.resource?.id ?? '').sort();

  it("finds an Organization's patients (Patient.managingOrganization), as the clinic made them", async () => {
    const organization = clinic.sites[1]!.organization.id;
    const expected = clinic.patients.filter((p) => p.organizationId === organization).map((p) => p.id);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(PATIENTS);
    const bundle = await json<Bundle>(await api(`Patient?organization=Organization/${organization}&_count=1000`));
    expect(ids(bundle)).toEqual(expected.sort());
    const byId = await json<Bundle>(await api(`Patient?organization=${organization}&_count=1000`));
    expect(ids(byId)).toEqual(expected.sort());
  });

  it("finds a Location's encounters whose period reaches a day or later (date=ge on Encounter.period)", async () => {
    const location = clinic.sites[0]!.location.id;
    const encounters = clinic.resources.filter(
      (r): r is Extract<typeof r, { resourceType: 'Encounter' }> => r.resourceType === 'Encounter',
    );
    const here = encounters.filter((e) => e.location?.some((l) => l.location.reference === `Location/${location}`));
    const ends = here.map((e) => e.period!.end!).sort();
    // A day in the middle of this Location's encounters: some end before it, some after.
    const day = ends[Math.floor(ends.length / 2)]!.slice(0, 10);
    const expected = here.filter((e) => e.period!.end! >= day).map((e) => e.id!);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(here.length);
    const bundle = await json<Bundle>(
      await api(`Encounter?location=Location/${location}&date=ge${day}&_count=1000&_elements=subject,period`),
    );
    expect(ids(bundle)).toEqual(expected.sort());
    // The date parameter is one of many types' (definitions.ts narrows it per type): Observation's
    // effective time still answers as before.
    const observations = clinic.resources.filter(
      (r): r is Extract<typeof r, { resourceType: 'Observation' }> => r.resourceType === 'Observation',
    );
    const later = observations.filter((o) => o.effectiveDateTime! >= day).length;
    const count = await json<Bundle>(await api(`Observation?date=ge${day}&_summary=count`));
    expect(count.total).toBe(later);
  });
});

describe('paging', () => {
  it('pages a search with Bundle.link next and _count, every resource exactly once', async () => {
    const first = await json<Bundle>(await api('Patient?_count=7&_sort=_lastUpdated'));
    expect(first.total).toBeGreaterThanOrEqual(PATIENTS);
    expect(first.entry).toHaveLength(7);
    expect(first.link?.find((l) => l.relation === 'self')?.url).toContain('_count=7');
    expect(nextLink(first)).toContain('_count=7');
    expect(first.entry?.[0]?.fullUrl).toBe(`${central.fhirBaseUrl}/Patient/${first.entry?.[0]?.resource?.id}`);
    const { entries, pages } = await collect('Patient?_count=7&_sort=_lastUpdated');
    const ids = entries.map((e) => e.resource?.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(first.total);
    expect(pages).toBe(Math.ceil((first.total ?? 0) / 7));
  });

  it('applies a default page size when the client sends no _count', async () => {
    const bundle = await json<Bundle>(await api('Observation'));
    expect(bundle.total).toBeGreaterThan(50);
    expect(bundle.entry).toHaveLength(50);
    expect(nextLink(bundle)).toBeDefined();
  });

  it('caps _count and rejects a bad one', async () => {
    const capped = await json<Bundle>(await api('Observation?_count=100000'));
    expect(capped.entry?.length).toBeLessThanOrEqual(1000);
    expect((await api('Patient?_count=lots')).status).toBe(400);
  });
});

describe('create', () => {
  it('answers 201 with Location, ETag and Last-Modified, and replaces client-sent meta', async () => {
    const patient = {
      ...newPatient('contract-create-1'),
      meta: {
        versionId: '99',
        lastUpdated: '2001-01-01T00:00:00Z',
        source: 'http://client.example',
        tag: [{ system: 'urn:test', code: 'kept' }],
      },
    };
    const { response, body } = await create(patient);
    expect(response.status).toBe(201);
    const versionId = body.meta?.versionId ?? '';
    expect(versionId).toMatch(UUID);
    expect(versionId).not.toBe('99');
    expect(body.meta?.lastUpdated).not.toBe('2001-01-01T00:00:00Z');
    expect(Date.now() - Date.parse(body.meta?.lastUpdated ?? '')).toBeLessThan(60_000);
    expect(body.meta?.source).toBeUndefined();
    expect(body.meta?.tag).toEqual([{ system: 'urn:test', code: 'kept' }]);
    expect(response.headers.get('location')).toBe(
      `${central.fhirBaseUrl}/Patient/contract-create-1/_history/${versionId}`,
    );
    expect(response.headers.get('etag')).toBe(`W/"${versionId}"`);
    expect(Date.parse(response.headers.get('last-modified') ?? '')).toBe(
      Math.floor(Date.parse(body.meta?.lastUpdated ?? '') / 1000) * 1000,
    );

    const read = await api('Patient/contract-create-1');
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe(`W/"${versionId}"`);
    expect(read.headers.get('last-modified')).toBe(response.headers.get('last-modified'));
  });

  it('answers 201 with Location for an update that creates (client-assigned id)', async () => {
    const response = await api('Patient/contract-put-create', {
      method: 'PUT',
      body: JSON.stringify(newPatient('contract-put-create')),
    });
    expect(response.status).toBe(201);
    const body = await json(response);
    expect(response.headers.get('location')).toBe(
      `${central.fhirBaseUrl}/Patient/contract-put-create/_history/${body.meta?.versionId}`,
    );
  });

  it('rejects a resource that fails the schema, a mismatched type and bad JSON, storing nothing', async () => {
    const bad = { ...newPatient('contract-invalid'), birthDate: 'yesterday' };
    const invalid = await create(bad);
    expect(invalid.response.status).toBe(400);
    expect(invalid.body.resourceType).toBe('OperationOutcome');
    expect((await api('Patient/contract-invalid')).status).toBe(404);

    const mismatched = await api('Patient', {
      method: 'POST',
      body: JSON.stringify({ resourceType: 'Observation', status: 'final' }),
    });
    expect(mismatched.status).toBe(400);
    const notJson = await api('Patient', { method: 'POST', body: '{"resourceType": "Patient",' });
    expect(notJson.status).toBe(400);
  });

  it('validates types it does not cache with the FHIR definitions (AuditEvent)', async () => {
    const bad = await create({ resourceType: 'AuditEvent', recorded: 'not a date' } as unknown as Resource);
    expect(bad.response.status).toBe(400);
    const good = await create({
      resourceType: 'AuditEvent',
      type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110110', display: 'Patient Record' },
      recorded: new Date().toISOString(),
      agent: [{ who: { reference: 'Practitioner/prac-0000' }, requestor: true }],
      source: { observer: { display: 'workstation-1' } },
    } as Resource);
    expect(good.response.status).toBe(201);
  });
});

describe('update', () => {
  it('updates with a current If-Match and answers 412 for a stale one, changing nothing', async () => {
    const { body: created } = await create(newPatient('contract-update'));
    const v1 = created.meta?.versionId ?? '';
    const updated = await api('Patient/contract-update', {
      method: 'PUT',
      headers: { 'if-match': `W/"${v1}"` },
      body: JSON.stringify({ ...created, gender: 'female' }),
    });
    expect(updated.status).toBe(200);
    const v2 = (await json(updated)).meta?.versionId ?? '';
    expect(v2).toMatch(UUID);
    expect(v2).not.toBe(v1);
    expect(updated.headers.get('etag')).toBe(`W/"${v2}"`);

    const stale = await api('Patient/contract-update', {
      method: 'PUT',
      headers: { 'if-match': `W/"${v1}"` },
      body: JSON.stringify({ ...created, gender: 'male' }),
    });
    expect(stale.status).toBe(412);
    const current = await json<Patient>(await api('Patient/contract-update'));
    expect(current.gender).toBe('female');
    expect(current.meta?.versionId).toBe(v2);

    const vread = await api(`Patient/contract-update/_history/${v1}`);
    expect(vread.status).toBe(200);
    expect(vread.headers.get('etag')).toBe(`W/"${v1}"`);
  });
});

describe('delete', () => {
  it('answers 410 Gone after delete, drops it from search, keeps it in history', async () => {
    const since = new Date(Date.now() - 1).toISOString();
    const { body: created } = await create(newPatient('contract-delete', 'Deletedfamily'));
    const deleted = await api('Patient/contract-delete', { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect((await api('Patient/contract-delete')).status).toBe(410);
    expect((await json<Bundle>(await api('Patient?family=Deletedfamily'))).total).toBe(0);
    expect((await api('Patient/contract-delete', { method: 'DELETE' })).status).toBe(200);
    expect((await api('Patient/contract-never-existed')).status).toBe(404);

    const updateDeleted = await api('Patient/contract-delete', {
      method: 'PUT',
      headers: { 'if-match': `W/"${created.meta?.versionId}"` },
      body: JSON.stringify(created),
    });
    expect(updateDeleted.status).toBe(412);

    // The delete is visible to an incremental pull.
    const history = await json<Bundle>(await api(`Patient/_history?_since=${encodeURIComponent(since)}`));
    const mine = history.entry?.filter((e) => e.fullUrl === `${central.fhirBaseUrl}/Patient/contract-delete`) ?? [];
    expect(mine.map((e) => e.request?.method)).toEqual(['DELETE', 'POST']);
    expect(mine[0]?.resource).toBeUndefined();
    expect(mine[0]?.response?.status).toMatch(/^410/);
    expect(mine[1]?.resource?.meta?.versionId).toBe(created.meta?.versionId);

    // Instance history: newest first, the same order on every call.
    const a = await json<Bundle>(await api('Patient/contract-delete/_history'));
    const b = await json<Bundle>(await api('Patient/contract-delete/_history'));
    expect(a.entry?.map((e) => e.request?.method)).toEqual(['DELETE', 'POST']);
    expect(b.entry?.map((e) => e.response?.etag)).toEqual(a.entry?.map((e) => e.response?.etag));
  });
});

describe('history', () => {
  it('type-level _history with _since returns exactly the versions written since, newest first', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const since = new Date().toISOString();
    const { body: one } = await create(newPatient('contract-history-1'));
    const { body: two } = await create(newPatient('contract-history-2'));
    const twoUpdated = await json(
      await api('Patient/contract-history-2', { method: 'PUT', body: JSON.stringify({ ...two, gender: 'male' }) }),
    );
    await create({
      ...clinic.resources.find((r) => r.resourceType === 'Observation')!,
      id: 'contract-history-obs',
    } as Resource);

    const bundle = await json<Bundle>(await api(`Patient/_history?_since=${encodeURIComponent(since)}`));
    expect(bundle.type).toBe('history');
    expect(bundle.entry?.map((e) => e.response?.etag)).toEqual([
      `W/"${twoUpdated.meta?.versionId}"`,
      `W/"${two.meta?.versionId}"`,
      `W/"${one.meta?.versionId}"`,
    ]);
    expect(bundle.entry?.map((e) => e.request?.method)).toEqual(['PUT', 'POST', 'POST']);
    for (const entry of bundle.entry ?? []) expect(entry.resource?.resourceType).toBe('Patient');

    const system = await json<Bundle>(await api(`_history?_since=${encodeURIComponent(since)}`));
    expect(system.entry?.map((e) => e.resource?.resourceType).sort()).toEqual([
      'Observation',
      'Patient',
      'Patient',
      'Patient',
    ]);
  });

  it('includes seeded versions when _since reaches back, and rejects a bad _since', async () => {
    const all = await json<Bundle>(await api('Practitioner/_history?_since=1900-01-01T00:00:00Z&_count=1000'));
    expect(all.total).toBe(clinic.staff.length);
    for (const entry of all.entry ?? []) expect(parseFhirResource(entry.resource).success).toBe(true);
    expect((await api('Patient/_history?_since=yesterday')).status).toBe(400);
  });

  it('pages history by cursor; writes between pages neither repeat nor skip entries', async () => {
    const since = '1900-01-01T00:00:00Z';
    const firstPage = await json<Bundle>(await api(`Condition/_history?_since=${since}&_count=10`));
    const expected = firstPage.total ?? 0;
    expect(expected).toBeGreaterThan(10);
    // A write after the first page must not shift the later pages.
    await create({
      ...clinic.resources.find((r) => r.resourceType === 'Condition')!,
      id: 'contract-history-cond',
    } as Resource);
    const seen = [...(firstPage.entry ?? [])];
    const rest = nextLink(firstPage);
    if (rest) seen.push(...(await collect(rest)).entries);
    const keys = seen.map((e) => e.response?.etag);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(expected);
  });

  it('finds changes by _lastUpdated search (versions sharing a millisecond included)', async () => {
    const since = new Date(Date.now() - 1).toISOString();
    const ids = Array.from({ length: 12 }, (_, i) => `contract-burst-${i}`);
    await Promise.all(ids.map((id) => create(newPatient(id, 'Burstfamily'))));
    const { entries } = await collect(
      `Patient?_lastUpdated=ge${encodeURIComponent(since)}&family=Burstfamily&_count=5`,
    );
    expect(entries.map((e) => e.resource?.id).sort()).toEqual([...ids].sort());
  });
});
