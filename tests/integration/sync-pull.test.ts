/**
 * The sync engine's pull against dev central over real HTTP with a real token, into a real vault:
 * a first pull of the clinic, incremental pulls from the server's own lastUpdated, invalid
 * resources reported without stopping the rest, and the retry rules (503, 429 with Retry-After,
 * no retry on 404, HTTPS only).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countResources, searchPatients } from '../../src-main/records/repository.ts';
import { SyncHttpError } from '../../src-main/sync/http.ts';
import { DEFAULT_PAGE_LIMITS, PULLED_TYPES, pullAll, pullType, type PullOptions } from '../../src-main/sync/pull.ts';
import { startPageReader } from '../../src-main/sync/page-reader.ts';
import type { Vault } from '../../src-main/vault/vault.ts';
import { fhirFetch, type Central } from '../support/central.ts';
import { startSignedInSync, type SignedInSync } from '../support/sync-fixture.ts';

let sync: SignedInSync;
let central: Central;
let token: string;
let vault: Vault;
let close: () => Promise<void>;
const sleeps: number[] = [];

beforeAll(async () => {
  sync = await startSignedInSync({ central: { patients: 12, seed: 17 }, user: 'nurse1' });
  ({ central, token } = sync);
});
afterAll(async () => {
  await sync?.close();
});
beforeEach(async () => {
  ({ vault, close } = await sync.openTempVault({ prefix: 'clinic-sync-pull-' }));
  sleeps.length = 0;
});
afterEach(() => close());

const options = (extra: Partial<PullOptions> = {}): PullOptions =>
  sync.pullOptions(vault.db, {
    pageSize: 25,
    // Delays are recorded, not waited: the rules are what is under test.
    sleep: async (ms) => void sleeps.push(ms),
    ...extra,
  });

async function serverTotal(type: string): Promise<number> {
  const response = await fhirFetch(central, token, `${type}?_summary=count`);
  return ((await response.json()) as { total: number }).total;
}

describe('sync pull', () => {
  it('pulls the whole clinic, validated, paged; pulling again stores nothing new', async () => {
    const first = await pullAll(options());
    let total = 0;
    for (const type of PULLED_TYPES) {
      const expected = await serverTotal(type);
      expect(first[type].stored, type).toBe(expected);
      expect(first[type].rejected, type).toBe(0);
      total += expected;
    }
    expect(first.Observation.pages).toBeGreaterThan(1);
    expect(countResources(vault.db)).toBe(total);
    // Pulled patients are searchable like any others (the search columns are filled on store).
    const someone = (
      (await (await fhirFetch(central, token, 'Patient?_count=1')).json()) as {
        entry: { resource: { identifier: { value: string }[] } }[];
      }
    ).entry[0]!.resource;
    const mrn = someone.identifier[0]!.value;
    expect(searchPatients(vault.db, mrn, 5).map((p) => p.mrn)).toContain(mrn);

    // The first pull's bulk settings are undone: WAL again, the vault's own page cache.
    expect(vault.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(vault.db.pragma('cache_size', { simple: true })).toBe(-262144);
    const again = await pullAll(options());
    for (const type of PULLED_TYPES) expect(again[type].stored, type).toBe(0);
  });

  it('reads the pages in a worker thread with the same outcome, and reports its failures as the thread would', async () => {
    const result = await pullAll(options({ inWorker: true, types: ['Patient', 'Observation'] }));
    expect(result.Observation.stored).toBe(await serverTotal('Observation'));
    expect(result.Observation.pages).toBeGreaterThan(1);
    expect(result.Patient.stored).toBe(await serverTotal('Patient'));
    const refused = await pullAll(options({ inWorker: true, accessToken: 'not-a-token', types: ['Condition'] })).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(SyncHttpError);
    expect((refused as SyncHttpError).status).toBe(401);
    central.faults.inject({ kind: 'invalid-resource', method: 'GET', path: /\/Condition\?/, times: 1 });
    const withInvalid = await pullType(options(), 'Condition', startPageReader(DEFAULT_PAGE_LIMITS));
    expect(withInvalid.rejected).toBe(1);
  });

  it("takes changes from the server's own lastUpdated: the cursor is the server's, never the local clock", async () => {
    await pullType(options(), 'Condition');
    const [condition] = (
      (await (await fhirFetch(central, token, 'Condition?_count=1')).json()) as {
        entry: { resource: Record<string, unknown> }[];
      }
    ).entry.map((e) => e.resource);
    const updated = { ...condition, note: [{ text: 'Reviewed at the follow-up visit.' }] };
    const put = await fhirFetch(central, token, `Condition/${condition!['id'] as string}`, {
      method: 'PUT',
      body: JSON.stringify(updated),
    });
    expect(put.status).toBe(200);
    const saved = (await put.json()) as { meta: { versionId: string; lastUpdated: string } };

    // A local clock far in the past or future changes nothing.
    const result = await pullType(options({ clock: { now: () => 0 } }), 'Condition');
    expect(result.stored).toBe(1);
    const row = vault.db
      .prepare('SELECT version_id FROM resources WHERE type = ? AND id = ?')
      .get('Condition', condition!['id']) as { version_id: string };
    expect(row.version_id).toBe(saved.meta.versionId);
    const cursor = vault.db
      .prepare(`SELECT last_updated FROM sync_cursors WHERE resource_type = 'Condition'`)
      .pluck()
      .get() as string;
    expect(Date.parse(cursor)).toBe(Date.parse(saved.meta.lastUpdated));
  });

  it('misses nothing written while it pages, also from a server that holds its results (HAPI _getpages)', async () => {
    const overlapMs = 100;
    await pullType(options(), 'Condition');
    const conditions = (
      (await (await fhirFetch(central, token, 'Condition?_count=2')).json()) as {
        entry: { resource: Record<string, unknown> }[];
      }
    ).entry.map((e) => e.resource);
    const put = async (resource: Record<string, unknown>) => {
      const response = await fhirFetch(central, token, `Condition/${resource['id'] as string}`, {
        method: 'PUT',
        body: JSON.stringify({ ...resource, meta: undefined }),
      });
      expect(response.status).toBeLessThan(300);
      await response.body?.cancel();
    };
    // Two changes for the next pull, read one per page.
    for (const condition of conditions) await put({ ...condition, note: [{ text: 'Seen again.' }] });
    const [first, held] = conditions as [Record<string, unknown>, Record<string, unknown>];
    const late = { ...first, id: 'cond-written-while-paging' };
    let hooked = false;
    // Real HTTP; between the first page and the second, central changes: a new condition, then
    // (well past the overlap) one the search found is updated again.
    const whilePaging: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!hooked && String(input).includes('/Condition?')) {
        hooked = true;
        await put(late);
        await new Promise((resolve) => setTimeout(resolve, overlapMs * 3));
        await put({ ...held, note: [{ text: 'Seen a third time.' }] });
      }
      return response;
    };
    await pullType(options({ pageSize: 1, overlapMs, fetch: whilePaging }), 'Condition');
    expect(hooked).toBe(true);
    await pullType(options({ overlapMs }), 'Condition');
    const stored = vault.db
      .prepare('SELECT count(*) FROM resources WHERE type = ? AND id = ?')
      .pluck()
      .get('Condition', late.id);
    expect(stored).toBe(1);
  });

  it('misses nothing when central deletes a resource it already sent while it pages (offset paging shifts)', async () => {
    const idsAtCentral = async () =>
      (
        (await (await fhirFetch(central, token, 'Condition?_count=1000&_elements=id')).json()) as {
          entry: { resource: { id: string } }[];
        }
      ).entry.map((e) => e.resource.id);
    const before = await idsAtCentral();
    let deleted: string | null = null;
    // Between the first page and the second, central deletes one of the first page's conditions:
    // a server paging by offset then starts the second page one resource later than it meant to.
    const whilePaging: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (deleted === null && String(input).includes('/Condition?')) {
        const page = (await response.clone().json()) as { entry: { resource: { id: string } }[] };
        deleted = page.entry[0]!.resource.id;
        const gone = await fhirFetch(central, token, `Condition/${deleted}`, { method: 'DELETE' });
        expect(gone.status).toBeLessThan(300);
        await gone.body?.cancel();
      }
      return response;
    };
    await pullType(options({ pageSize: 3, fetch: whilePaging }), 'Condition');
    expect(deleted).not.toBeNull();
    const stored = new Set(
      vault.db.prepare("SELECT id FROM resources WHERE type = 'Condition'").pluck().all() as string[],
    );
    const missing = before.filter((id) => id !== deleted && !stored.has(id));
    expect(missing).toEqual([]);
  });

  it('sees a change made right after a pull that asked the very same search (HAPI reuses searches for a minute)', async () => {
    await pullType(options(), 'Condition');
    // Nothing new: the cursor stays, and the next pull asks exactly the same search.
    expect((await pullType(options(), 'Condition')).stored).toBe(0);
    const [condition] = (
      (await (await fhirFetch(central, token, 'Condition?_count=1')).json()) as {
        entry: { resource: Record<string, unknown> }[];
      }
    ).entry.map((e) => e.resource);
    const put = await fhirFetch(central, token, `Condition/${condition!['id'] as string}`, {
      method: 'PUT',
      body: JSON.stringify({ ...condition, meta: undefined, note: [{ text: 'Changed just after a pull.' }] }),
    });
    expect(put.status).toBe(200);
    await put.body?.cancel();
    expect((await pullType(options(), 'Condition')).stored).toBe(1);
  });

  it("applies deletes from the server's history, once", async () => {
    await pullAll(options({ types: ['Patient', 'Condition'] }));
    const first = async (type: string) =>
      (
        (await (await fhirFetch(central, token, `${type}?_count=1`)).json()) as {
          entry: { resource: { id: string; identifier?: { value: string }[] } }[];
        }
      ).entry[0]!.resource;
    const condition = await first('Condition');
    const patient = await first('Patient');
    for (const path of [`Condition/${condition.id}`, `Patient/${patient.id}`])
      expect((await fhirFetch(central, token, path, { method: 'DELETE' })).status).toBe(200);

    const result = await pullAll(options({ types: ['Patient', 'Condition'] }));
    expect(result.Condition.deleted).toBe(1);
    expect(result.Patient.deleted).toBe(1);
    const has = (type: string, id: string) =>
      vault.db.prepare('SELECT count(*) AS n FROM resources WHERE type = ? AND id = ?').get(type, id) as { n: number };
    expect(has('Condition', condition.id)).toEqual({ n: 0 });
    expect(has('Patient', patient.id)).toEqual({ n: 0 });
    expect(searchPatients(vault.db, patient.identifier![0]!.value, 5)).toEqual([]);
    const again = await pullAll(options({ types: ['Patient', 'Condition'] }));
    expect(again.Condition.deleted + again.Patient.deleted).toBe(0);
  });

  it('reports an invalid resource in diagnostics (type and rule, no content) and stores the rest', async () => {
    central.faults.inject({ kind: 'invalid-resource', method: 'GET', path: /\/Patient\?/, times: 1 });
    const result = await pullType(options(), 'Patient');
    expect(result.rejected).toBe(1);
    expect(result.stored).toBe((await serverTotal('Patient')) - 1);
    const diagnostics = vault.db.prepare('SELECT resource_type, resource_id, problem FROM sync_diagnostics').all() as {
      resource_type: string;
      resource_id: string | null;
      problem: string;
    }[];
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ resource_type: 'Patient', resource_id: null });
    expect(diagnostics[0]!.problem).toMatch(/id|birthDate|lastUpdated/);
  });

  it('retries 503 and 429 (honouring Retry-After), never a 404, and refuses plain HTTP beyond this machine', async () => {
    central.faults.inject({ kind: 'status', status: 503, method: 'GET', path: /\/Practitioner\?/, times: 2 });
    central.faults.inject({
      kind: 'rate-limit',
      retryAfterSeconds: 3,
      method: 'GET',
      path: /\/Practitioner\?/,
      times: 1,
    });
    const result = await pullType(options(), 'Practitioner');
    expect(result.stored).toBe(await serverTotal('Practitioner'));
    expect(sleeps).toHaveLength(3);
    expect(sleeps[2]).toBe(3000);

    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const missing = await pullType(
      options({ fhirBaseUrl: `${central.fhirBaseUrl}/nowhere`, fetch: counting }),
      'Patient',
    );
    // A refusal of one search stops that type alone (recorded), never asked again in the round.
    expect(missing.failed).toMatch(/HTTP 404/);
    expect(missing.stored).toBe(0);
    expect(calls).toBe(1);

    const insecure = await pullType(options({ fhirBaseUrl: 'http://fhir.clinic.example/R4' }), 'Patient').catch(
      (e: unknown) => e,
    );
    expect((insecure as SyncHttpError).reason).toBe('insecure-transport');
  });
});
