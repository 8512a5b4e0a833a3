/**
 * Audit entries central refuses one by one (issue 14: a real server validates what it is sent,
 * and may refuse an AuditEvent its profiles do not take). A refused entry is kept, set aside with
 * central's status, and never holds back the entries after it; IT sends the set-aside ones again
 * (`ws audit retry-refused`) once central is fixed. A refusal of the moment (503, 429 for one
 * entry) is not a refusal of the entry: it goes again next round. Real HTTP (a central that
 * answers batches itself), a real encrypted cache and audit key.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadAuditKey } from '../../src-main/audit/key.ts';
import { pendingAuditCount, refusedAuditCount, retryRefusedAudit, shipAuditTrail } from '../../src-main/audit/ship.ts';
import { createAuditTrail, type AuditTrail } from '../../src-main/audit/trail.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import type { Vault } from '../../src-main/vault/vault.ts';
import { startHostileCentral, type HostileCentral } from '../support/hostile-central.ts';
import { keyStore } from '../support/keychain.ts';
import { openTempVault } from '../support/vault-fixture.ts';

let central: HostileCentral;
let vault: Vault;
let dataDir: string;
let close: () => Promise<void>;
let trail: AuditTrail;
const clock = { now: () => Date.now() };

/** What central holds, and how it answers each AuditEvent id of a batch (201 unless told). */
const held = new Set<string>();
const answerFor = new Map<string, string>();
const puts: string[] = [];

beforeAll(async () => {
  central = await startHostileCentral();
  central.serve((request, url, response) => {
    const send = (body: unknown) => {
      response.writeHead(200, { 'content-type': 'application/fhir+json' });
      response.end(JSON.stringify(body));
    };
    if (request.method === 'GET' && url.pathname.endsWith('/AuditEvent')) {
      const ids = (url.searchParams.get('_id') ?? '').split(',').filter((id) => held.has(id));
      return send({ resourceType: 'Bundle', type: 'searchset', entry: ids.map((id) => ({ resource: { id } })) });
    }
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const batch = JSON.parse(body) as { entry: { resource: { id: string } }[] };
      send({
        resourceType: 'Bundle',
        type: 'batch-response',
        entry: batch.entry.map(({ resource }) => {
          puts.push(resource.id);
          const status = answerFor.get(resource.id) ?? '201 Created';
          if (status.startsWith('201')) held.add(resource.id);
          return { response: { status } };
        }),
      });
    });
  });
});
afterAll(() => central.close());
beforeEach(async () => {
  ({ vault, dataDir, close } = await openTempVault({ prefix: 'clinic-audit-refused-' }));
  trail = createAuditTrail(vault.db, await loadAuditKey(keyStore, dataDir, vault.db), clock);
  held.clear();
  answerFor.clear();
  puts.length = 0;
});
afterEach(() => close());

const ship = () =>
  shipAuditTrail({
    db: vault.db,
    fhirBaseUrl: central.fhirBaseUrl,
    allowLoopbackHttp: true,
    accessToken: 'token',
    clock,
    logger: createMemoryLogger(),
    batchSize: 10,
  });

function searches(n: number): string[] {
  for (let i = 0; i < n; i++)
    trail.append({ action: 'patient.search', outcome: 'success', userId: 'nurse1', role: 'nurse', detail: 'search' });
  return trail.entries().map((entry) => entry.id);
}

describe('audit entries central refuses', () => {
  it('keeps a refused entry, sets it aside, and ships every entry after it in the same round', async () => {
    const ids = searches(25);
    answerFor.set(ids[2]!, '400 Bad Request');
    answerFor.set(ids[13]!, '422 Unprocessable Entity');
    expect(await ship()).toMatchObject({ shipped: 23, pending: 2, refused: 2, stoppedBy: null });
    expect(refusedAuditCount(vault.db)).toBe(2);
    // Later rounds do not send them again (each would be refused again, and cost a request).
    puts.length = 0;
    expect(await ship()).toMatchObject({ shipped: 0, pending: 2, refused: 2, stoppedBy: null });
    expect(puts).toEqual([]);
    // Nothing of the trail is lost: every entry is still there, the two unshipped.
    expect(trail.entries()).toHaveLength(25);
    expect(pendingAuditCount(vault.db)).toBe(2);
  });

  it('sends the set-aside entries again when IT asks, once central takes them', async () => {
    const ids = searches(5);
    answerFor.set(ids[1]!, '400 Bad Request');
    await ship();
    answerFor.clear();
    expect(retryRefusedAudit(vault.db)).toBe(1);
    puts.length = 0;
    expect(await ship()).toMatchObject({ shipped: 1, pending: 0, refused: 0 });
    expect(puts).toEqual([ids[1]]);
    expect(retryRefusedAudit(vault.db)).toBe(0);
  });

  it('sends an entry refused for the moment (503, 429) again next round, never setting it aside', async () => {
    const ids = searches(5);
    answerFor.set(ids[0]!, '503 Service Unavailable');
    answerFor.set(ids[3]!, '429 Too Many Requests');
    const first = await ship();
    expect(first).toMatchObject({ shipped: 3, refused: 0 });
    expect(first.stoppedBy).toBe('rejected-entries');
    answerFor.clear();
    expect(await ship()).toMatchObject({ shipped: 2, pending: 0, refused: 0, stoppedBy: null });
    expect(new Set(puts.filter((id) => id === ids[0] || id === ids[3]))).toEqual(new Set([ids[0], ids[3]]));
  });
});
