/**
 * Shipping the audit trail to dev central's FHIR API over real HTTP with a real token: AuditEvents
 * by their own ids (a retry writes the same resources), break-glass first, marked shipped only
 * when the server took them, nothing lost when it refuses or is down.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadAuditKey } from '../../src-main/audit/key.ts';
import { purgeAuditTrail } from '../../src-main/audit/retention.ts';
import { pendingAuditCount, shipAuditTrail } from '../../src-main/audit/ship.ts';
import { createAuditShipper } from '../../src-main/audit/shipper.ts';
import { systemTimers } from '../../src-main/ports.ts';
import { createAuditTrail, type AuditTrail } from '../../src-main/audit/trail.ts';
import { verifyAuditTrail } from '../../src-main/audit/verify.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import type { Vault } from '../../src-main/vault/vault.ts';
import { fhirFetch, type Central } from '../support/central.ts';
import { keyStore } from '../support/keychain.ts';
import { startSignedInSync, type SignedInSync } from '../support/sync-fixture.ts';

let sync: SignedInSync;
let central: Central;
let token: string;
let dataDir: string;
let vault: Vault;
let close: () => Promise<void>;
let trail: AuditTrail;
let key: Buffer;
const clock = { now: () => Date.now() };
const logger = createMemoryLogger();

beforeAll(async () => {
  sync = await startSignedInSync({ central: { patients: 3 }, user: 'nurse1' });
  ({ central, token } = sync);
});
afterAll(async () => {
  await sync?.close();
});
beforeEach(async () => {
  ({ vault, dataDir, close } = await sync.openTempVault({ prefix: 'clinic-audit-ship-', logger }));
  key = await loadAuditKey(keyStore, dataDir, vault.db);
  trail = createAuditTrail(vault.db, key, clock);
});
afterEach(() => close());

const ship = (extra: Partial<Parameters<typeof shipAuditTrail>[0]> = {}) =>
  shipAuditTrail({
    db: vault.db,
    fhirBaseUrl: central.fhirBaseUrl,
    allowLoopbackHttp: true,
    accessToken: token,
    clock,
    logger,
    batchSize: 10,
    ...extra,
  });

async function serverEvent(id: string): Promise<Record<string, unknown> | null> {
  const response = await fhirFetch(central, token, `AuditEvent/${id}`);
  return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : null;
}

describe('164.312(b) audit retention', () => {
  it('removes only entries that are shipped and past retention, as one run from the oldest; the chain verifies from the MACed anchor', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const old = createAuditTrail(vault.db, key, { now: () => now });
    for (let i = 0; i < 10; i++)
      old.append({
        action: 'patient.search',
        outcome: 'success',
        userId: 'nurse1',
        role: 'nurse',
        detail: 'patients.search',
      });
    await ship(); // entries 1-10 shipped
    for (let i = 0; i < 5; i++)
      old.append({
        action: 'patient.search',
        outcome: 'success',
        userId: 'nurse1',
        role: 'nurse',
        detail: 'patients.search',
      }); // 11-15, not shipped
    now = Date.parse('2026-03-01T00:00:00Z');
    const recent = createAuditTrail(vault.db, key, { now: () => now });
    expect(purgeAuditTrail(vault.db, key, recent, 30, { now: () => now })).toBe(10);
    expect(vault.db.prepare('SELECT min(seq) AS lo, max(seq) AS hi FROM audit_log').get()).toEqual({ lo: 11, hi: 16 });
    expect(vault.db.prepare('SELECT action FROM audit_log WHERE seq = 16').get()).toEqual({ action: 'audit.purge' });
    expect(verifyAuditTrail(vault.db, key)).toMatchObject({ ok: true, checked: 6, lastSeq: 16 });
    // Unshipped entries stay however old; nothing more goes until they are shipped.
    expect(purgeAuditTrail(vault.db, key, recent, 30, { now: () => now })).toBe(0);
    // An anchor moved forward to hide entries is detected.
    vault.db.prepare('UPDATE audit_retention SET through_seq = 12').run();
    expect(verifyAuditTrail(vault.db, key)).toMatchObject({ ok: false, kind: 'removed' });
  });
});

describe('164.312(b) audit shipping', () => {
  it('ships every entry as an AuditEvent by its own id, break-glass first, and marks them shipped', async () => {
    for (let i = 0; i < 23; i++)
      trail.append({
        action: 'patient.read',
        outcome: 'success',
        userId: 'nurse1',
        role: 'nurse',
        patientId: 'pat-000001',
        purposeOfUse: 'TREAT',
        detail: 'patients.open',
      });
    const grant = trail.append({
      action: 'breakGlass.start',
      outcome: 'success',
      userId: 'nurse1',
      role: 'nurse',
      patientId: 'pat-000002',
      purposeOfUse: 'ETREAT',
      grantId: '6f1c1c2e-7d5e-4a53-9d1e-2f0c3a4b5c6d',
      justification: 'Collapsed in the corridor, allergy history needed',
    });
    // One batch only: the break-glass entry goes in it although it is the newest.
    const first = await ship({ maxBatches: 1 });
    expect(first).toMatchObject({ shipped: 10, pending: 14, stoppedBy: null });
    expect(await serverEvent(grant.id)).toMatchObject({
      resourceType: 'AuditEvent',
      id: grant.id,
      type: { code: '110113' },
      subtype: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110127' }],
      purposeOfEvent: [{ coding: [{ code: 'ETREAT' }] }],
      agent: expect.arrayContaining([
        expect.objectContaining({
          requestor: true,
          who: { identifier: { system: 'urn:clinic-workstation:user', value: 'nurse1' } },
        }),
      ]),
      entity: expect.arrayContaining([expect.objectContaining({ what: { reference: 'Patient/pat-000002' } })]),
    });
    expect(await ship()).toMatchObject({ shipped: 14, pending: 0, stoppedBy: null });
    const [read] = trail.entries({ limit: 1, afterSeq: 0 }).filter((e) => e.action === 'patient.read');
    expect(await serverEvent(read!.id)).toMatchObject({
      type: { code: 'rest' },
      subtype: [{ code: 'read' }],
      action: 'R',
      outcome: '0',
    });
    // Nothing shipped twice; the trail itself is untouched and still verifies.
    expect(await ship()).toMatchObject({ shipped: 0, pending: 0 });
    expect(verifyAuditTrail(vault.db, key)).toMatchObject({ ok: true, checked: 24 });
  });

  it('a remote wipe order goes in the first batch too: the wipe may leave no time for the rest', async () => {
    for (let i = 0; i < 23; i++)
      trail.append({
        action: 'patient.search',
        outcome: 'success',
        userId: 'nurse1',
        role: 'nurse',
        detail: 'patients.search',
      });
    const wipe = trail.append({
      action: 'workstation.remoteWipe',
      outcome: 'success',
      userId: null,
      role: null,
      detail: 'task:wipe-1:unsynced-0',
    });
    expect(await ship({ maxBatches: 1 })).toMatchObject({ shipped: 10, pending: 14 });
    expect(await serverEvent(wipe.id)).toMatchObject({
      id: wipe.id,
      subtype: [{ code: 'remote-wipe' }],
      outcomeDesc: expect.stringContaining('remote wipe ordered by IT'),
    });
  });

  it('keeps everything when the server is down or refuses, and finishes later without duplicates', async () => {
    for (let i = 0; i < 5; i++)
      trail.append({
        action: 'patient.search',
        outcome: 'success',
        userId: 'nurse1',
        role: 'nurse',
        detail: 'patients.search',
      });
    expect(await ship({ fhirBaseUrl: 'http://127.0.0.1:9/fhir/R4' })).toMatchObject({
      shipped: 0,
      pending: 5,
      stoppedBy: 'network',
    });
    // Plain HTTP is refused unless policy allows it for development (and never beyond this machine).
    expect(await ship({ allowLoopbackHttp: false })).toMatchObject({
      shipped: 0,
      pending: 5,
      stoppedBy: 'insecure-transport',
    });
    expect(await ship({ fhirBaseUrl: 'http://fhir.clinic.example/R4' })).toMatchObject({
      shipped: 0,
      stoppedBy: 'insecure-transport',
    });
    expect(await ship({ accessToken: 'not-a-token' })).toMatchObject({ shipped: 0, pending: 5, stoppedBy: 'http-401' });
    central.faults.inject({ kind: 'status', status: 503, method: 'POST', path: /^\/fhir\/R4\/?$/, times: 1 });
    expect((await ship()).stoppedBy).toBe('http-503');
    expect(pendingAuditCount(vault.db)).toBe(5);
    expect(await ship()).toMatchObject({ shipped: 5, pending: 0, stoppedBy: null });
    const ids = trail.entries().map((e) => e.id);
    const response = await fhirFetch(central, token, `AuditEvent?_id=${ids.join(',')}&_count=50`);
    expect(((await response.json()) as { entry?: unknown[] }).entry).toHaveLength(5);
  });

  const reads = (n: number) => {
    for (let i = 0; i < n; i++)
      trail.append({
        action: 'patient.read',
        outcome: 'success',
        userId: 'nurse1',
        role: 'nurse',
        patientId: 'pat-000001',
        resourceRefs: ['Patient/pat-000001'],
        purposeOfUse: 'TREAT',
        detail: 'chart.read',
      });
  };
  const versionsOf = async (id: string) =>
    ((await (await fhirFetch(central, token, `AuditEvent/${id}/_history`)).json()) as { entry?: unknown[] }).entry
      ?.length ?? 0;

  it('a batch whose answer was lost is in doubt: not sent again until it settles, then only what central lacks', async () => {
    reads(6);
    let now = Date.now();
    const at = { now: () => now };
    // Central writes the batch; its answer is lost on the way back (the real request, its answer dropped).
    const answerLost: typeof fetch = async (input, init) => {
      await (await fetch(input, init)).arrayBuffer();
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
      });
    };
    expect(await ship({ clock: at, settleMs: 60_000, fetch: answerLost })).toMatchObject({
      shipped: 0,
      pending: 6,
      stoppedBy: 'network',
    });
    const ids = trail.entries().map((e) => e.id);
    expect(await serverEvent(ids[0]!)).not.toBeNull(); // central has them; the workstation cannot know
    // Before it settles nothing goes again: a PUT now would write second versions.
    expect(await ship({ clock: at, settleMs: 60_000 })).toMatchObject({ shipped: 0, pending: 6, stoppedBy: null });
    // Settled: a look at central finds them all; they are marked shipped, nothing is re-sent.
    now += 60_001;
    expect(await ship({ clock: at, settleMs: 60_000 })).toMatchObject({ shipped: 6, pending: 0, stoppedBy: null });
    for (const id of ids) expect(await versionsOf(id)).toBe(1);
  });

  it('an answer cut off after its headers: central is done, so the next round looks at once and re-sends nothing', async () => {
    reads(4);
    central.faults.inject({ kind: 'reset', method: 'POST', path: /^\/fhir\/R4\/?$/, times: 1 });
    expect(await ship({ settleMs: 60_000 })).toMatchObject({ shipped: 0, pending: 4, stoppedBy: 'network' });
    expect(await ship({ settleMs: 60_000 })).toMatchObject({ shipped: 4, pending: 0, stoppedBy: null });
    for (const entry of trail.entries()) expect(await versionsOf(entry.id)).toBe(1);
  });

  it('sizes batches by the backlog within a byte cap, and the background shipper ships a backlog in one round', async () => {
    reads(40);
    const bodies: number[] = [];
    const counting: typeof fetch = (input, init) => {
      if (init?.method === 'POST') bodies.push(Buffer.byteLength(String(init.body)));
      return fetch(input, init);
    };
    // A cap of 8 kB: several requests, none over the cap, everything shipped in one call.
    expect(await ship({ batchSize: 1000, maxBatchBytes: 8_192, fetch: counting })).toMatchObject({
      shipped: 40,
      pending: 0,
    });
    expect(bodies.length).toBeGreaterThan(4);
    expect(Math.max(...bodies)).toBeLessThanOrEqual(8_192 + 100);

    // 2,500 entries: more than the 20 batches of 100 a round used to carry.
    reads(2_500);
    bodies.length = 0;
    const shipper = createAuditShipper({
      db: () => vault.db,
      fhirBaseUrl: central.fhirBaseUrl,
      allowLoopbackHttp: true,
      fetch: counting,
      accessToken: () => token,
      clock,
      timers: systemTimers,
      logger,
      intervalMs: 600_000,
      afterRound: () => roundDone(),
    });
    let roundDone: () => void = () => undefined;
    const round = new Promise<void>((resolve) => (roundDone = resolve));
    shipper.kick();
    await round;
    await shipper.stop();
    expect(pendingAuditCount(vault.db)).toBe(0);
    // A backlog goes in full batches (1,000 entries each), not in a hundred small ones.
    expect(bodies).toHaveLength(3);
  });
});
