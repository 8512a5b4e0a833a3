/**
 * Charts on demand (issue 15) through a real core against dev central over real HTTP: a
 * workstation scoped to the clinic panel Group finds, online, a patient it does not hold
 * ("not on this workstation"); opening the chart brings the patient and their care relationships
 * first, then the clinical records only if this user may see them; each step is audited
 * (chart.fetch) beside the open (patient.read); the chart is kept offline, read again online
 * (what central deleted leaves), and retention removes it once cache.retentionDays have passed
 * since it was last opened.
 */
import { describe, expect, it } from 'vitest';
import { CLINIC_PANEL_GROUP } from '../../dev/central/central.ts';
import { generateClinic } from '../../dev/synthetic/clinic.ts';
import type { ChartSections } from '../../src-shared/chart/chart.ts';
import type { OnDemandChart, PatientSummary } from '../../src-shared/ipc/contract.ts';
import { fhirFetch, signIn } from '../support/central.ts';
import { ok, PIN, signedInWithPin, useCoreStand, type Harness } from '../support/core-harness.ts';
import { cacheRows } from '../support/cache-rows.ts';
import { leaveOutPatients } from '../support/workstation.ts';

const CLINIC = { seed: 53, patients: 30 };
const RETENTION_DAYS = 30;
const DAY = 86_400_000;
const PHYSICIAN = 'physician1';

const stand = useCoreStand({ clinic: CLINIC, prefix: 'clinic-on-demand-' });
const clinic = generateClinic(CLINIC);
const practitionerOf = (username: string) => stand.central.users.find((u) => u.username === username)!.practitionerId;

interface Opened {
  patient: PatientSummary;
  access: string;
  sections: ChartSections | null;
  onDemand: OnDemandChart | null;
}

/** Patients outside the panel Group: one this physician cares for, one they do not. */
function outsiders() {
  const physician = practitionerOf(PHYSICIAN);
  const panel = new Set(clinic.patients.filter((p) => p.generalPractitionerId === physician).map((p) => p.id));
  const { mine, others } = stand.cache.split(physician);
  const cared = mine.find((id) => !panel.has(id));
  const stranger = others.find((id) => !panel.has(id));
  expect(cared, 'the clinic has a patient of this physician outside the panel').toBeDefined();
  expect(stranger, 'and one of somebody else').toBeDefined();
  return {
    cared: clinic.patients.find((p) => p.id === cared)!,
    stranger: clinic.patients.find((p) => p.id === stranger)!,
  };
}

/** The cache as a workstation scoped to the panel would hold it: without these patients. */
const withoutPatients = (ids: readonly string[]) => leaveOutPatients(stand.dataDir, ids);

const rows = <T>(sql: string, ...args: unknown[]) => cacheRows<T>(stand.dataDir, sql, ...args);
/** How many resources the cache holds of this patient, their Patient included. */
const heldCount = async (patientId: string) =>
  (
    await rows<{ n: number }>(
      `SELECT count(*) AS n FROM resources WHERE patient_id = ? OR (type = 'Patient' AND id = ?)`,
      patientId,
      patientId,
    )
  )[0]!.n;
const typesHeld = async (patientId: string) =>
  (
    await rows<{ type: string }>(
      `SELECT DISTINCT type FROM resources WHERE patient_id = ? OR (type = 'Patient' AND id = ?) ORDER BY type`,
      patientId,
      patientId,
    )
  ).map((r) => r.type);

async function startScoped(): Promise<Harness> {
  const h = await stand.start({
    lock: { idleSeconds: 3600, warningSeconds: 30 },
    cache: { scope: { kind: 'group', group: CLINIC_PANEL_GROUP }, retentionDays: RETENTION_DAYS },
  });
  await signedInWithPin(h, PHYSICIAN);
  await ok(h, 'sync.now'); // the scoped round reads the panel: who is in scope is known
  return h;
}

