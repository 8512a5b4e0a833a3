/**
 * The Group-scoped pull through FHIR Bulk Data's Group export (issue 15) against dev central
 * serving `Group/<id>/$export` over real HTTP into a real vault: the first pull is one export of
 * every member (no patient search), holding exactly what the searches would; the next exports
 * only what changed (`_since`), and a patient added to the Group is searched whole; an export
 * central refuses leaves the round to the searches, saying why.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLINIC_PANEL_GROUP } from '../../dev/central/central.ts';
import type { FaultHandle } from '../../dev/central/faults.ts';
import { readResource } from '../../src-main/records/repository.ts';
import { PULLED_TYPES, pullAll, type PullOptions } from '../../src-main/sync/pull.ts';
import type { Vault } from '../../src-main/vault/vault.ts';
import { CacheScope } from '../../src-shared/policy/schema.ts';
import { fhirFetch, type Central } from '../support/central.ts';
import { startSignedInSync, type SignedInSync } from '../support/sync-fixture.ts';

let sync: SignedInSync;
let central: Central;
let token: string;
let vault: Vault;
let close: () => Promise<void>;
const scope = CacheScope.parse({ kind: 'group', group: CLINIC_PANEL_GROUP });

beforeAll(async () => {
  sync = await startSignedInSync({ central: { patients: 24, seed: 61, bulkExport: true }, user: 'nurse1' });
  ({ central, token } = sync);
});
afterAll(() => sync?.close());
beforeEach(async () => {
  ({ vault, close } = await sync.openTempVault({ prefix: 'clinic-bulk-export-' }));
});
afterEach(() => close());

// Pages of 7: a search fallback would page too.
const options = (extra: Partial<PullOptions> = {}): PullOptions =>
  sync.pullOptions(vault.db, { pageSize: 7, scope, sleep: async () => undefined, ...extra });

/** Counts the requests matching a pattern without changing them (a zero-latency fault). */
function counting(path: RegExp): FaultHandle {
  return central.faults.inject({ kind: 'latency', ms: 0, path, times: Infinity });
}

interface Group {
  resourceType: 'Group';
  id: string;
  member?: { entity: { reference: string } }[];
  [key: string]: unknown;
}
const readGroup = async () => (await (await fhirFetch(central, token, `Group/${CLINIC_PANEL_GROUP}`)).json()) as Group;

/** What the cache holds: type/id@version, sorted. */
const held = () =>
  (
    vault.db.prepare('SELECT type, id, version_id FROM resources ORDER BY type, id').all() as {
      type: string;
      id: string;
      version_id: string;
    }[]
  ).map((r) => `${r.type}/${r.id}@${r.version_id}`);

describe('Group-scoped pull through Bulk Data export', () => {
  it('brings every member in one export, exactly what the patient searches bring, with no patient search', async () => {
    const searches = counting(/\/(Observation|Patient|Condition)\?/);
    const kickOffs = central.bulkExport!.kickOffs;
    let exported: string[];
    try {
      const results = await pullAll(options());
      for (const type of PULLED_TYPES) expect(results[type].failed, type).toBeNull();
      expect(central.bulkExport!.kickOffs).toBe(kickOffs + 1);
      expect(searches.hits, 'no patient search').toBe(0);
      exported = held();
    } finally {
      searches.remove();
    }
    // The same cache, pulled by searches.
    await close();
    ({ vault, close } = await sync.openTempVault({ prefix: 'clinic-bulk-export-' }));
    await pullAll(options({ bulkExport: false }));
    expect(exported).toEqual(held());
    expect(exported.length).toBeGreaterThan(20);
  });

  it('then exports only what changed, and searches a patient new to the Group whole', async () => {
    const original = await readGroup();
    try {
      await pullAll(options());
      const [member] = original.member!.map((m) => m.entity.reference.slice('Patient/'.length));
      const observation = vault.db
        .prepare(`SELECT json FROM resources WHERE type = 'Observation' AND patient_id = ? LIMIT 1`)
        .pluck()
        .get(member) as string;
      const changed = { ...JSON.parse(observation), note: [{ text: 'Synthetic: central edit' }] };
      expect(
        (await fhirFetch(central, token, `Observation/${changed.id}`, { method: 'PUT', body: JSON.stringify(changed) }))
          .status,
      ).toBe(200);
      const memberIds = new Set(original.member!.map((m) => m.entity.reference));
      const outsider = (
        (await (await fhirFetch(central, token, 'Patient?_count=100&_elements=id')).json()) as {
          entry: { resource: { id: string } }[];
        }
      ).entry
        .map((e) => e.resource.id)
        .find((id) => !memberIds.has(`Patient/${id}`))!;
      await fhirFetch(central, token, `Group/${original.id}`, {
        method: 'PUT',
        body: JSON.stringify({
          ...original,
          member: [...original.member!, { entity: { reference: `Patient/${outsider}` } }],
        }),
      });

      const kickOff = counting(/\/Group\/[^/]+\/\$export\?.*_since=/);
      const newcomer = counting(new RegExp(`patient=${outsider}(&|$)`));
      try {
        const results = await pullAll(options());
        for (const type of PULLED_TYPES) expect(results[type].failed, type).toBeNull();
        expect(kickOff.hits, 'one export since the last').toBe(1);
        expect(newcomer.hits, 'the newcomer searched').toBeGreaterThan(0);
      } finally {
        kickOff.remove();
        newcomer.remove();
      }
      expect((readResource(vault.db, 'Observation', changed.id) as { note?: { text: string }[] }).note?.[0]?.text).toBe(
        'Synthetic: central edit',
      );
      expect(readResource(vault.db, 'Patient', outsider)).not.toBeNull();
      const records = await (await fhirFetch(central, token, `Observation?patient=${outsider}&_summary=count`)).json();
      expect(
        vault.db
          .prepare(`SELECT count(*) FROM resources WHERE type = 'Observation' AND patient_id = ?`)
          .pluck()
          .get(outsider),
      ).toBe((records as { total: number }).total);
    } finally {
      await fhirFetch(central, token, `Group/${original.id}`, { method: 'PUT', body: JSON.stringify(original) });
    }
  });

  it('an export central refuses leaves the round to the patient searches, and says why', async () => {
    const refused = central.faults.inject({ kind: 'status', status: 400, path: /\/\$export\?/, times: 1 });
    try {
      const results = await pullAll(options());
      for (const type of PULLED_TYPES) expect(results[type].failed, type).toBeNull();
    } finally {
      refused.remove();
    }
    const problems = vault.db
      .prepare(`SELECT problem FROM sync_diagnostics WHERE resource_type = 'export:Group'`)
      .pluck()
      .all() as string[];
    expect(problems).toEqual([expect.stringContaining('HTTP 400')]);
    const fellBack = held();
    await close();
    ({ vault, close } = await sync.openTempVault({ prefix: 'clinic-bulk-export-' }));
    await pullAll(options({ bulkExport: false }));
    expect(fellBack).toEqual(held());
  });
});
