/**
 * Retention (policy cache.retentionDays, issue 15) against dev central over real HTTP into a real
 * vault, with the clinic panel Group as scope and a controllable clock: a patient removed from the
 * Group and not opened here leaves the cache once retentionDays have passed since they were last
 * in scope (every resource, the Patient and search rows, the cursors), audited as counts only; a
 * chart opened keeps them until retentionDays after the open; a change not yet on central keeps
 * them whole; with scope "all" nothing is removed.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLINIC_PANEL_GROUP } from '../../dev/central/central.ts';
import { loadAuditKey } from '../../src-main/audit/key.ts';
import { createAuditTrail, type AuditTrail } from '../../src-main/audit/trail.ts';
import { recordChartView } from '../../src-main/records/retention-store.ts';
import { searchPatients } from '../../src-main/records/repository.ts';
import { recordLocalChange } from '../../src-main/sync/outbox.ts';
import { pullAll } from '../../src-main/sync/pull.ts';
import { enforceRetention, startCacheRetention } from '../../src-main/sync/retention.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import type { Vault } from '../../src-main/vault/vault.ts';
import type { FhirResource } from '../../src-shared/fhir/index.ts';
import { CacheScope } from '../../src-shared/policy/schema.ts';
import { fhirFetch, type Central } from '../support/central.ts';
import { FakeTime } from '../support/fake-time.ts';
import { keyStore } from '../support/keychain.ts';
import { startSignedInSync, type SignedInSync } from '../support/sync-fixture.ts';

const DAY = 86_400_000;
const RETENTION_DAYS = 30;
const scope = CacheScope.parse({ kind: 'group', group: CLINIC_PANEL_GROUP });

let now = Date.parse('2026-06-01T08:00:00Z');
const clock = { now: () => now };

let sync: SignedInSync;
let central: Central;
let token: string;
let vault: Vault;
let trail: AuditTrail;
let close: () => Promise<void>;
let original: Group;

interface Group {
  resourceType: 'Group';
  id: string;
  member?: { entity: { reference: string } }[];
  [key: string]: unknown;
}

async function readGroup(): Promise<Group> {
  return (await (await fhirFetch(central, token, `Group/${CLINIC_PANEL_GROUP}`)).json()) as Group;
}
const membersOf = (group: Group) => (group.member ?? []).map((m) => m.entity.reference.slice('Patient/'.length));
async function putGroup(group: Group): Promise<void> {
  const put = await fhirFetch(central, token, `Group/${group.id}`, { method: 'PUT', body: JSON.stringify(group) });
  expect(put.status).toBe(200);
}
/** The Group without these members. */
async function removeFromGroup(ids: readonly string[]): Promise<void> {
  const group = await readGroup();
  await putGroup({ ...group, member: (group.member ?? []).filter((m) => !ids.includes(m.entity.reference.slice(8))) });
}

const pull = (extra: { scope?: CacheScope } = {}) =>
  pullAll(sync.pullOptions(vault.db, { pageSize: 50, scope, clock, ...extra }));
const retain = (extra: { scope?: CacheScope } = {}) =>
  enforceRetention({
    db: vault.db,
    trail,
    scope,
    retentionDays: RETENTION_DAYS,
    clock,
    logger: createMemoryLogger(),
    ...extra,
  });

/** Everything the cache holds that names this patient: resources, search rows, cursors. */
function traces(patientId: string) {
  const count = (sql: string, ...args: unknown[]) =>
    vault.db
      .prepare(sql)
      .pluck()
      .get(...args) as number;
  return {
    resources: count('SELECT count(*) FROM resources WHERE patient_id = ?', patientId),
    patientRow: count('SELECT count(*) FROM patients WHERE id = ?', patientId),
    cursors: count(`SELECT count(*) FROM sync_cursors WHERE resource_type LIKE '%=' || ?`, patientId),
  };
}
const retentionEntries = () =>
  vault.db
    .prepare(`SELECT detail, patient_id, resource_refs FROM audit_log WHERE action = 'cache.retention'`)
    .all() as {
    detail: string;
    patient_id: string | null;
    resource_refs: string | null;
  }[];

beforeAll(async () => {
  sync = await startSignedInSync({ central: { patients: 24, seed: 41 }, user: 'nurse1' });
  ({ central, token } = sync);
  original = await readGroup();
});
afterAll(() => sync?.close());
beforeEach(async () => {
  now = Date.parse('2026-06-01T08:00:00Z');
  const temp = await sync.openTempVault({ prefix: 'clinic-retention-' });
  vault = temp.vault;
  close = temp.close;
  trail = createAuditTrail(vault.db, await loadAuditKey(keyStore, temp.dataDir, vault.db), clock);
});
afterEach(async () => {
  await putGroup(original);
  await close();
});