describe('charts on demand', () => {
  it('finds a patient not on this workstation at central, and nobody the cache holds', async () => {
    const { cared } = outsiders();
    await withoutPatients([cared.id]);
    const h = await startScoped();

    const local = await ok<{ results: PatientSummary[] }>(h, 'patients.search', { query: cared.family });
    expect(local.results.map((p) => p.id)).not.toContain(cared.id);
    const found = await ok<{ results: PatientSummary[]; more: boolean }>(h, 'patients.searchCentral', {
      query: cared.family,
    });
    expect(found.results).toContainEqual({
      id: cared.id,
      name: cared.displayName,
      mrn: cared.mrn,
      birthDate: cared.birthDate,
      gender: cared.patient.gender,
    });
    // What the cache holds is listed by the local search, not again as "not on this workstation".
    const localIds = new Set(local.results.map((p) => p.id));
    expect(found.results.filter((p) => localIds.has(p.id))).toEqual([]);
    // By MRN and birth date too.
    const byMrn = await ok<{ results: PatientSummary[] }>(h, 'patients.searchCentral', { query: cared.mrn });
    expect(byMrn.results.map((p) => p.id)).toEqual([cared.id]);
    const byBirth = await ok<{ results: PatientSummary[] }>(h, 'patients.searchCentral', { query: cared.birthDate });
    expect(byBirth.results.map((p) => p.id)).toContain(cared.id);
    // Nothing of the search is stored: the chart comes only when it is opened.
    expect(await typesHeld(cared.id)).toEqual([]);
    // Audited as a search, the text withheld.
    const audited = await rows<{ detail: string; action: string }>(
      `SELECT action, detail FROM audit_log WHERE detail LIKE '%patients.searchCentral%'`,
    );
    expect(audited.length).toBe(3);
    expect(JSON.stringify(audited)).not.toContain(cared.family);
  });

  it('refuses a malformed central search with INVALID, asking central nothing', async () => {
    const h = await startScoped();
    const asked = stand.central.faults.inject({ kind: 'latency', ms: 0, path: /\/Patient\?/, times: Infinity });
    try {
      for (const request of [
        { query: '' },
        { query: '   ' },
        { query: 'x'.repeat(101) },
        { query: 'Ana', limit: 5 },
        {},
      ])
        expect(await h.call('patients.searchCentral', request), JSON.stringify(request).slice(0, 40)).toMatchObject({
          ok: false,
          error: { code: 'INVALID' },
        });
      expect(asked.hits).toBe(0);
    } finally {
      asked.remove();
    }
  });

  it('does not ask central when the workstation keeps every patient (cache.scope "all")', async () => {
    const { cared } = outsiders();
    const h = await stand.start({ lock: { idleSeconds: 3600, warningSeconds: 30 } });
    await signedInWithPin(h, PHYSICIAN);
    const asked = stand.central.faults.inject({ kind: 'latency', ms: 0, path: /\/Patient\?/, times: Infinity });
    try {
      expect(await ok(h, 'patients.searchCentral', { query: cared.family })).toEqual({ results: [], more: false });
      expect(asked.hits).toBe(0);
    } finally {
      asked.remove();
    }
  });

  it('opens it online: relationships first, then the clinical chart the care team may see, audited and cached', async () => {
    const { cared } = outsiders();
    await withoutPatients([cared.id]);
    const h = await startScoped();

    const opened = await ok<Opened>(h, 'patients.open', { patientId: cared.id });
    expect(opened.access).toBe('full');
    expect(opened.onDemand).toEqual({ fetchedAt: h.time.now(), current: true });
    const onCentral = (type: string) => cared.resources.filter((r) => r.resourceType === type).length;
    expect(opened.sections!.allergies.length).toBe(onCentral('AllergyIntolerance'));
    // Every resource of the patient came, and nothing else of anyone.
    expect(await heldCount(cared.id)).toBe(cared.resources.length + 1);

    const fetches = await rows<{ user_id: string; patient_id: string; detail: string }>(
      `SELECT user_id, patient_id, detail FROM audit_log WHERE action = 'chart.fetch' ORDER BY seq`,
    );
    expect(fetches.map((f) => [f.user_id, f.patient_id, f.detail.split(';')[0]])).toEqual([
      [PHYSICIAN, cared.id, 'part:relationships'],
      [PHYSICIAN, cared.id, 'part:clinical'],
    ]);
    const read = await rows<{ n: number }>(
      `SELECT count(*) AS n FROM audit_log WHERE action = 'patient.read' AND patient_id = ? AND detail LIKE '%patients.open%'`,
      cared.id,
    );
    expect(read[0]!.n).toBe(1);

    // Opened again within a minute: not read again.
    await ok<Opened>(h, 'patients.open', { patientId: cared.id });
    expect(await rows(`SELECT 1 FROM audit_log WHERE action = 'chart.fetch'`)).toHaveLength(2);
  });

  it('brings no clinical record of a patient this user may not see: the restricted view', async () => {
    const { stranger } = outsiders();
    await withoutPatients([stranger.id]);
    const h = await startScoped();

    const opened = await ok<Opened>(h, 'patients.open', { patientId: stranger.id });
    expect(opened.access).toBe('restricted');
    expect(opened.sections).toBeNull();
    const held = await typesHeld(stranger.id);
    expect(held).toContain('Patient');
    for (const clinical of ['Condition', 'AllergyIntolerance', 'MedicationRequest', 'Observation', 'DocumentReference'])
      expect(held).not.toContain(clinical);
    // chart.read is refused by the router, as for any patient not on the care team.
    expect((await h.call('chart.read', { patientId: stranger.id })).ok).toBe(false);
  });

  it('brings the clinical records at the next open once emergency access is granted', async () => {
    const { stranger } = outsiders();
    await withoutPatients([stranger.id]);
    const h = await startScoped();
    expect((await ok<Opened>(h, 'patients.open', { patientId: stranger.id })).access).toBe('restricted');
    await ok(h, 'breakGlass.request', {
      patientId: stranger.id,
      reason: 'ETREAT',
      justification: 'Synthetic: unresponsive on arrival, no records reachable otherwise.',
      pin: PIN,
    });
    const opened = await ok<Opened>(h, 'patients.open', { patientId: stranger.id });
    expect(opened.access).toBe('full');
    expect(await heldCount(stranger.id)).toBe(stranger.resources.length + 1);
    const fetches = await rows<{ detail: string }>(
      `SELECT detail FROM audit_log WHERE action = 'chart.fetch' AND patient_id = ? ORDER BY seq`,
      stranger.id,
    );
    expect(fetches.map((f) => f.detail.split(';')[0])).toEqual(['part:relationships', 'part:clinical']);
  });

  it('keeps the chart offline as it was read, says so, and reads it again online: what central deleted leaves', async () => {
    const { cared } = outsiders();
    await withoutPatients([cared.id]);
    const h = await startScoped();
    const first = await ok<Opened>(h, 'patients.open', { patientId: cared.id });
    const fetchedAt = first.onDemand!.fetchedAt;

    h.time.advance(2 * 60_000);
    const unreachable = stand.central.faults.inject({ kind: 'unreachable', times: Infinity });
    try {
      const offline = await ok<Opened>(h, 'patients.open', { patientId: cared.id });
      expect(offline.onDemand).toEqual({ fetchedAt, current: false });
      expect(offline.sections).toEqual(first.sections);
    } finally {
      unreachable.remove();
    }

    // Central deletes one of the patient's records: the next read online removes it here.
    const gone = cared.resources.find((r) => r.resourceType === 'Observation');
    expect(gone, 'the patient has an observation on central').toBeDefined();
    const token = (await signIn(stand.central, 'nurse1')).accessToken;
    const ref = `${gone!.resourceType}/${gone!.id}`;
    expect((await fhirFetch(stand.central, token, ref, { method: 'DELETE' })).ok).toBe(true);
    h.time.advance(2 * 60_000);
    const again = await ok<Opened>(h, 'patients.open', { patientId: cared.id });
    expect(again.onDemand).toEqual({ fetchedAt: h.time.now(), current: true });
    expect(await rows(`SELECT 1 FROM resources WHERE type = ? AND id = ?`, gone!.resourceType, gone!.id)).toEqual([]);
  });

  it('never removes a record with a change not yet on central when it reads the chart again', async () => {
    const { cared } = outsiders();
    await withoutPatients([cared.id]);
    const h = await startScoped();
    await ok<Opened>(h, 'patients.open', { patientId: cared.id });
    // Central takes no writes: the vital signs wait in the outbox, and are not on central.
    const refuseWrites = stand.central.faults.inject({ kind: 'status', status: 503, method: 'PUT', times: Infinity });
    try {
      await ok(h, 'chart.recordVitals', { patientId: cared.id, vitals: { heartRate: 71 } });
      const [mine] = await rows<{ resource_id: string }>(`SELECT resource_id FROM sync_outbox`);
      expect(mine, 'the change waits for central').toBeDefined();
      h.time.advance(2 * 60_000);
      const again = await ok<Opened>(h, 'patients.open', { patientId: cared.id });
      expect(again.onDemand?.current).toBe(true);
      expect(
        await rows(`SELECT 1 FROM resources WHERE type = 'Observation' AND id = ?`, mine!.resource_id),
      ).toHaveLength(1);
    } finally {
      refuseWrites.remove();
    }
  });

  it('refuses offline a chart never brought here, rather than show it empty', async () => {
    const { cared } = outsiders();
    await withoutPatients([cared.id]);
    const h = await startScoped();
    const unreachable = stand.central.faults.inject({ kind: 'unreachable', times: Infinity });
    try {
      const refused = await h.call('patients.open', { patientId: cared.id });
      expect(refused).toMatchObject({ ok: false, error: { code: 'OFFLINE' } });
    } finally {
      unreachable.remove();
    }
    expect(await typesHeld(cared.id)).toEqual([]);
  });

  it('is removed by retention once retentionDays have passed since it was last opened', async () => {
    const { cared } = outsiders();
    await withoutPatients([cared.id]);
    const h = await startScoped();
    await ok<Opened>(h, 'patients.open', { patientId: cared.id });
    expect((await typesHeld(cared.id)).length).toBeGreaterThan(1);

    h.time.advance((RETENTION_DAYS - 1) * DAY);
    expect((await typesHeld(cared.id)).length).toBeGreaterThan(1);
    h.time.advance(2 * DAY);
    await expect.poll(() => typesHeld(cared.id)).toEqual([]);
    expect(await rows(`SELECT 1 FROM charts_on_demand WHERE patient_id = ?`, cared.id)).toEqual([]);
    const removed = await rows<{ detail: string; patient_id: string | null }>(
      `SELECT detail, patient_id FROM audit_log WHERE action = 'cache.retention'`,
    );
    expect(removed.at(-1)).toMatchObject({ patient_id: null });
    expect(removed.at(-1)!.detail).toMatch(/patients-removed:[1-9]/);
  });
});
