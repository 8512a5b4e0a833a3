/**
 * The scoped delete sweep (sync/scope-deletes.ts) against a central that lists ids wrongly, into
 * a real vault: a record missing from the list is read by itself and removed only on a 404; a
 * list cut short by the page limit, or refused, removes nothing and says why.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { readResource, storeResources } from '../../src-main/records/repository.ts';
import { DEFAULT_PAGE_LIMITS, type PullOptions } from '../../src-main/sync/pull.ts';
import { SWEEP_INTERVAL_MS, sweepScopedDeletes } from '../../src-main/sync/scope-deletes.ts';
import type { Vault } from '../../src-main/vault/vault.ts';
import { openTempVault } from '../support/vault-fixture.ts';

const BASE = 'http://127.0.0.1:9/fhir';
const observation = (id: string, patient: string) => ({
  resourceType: 'Observation',
  id,
  meta: { versionId: '1', lastUpdated: '2026-01-01T00:00:00Z' },
  status: 'final',
  code: { text: 'Heart rate' },
  subject: { reference: `Patient/${patient}` },
  valueQuantity: { value: 70, unit: '/min' },
});

let vault: Vault;
let close: () => Promise<void>;
beforeEach(async () => {
  ({ vault, close } = await openTempVault({ prefix: 'clinic-sweep-' }));
  storeResources(vault.db, [observation('o1', 'p1'), observation('o2', 'p1'), observation('o3', 'p2')]);
});
afterEach(() => close());

/**
 * Central holds `atCentral`; its list answers `listed` (what a shifted page or a buggy server
 * gives), `pages` pages with next links when asked for more. Reads of one record answer from atCentral.
 */
function central(atCentral: Set<string>, listed: readonly string[], options: { status?: number; pages?: number } = {}) {
  const asked: string[] = [];
  const fetch: typeof globalThis.fetch = async (input) => {
    const url = new URL(String(input));
    asked.push(url.pathname + url.search);
    const json = (body: unknown, status = 200) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/fhir+json' } });
    const read = /\/Observation\/([^/]+)$/.exec(url.pathname);
    if (read)
      return atCentral.has(read[1]!)
        ? json(observation(read[1]!, 'p1'))
        : json({ resourceType: 'OperationOutcome' }, 404);
    if (options.status) return json({ resourceType: 'OperationOutcome' }, options.status);
    const offset = Number(url.searchParams.get('_offset') ?? 0);
    const next =
      offset + 1 < (options.pages ?? 1)
        ? [{ relation: 'next', url: `${BASE}/Observation?patient=x&_offset=${offset + 1}` }]
        : [];
    return json({
      resourceType: 'Bundle',
      type: 'searchset',
      link: next,
      entry: offset === 0 ? listed.map((id) => ({ resource: { resourceType: 'Observation', id } })) : [],
    });
  };
  return { asked, fetch };
}

function sweepWith(fetch: typeof globalThis.fetch, now: number, limits = DEFAULT_PAGE_LIMITS) {
  const options: PullOptions & { limits: typeof limits } = {
    db: vault.db,
    fhirBaseUrl: BASE,
    accessToken: 'token',
    allowLoopbackHttp: true,
    fetch,
    retry: { attempts: 1 },
    clock: { now: () => now },
    logger: createMemoryLogger(),
    limits,
  };
  return sweepScopedDeletes(options, 'Observation', ['p1', 'p2']);
}

describe('scoped delete sweep', () => {
  it('removes only what central answers 404 for, when a list missed a record central still has', async () => {
    // o2 is deleted at central; o3 is still there, but the list left it out.
    const server = central(new Set(['o1', 'o3']), ['o1']);
    expect(await sweepWith(server.fetch, 1_000)).toEqual({ deleted: 0 }); // first: marks the time only
    expect(server.asked).toEqual([]);
    expect(await sweepWith(server.fetch, 1_000 + SWEEP_INTERVAL_MS)).toEqual({ deleted: 1 });
    expect(readResource(vault.db, 'Observation', 'o2')).toBeNull();
    expect(readResource(vault.db, 'Observation', 'o3')).not.toBeNull();
    expect(server.asked.filter((a) => /\/Observation\/o[0-9]$/.test(a)).sort()).toEqual([
      '/fhir/Observation/o2',
      '/fhir/Observation/o3',
    ]);
    expect(server.asked[0]).toContain('_elements=id');
  });

  it('removes nothing when the list stops at the page limit or is refused, and records why', async () => {
    await sweepWith(central(new Set(), []).fetch, 0);
    const cut = central(new Set(), [], { pages: 5 });
    expect(await sweepWith(cut.fetch, SWEEP_INTERVAL_MS, { ...DEFAULT_PAGE_LIMITS, maxPages: 2 })).toEqual({
      deleted: 0,
    });
    const refused = central(new Set(), [], { status: 403 });
    expect(await sweepWith(refused.fetch, 2 * SWEEP_INTERVAL_MS)).toEqual({ deleted: 0 });
    for (const id of ['o1', 'o2', 'o3']) expect(readResource(vault.db, 'Observation', id), id).not.toBeNull();
    const problems = vault.db
      .prepare(`SELECT problem FROM sync_diagnostics WHERE resource_type = 'sweep:Observation'`)
      .pluck()
      .all() as string[];
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/more pages/);
  });
});