describe('retention (cache.retentionDays) of patients out of scope', () => {
  it('removes a patient who left the Group, not opened, once retentionDays have passed: counts audited, never ids', async () => {
    const members = membersOf(original);
    await pull();
    const [leaver, stayer] = members;
    const before = traces(leaver!);
    expect(before.resources).toBeGreaterThan(1);
    expect(before.patientRow).toBe(1);
    expect(before.cursors).toBeGreaterThan(0);
    const family = (
      vault.db.prepare(`SELECT json FROM resources WHERE type = 'Patient' AND id = ?`).pluck().get(leaver) as string
    ).match(/"family":"([^"]+)"/)![1]!;

    await removeFromGroup([leaver!]);
    now += DAY;
    await pull();
    // Still within retention since they were last in scope: kept.
    now += (RETENTION_DAYS - 2) * DAY;
    expect(retain()).toEqual({ patientsRemoved: 0, resourcesRemoved: 0, patientsKept: 0 });
    expect(traces(leaver!)).toEqual(before);

    now += 2 * DAY;
    const result = retain();
    expect(result).toEqual({ patientsRemoved: 1, resourcesRemoved: before.resources, patientsKept: 0 });
    expect(traces(leaver!)).toEqual({ resources: 0, patientRow: 0, cursors: 0 });
    expect(searchPatients(vault.db, family, 50).filter((p) => p.id === leaver)).toEqual([]);
    // The one still in the Group keeps everything.
    expect(traces(stayer!).resources).toBeGreaterThan(0);
    const entries = retentionEntries();
    expect(entries).toEqual([
      {
        detail: `patients-removed:1;resources-removed:${before.resources};patients-kept-unsynced:0`,
        patient_id: null,
        resource_refs: null,
      },
    ]);
    expect(JSON.stringify(entries)).not.toContain(leaver!);
    expect(JSON.stringify(entries)).not.toContain(family);
    expect(vault.db.pragma('secure_delete', { simple: true })).toBe(1);
    // Nothing more to do: no further entry.
    expect(retain()).toEqual({ patientsRemoved: 0, resourcesRemoved: 0, patientsKept: 0 });
    expect(retentionEntries()).toHaveLength(1);
  });

  it('keeps a patient whose chart was opened until retentionDays after the open, and pulls them whole if they come back', async () => {
    const [leaver] = membersOf(original);
    await pull();
    const before = traces(leaver!);
    await removeFromGroup([leaver!]);
    await pull();
    now += 20 * DAY;
    recordChartView(vault.db, leaver!, now);
    now += RETENTION_DAYS * DAY - 1;
    expect(retain()!.patientsRemoved).toBe(0);
    expect(traces(leaver!)).toEqual(before);
    now += 2;
    expect(retain()!.patientsRemoved).toBe(1);
    expect(traces(leaver!).resources).toBe(0);

    // Back in the Group: no cursor left, so the next round brings them whole.
    await putGroup(original);
    await pull();
    expect(traces(leaver!)).toEqual(before);
  });

  it('keeps a patient with a change not yet on central whole, and counts them as kept', async () => {
    const [leaver] = membersOf(original);
    await pull();
    const conditions = (await (await fhirFetch(central, token, `Condition?patient=${leaver}&_count=1`)).json()) as {
      entry: { resource: FhirResource & { id: string } }[];
    };
    const condition = conditions.entry[0]!.resource;
    recordLocalChange(
      vault.db,
      { ...condition, note: [{ text: 'Local note, not yet sent.' }] } as FhirResource,
      'nurse1',
      clock,
    );
    const before = traces(leaver!);
    await removeFromGroup([leaver!]);
    await pull();
    now += (RETENTION_DAYS + 5) * DAY;
    expect(retain()).toEqual({ patientsRemoved: 0, resourcesRemoved: 0, patientsKept: 1 });
    expect(traces(leaver!)).toEqual(before);
    expect(retentionEntries().map((e) => e.detail)).toEqual([
      'patients-removed:0;resources-removed:0;patients-kept-unsynced:1',
    ]);
  });

  it('removes nothing with scope "all", nor before any scoped pull read its members', async () => {
    const all = CacheScope.parse({ kind: 'all' });
    await pull({ scope: all });
    const patients = vault.db.prepare('SELECT count(*) FROM resources').pluck().get() as number;
    now += 10 * RETENTION_DAYS * DAY;
    expect(retain({ scope: all })).toBeNull();
    // The policy says group, but no scoped pull has read who is in it yet.
    expect(retain()).toBeNull();
    expect(vault.db.prepare('SELECT count(*) FROM resources').pluck().get()).toBe(patients);
    expect(retentionEntries()).toEqual([]);
  });

  it('runs at start and then daily on the Timers port, until stopped', async () => {
    const time = new FakeTime();
    time.wallOffset = now;
    const [leaver] = membersOf(original);
    await pull();
    await removeFromGroup([leaver!]);
    await pull();
    const before = traces(leaver!);
    const job = startCacheRetention({
      db: () => vault.db,
      trail: () => trail,
      scope,
      retentionDays: RETENTION_DAYS,
      clock: time,
      timers: time,
      logger: createMemoryLogger(),
    });
    time.advance(0);
    expect(traces(leaver!)).toEqual(before);
    expect(time.pending).toBe(1);
    // Daily runs: the one after retentionDays have passed removes them.
    time.advance((RETENTION_DAYS - 1) * DAY);
    expect(traces(leaver!)).toEqual(before);
    time.advance(2 * DAY);
    expect(traces(leaver!).resources).toBe(0);
    expect(retentionEntries()).toHaveLength(1);
    job.stop();
    expect(time.pending).toBe(0);
  });
});
