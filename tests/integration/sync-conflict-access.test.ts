/**
 * Issue 17, "Conflicts outlive access" and "Conflict audit without a patient", through the core as
 * a window uses it: real sign-in at dev central, real vault and keychain, real PINs, real HTTP
 * push meeting central's 412. A conflict made under a break-glass grant is shown and resolved
 * only while access to its patient holds now; each conflict shown or changed is audited with its
 * patient, the grant and the grant's purpose of use.
 */
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src-main/vault/sqlcipher.ts';
import type { ChartSections } from '../../src-shared/chart/chart.ts';
import type { SyncStatus } from '../../src-shared/sync/status.ts';
import { fhirFetch, signIn } from '../support/central.ts';
import { PIN, signedInWithPin, type Harness, useCoreStand } from '../support/core-harness.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';

const CLINIC = { seed: 23, patients: 30 };
const MINUTE = 60_000;
const JUSTIFICATION = 'Unresponsive in the waiting room, needs allergy history now';

const stand = useCoreStand({ clinic: CLINIC, prefix: 'clinic-conflict-access-' });

async function start(): Promise<Harness> {
  return stand.start({
    lock: { idleSeconds: 3600, warningSeconds: 30 },
    breakGlass: { durationMinutes: 15 },
  });
}

async function ok<T>(h: Harness, channel: string, request: unknown = {}): Promise<T> {
  const answer = await h.call<T>(channel, request);
  if (!answer.ok) throw new Error(`${channel}: ${answer.error.code} ${answer.error.message}`);
  return answer.data;
}

interface AuditRow {
  action: string;
  outcome: string;
  patient_id: string | null;
  purpose_of_use: string | null;
  grant_id: string | null;
  detail: string | null;
}

/** A read of the cache beside the running core (a second connection, as `ws status` does). */
async function readCache<T>(read: (db: ReturnType<typeof openDatabase>) => T): Promise<T> {
  const db = openDatabase(path.join(stand.dataDir, 'cache.db'), await keyStore.get(accountsFor(stand.dataDir).current));
  try {
    return read(db);
  } finally {
    db.close();
  }
}

async function auditRows(): Promise<AuditRow[]> {
  return readCache(
    (db) =>
      db
        .prepare('SELECT action, outcome, patient_id, purpose_of_use, grant_id, detail FROM audit_log ORDER BY seq')
        .all() as AuditRow[],
  );
}

const nurse = () => stand.central.users.find((u) => u.username === 'nurse1')!;

/** A patient outside nurse1's care team who has an allergy on central, and that allergy. */
async function restrictedPatientWithAllergy(token: string): Promise<{ patientId: string; allergyId: string }> {
  for (const patientId of stand.cache.split(nurse().practitionerId).others) {
    const bundle = (await (
      await fhirFetch(stand.central, token, `AllergyIntolerance?patient=${patientId}`)
    ).json()) as {
      entry?: { resource: { id: string } }[];
    };
    const allergyId = bundle.entry?.[0]?.resource.id;
    if (allergyId) return { patientId, allergyId };
  }
  throw new Error('no patient outside the care team with an allergy');
}

/** Central's allergy changes under the workstation's feet (another clinician, elsewhere). */
async function changeOnCentral(token: string, allergyId: string): Promise<void> {
  const current = (await (await fhirFetch(stand.central, token, `AllergyIntolerance/${allergyId}`)).json()) as Record<
    string,
    unknown
  >;
  const put = await fhirFetch(stand.central, token, `AllergyIntolerance/${allergyId}`, {
    method: 'PUT',
    body: JSON.stringify({ ...current, criticality: 'high' }),
  });
  expect(put.status).toBeLessThan(300);
}

/**
 * nurse1 opens a patient outside the care team under break-glass, edits an allergy whose central
 * version moved meanwhile, and the push meets a conflict: one open conflict, made under the grant.
 */
async function conflictUnderGrant(h: Harness): Promise<{ patientId: string; allergyId: string; grantId: string }> {
  const token = (await signIn(stand.central, 'nurse2')).accessToken;
  const { patientId, allergyId } = await restrictedPatientWithAllergy(token);
  await signedInWithPin(h, 'nurse1');
  await ok(h, 'sync.now');
  await ok(h, 'breakGlass.request', { patientId, reason: 'ETREAT', justification: JUSTIFICATION, pin: PIN });
  const chart = await ok<ChartSections>(h, 'chart.read', { patientId });
  expect(chart.allergies.some((a) => a.id === allergyId)).toBe(true);
  await changeOnCentral(token, allergyId);
  await ok(h, 'chart.editAllergy', {
    patientId,
    allergyId,
    edit: { criticality: 'low', clinicalStatus: 'inactive', note: 'Synthetic: tolerated a test dose.' },
  });
  expect(await ok<SyncStatus>(h, 'sync.now')).toMatchObject({ conflicts: 1 });
  const grantRow = (await auditRows()).find((r) => r.grant_id !== null && r.patient_id === patientId);
  expect(grantRow).toBeDefined();
  return { patientId, allergyId, grantId: grantRow!.grant_id! };
}

type Json = Record<string, unknown>;

async function searchAll(token: string, query: string): Promise<Json[]> {
  const bundle = (await (await fhirFetch(stand.central, token, query)).json()) as { entry?: { resource: Json }[] };
  return (bundle.entry ?? []).map((e) => e.resource);
}

async function put(token: string, resource: Json): Promise<void> {
  const answer = await fhirFetch(stand.central, token, `${String(resource.resourceType)}/${String(resource.id)}`, {
    method: 'PUT',
    body: JSON.stringify(resource),
  });
  expect(answer.status, `PUT ${String(resource.resourceType)}`).toBeLessThan(300);
}

/**
 * At central, the practitioner leaves the patient's care: off every CareTeam and Encounter of the
 * patient and no longer their general practitioner (as a clinic's EHR would record it).
 */
async function removeFromCare(token: string, patientId: string, practitionerId: string): Promise<() => Promise<void>> {
  const before = [
    ...(await searchAll(token, `CareTeam?patient=${patientId}`)),
    ...(await searchAll(token, `Encounter?patient=${patientId}`)),
    (await (await fhirFetch(stand.central, token, `Patient/${patientId}`)).json()) as Json,
  ];
  const roles = (await searchAll(token, `PractitionerRole?practitioner=${practitionerId}`)).map(
    (r) => `PractitionerRole/${String(r.id)}`,
  );
  const theirs = new Set([`Practitioner/${practitionerId}`, ...roles]);
  const named = (ref: unknown) => theirs.has(String((ref as { reference?: string } | undefined)?.reference));
  for (const team of await searchAll(token, `CareTeam?patient=${patientId}`)) {
    const participant = ((team.participant as Json[] | undefined) ?? []).filter((p) => !named(p.member));
    await put(token, { ...team, participant });
  }
  for (const encounter of await searchAll(token, `Encounter?patient=${patientId}`)) {
    const participant = ((encounter.participant as Json[] | undefined) ?? []).filter((p) => !named(p.individual));
    const { participant: _dropped, ...rest } = encounter;
    await put(token, participant.length > 0 ? { ...rest, participant } : rest);
  }
  const patient = (await (await fhirFetch(stand.central, token, `Patient/${patientId}`)).json()) as Json;
  const gps = ((patient.generalPractitioner as unknown[] | undefined) ?? []).filter((g) => !named(g));
  const { generalPractitioner: _gp, ...restPatient } = patient;
  await put(token, gps.length > 0 ? { ...restPatient, generalPractitioner: gps } : restPatient);
  // Back on the patient's care as before (the records as they were, as new versions).
  return async () => {
    for (const { meta: _meta, ...resource } of before) await put(token, resource);
  };
}

interface ConflictItem {
  id: number;
  restricted: boolean;
  patientId: string | null;
  patientName?: string | null;
  fields?: unknown[];
}

describe('conflicts follow access to their patient now', () => {
  it('under the grant: shown, and audited with the patient, the grant and its purpose of use', async () => {
    const h = await start();
    const { patientId, grantId } = await conflictUnderGrant(h);
    const before = (await auditRows()).length;
    const { items } = await ok<{ items: ConflictItem[] }>(h, 'sync.conflicts');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ restricted: false, patientId });
    expect(items[0]!.patientName).toEqual(expect.any(String));
    const shown = (await auditRows()).slice(before).filter((r) => r.detail === 'sync.conflicts');
    expect(shown).toEqual([
      {
        action: 'patient.read',
        outcome: 'success',
        patient_id: patientId,
        purpose_of_use: 'ETREAT',
        grant_id: grantId,
        detail: 'sync.conflicts',
      },
    ]);
  });

  it('after the grant ends, and in a later session: restricted (no name, no versions), and resolving is refused and queues nothing', async () => {
    const h = await start();
    const { patientId, allergyId } = await conflictUnderGrant(h);
    h.time.advance(16 * MINUTE); // the grant's 15 minutes are over
    expect(await h.call('chart.read', { patientId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    const check = async () => {
      const { items } = await ok<{ items: ConflictItem[] }>(h, 'sync.conflicts');
      expect(items).toHaveLength(1);
      const [item] = items;
      expect(item).toMatchObject({ restricted: true });
      // Nothing of the record: no name, no field, not even which record or patient.
      const text = JSON.stringify(item);
      expect(text).not.toContain(patientId);
      expect(text).not.toContain(allergyId);
      expect(item!.patientName ?? null).toBeNull();
      expect(item!.fields ?? []).toEqual([]);
      expect(text).toMatch(/privacy officer|IT/);
      const pendingBefore = (await ok<SyncStatus>(h, 'sync.status')).pending;
      for (const choice of ['mine', 'theirs'] as const) {
        expect(await h.call('sync.resolveConflict', { conflictId: item!.id, choice })).toMatchObject({
          ok: false,
          error: { code: 'FORBIDDEN', message: expect.stringMatching(/restricted/i) },
        });
      }
      const status = await ok<SyncStatus>(h, 'sync.status');
      expect(status).toMatchObject({ pending: pendingBefore, conflicts: 1 });
      // The refusal is audited as a denial naming the patient; nothing was shown or changed.
      const rows = await auditRows();
      const denials = rows.filter((r) => r.detail?.startsWith('sync.resolveConflict'));
      expect(denials.length).toBeGreaterThanOrEqual(2);
      expect(denials.every((r) => r.action === 'access.denied' && r.patient_id === patientId)).toBe(true);
      expect(rows.some((r) => r.detail === 'sync.conflicts' && r.patient_id === patientId && r.grant_id === null)).toBe(
        false,
      );
    };
    await check();
    await ok(h, 'session.end', { reason: 'signOut' });
    await signedInWithPin(h, 'nurse1');
    await check();
  });

  it('a clinician removed from the care team at central: the conflict is restricted and cannot be resolved', async () => {
    const h = await start();
    const token = (await signIn(stand.central, 'nurse2')).accessToken;
    let target: { patientId: string; allergyId: string } | null = null;
    for (const patientId of stand.cache.split(nurse().practitionerId).mine) {
      const allergy = (await searchAll(token, `AllergyIntolerance?patient=${patientId}`))[0];
      if (allergy) {
        target = { patientId, allergyId: String(allergy.id) };
        break;
      }
    }
    expect(target, 'a patient of nurse1 with an allergy').not.toBeNull();
    const { patientId, allergyId } = target!;
    await signedInWithPin(h, 'nurse1');
    await ok(h, 'sync.now');
    await changeOnCentral(token, allergyId);
    await ok(h, 'chart.editAllergy', {
      patientId,
      allergyId,
      edit: { criticality: 'low', clinicalStatus: 'inactive', note: 'Synthetic: tolerated a test dose.' },
    });
    expect(await ok<SyncStatus>(h, 'sync.now')).toMatchObject({ conflicts: 1 });
    expect((await ok<{ items: ConflictItem[] }>(h, 'sync.conflicts')).items[0]).toMatchObject({
      restricted: false,
      patientId,
    });

    await removeFromCare(token, patientId, nurse().practitionerId);
    await ok(h, 'sync.now'); // the pull brings the new care team
    expect(await h.call('chart.read', { patientId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const { items } = await ok<{ items: ConflictItem[] }>(h, 'sync.conflicts');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ restricted: true });
    expect(JSON.stringify(items[0])).not.toContain(patientId);
    expect(await h.call('sync.resolveConflict', { conflictId: items[0]!.id, choice: 'mine' })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await ok<SyncStatus>(h, 'sync.status')).toMatchObject({ pending: 0, conflicts: 1 });
  });

  it('while the grant holds, resolving is audited as an update of that patient under the grant', async () => {
    const h = await start();
    const { patientId, grantId } = await conflictUnderGrant(h);
    const { items } = await ok<{ items: ConflictItem[] }>(h, 'sync.conflicts');
    await ok(h, 'sync.resolveConflict', { conflictId: items[0]!.id, choice: 'mine' });
    const resolved = (await auditRows()).filter((r) => r.detail === 'sync.resolveConflict');
    expect(resolved).toEqual([
      {
        action: 'patient.update',
        outcome: 'success',
        patient_id: patientId,
        purpose_of_use: 'ETREAT',
        grant_id: grantId,
        detail: 'sync.resolveConflict',
      },
    ]);
  });
});

const officer = () => stand.central.users.find((u) => u.role === 'privacyOfficer')!;

interface ReviewItem {
  id: number;
  userId: string;
  userName: string | null;
  patientId: string | null;
  patientName: string | null;
  resourceType: string;
  record: string;
  central: string;
  detectedAt: number;
}

interface DecisionRow {
  user_id: string;
  role: string;
  patient_id: string | null;
  resource_refs: string;
  purpose_of_use: string | null;
  detail: string | null;
  justification: string | null;
}

const decisionRows = () =>
  readCache(
    (db) =>
      db
        .prepare(
          `SELECT user_id, role, patient_id, resource_refs, purpose_of_use, detail, justification
           FROM audit_log WHERE action = 'sync.conflictDecision' ORDER BY seq`,
        )
        .all() as DecisionRow[],
  );

const outboxRows = () =>
  readCache(
    (db) =>
      db.prepare('SELECT resource_id, user_id, state FROM sync_outbox ORDER BY seq').all() as {
        resource_id: string;
        user_id: string;
        state: string;
      }[],
  );

/** A conflict made under a grant that has ended: the nurse sees it restricted; then the privacy officer signs in. */
async function restrictedThenOfficer(h: Harness) {
  const made = await conflictUnderGrant(h);
  h.time.advance(16 * MINUTE);
  const { items } = await ok<{ items: SyncConflictItem[] }>(h, 'sync.conflicts');
  expect(items).toEqual([
    expect.objectContaining({ restricted: true, message: expect.stringMatching(/privacy officer/) }),
  ]);
  await ok(h, 'session.end', { reason: 'switchUser' });
  await signedInWithPin(h, officer().username);
  return { ...made, conflictId: items[0]!.id };
}

interface SyncConflictItem extends ConflictItem {
  message?: string;
}

const COMMENT = 'Synthetic review: the emergency edit was clinically justified.';

describe('restricted conflicts go to the privacy officer (issue 17)', () => {
  it('the privacy officer sees whose change, the patient, the record and both versions, audited once per patient; release sends it in the clinician\u2019s name', async () => {
    const h = await start();
    const { patientId, allergyId, conflictId } = await restrictedThenOfficer(h);
    const before = (await auditRows()).length;
    const { items } = await ok<{ items: ReviewItem[] }>(h, 'sync.restrictedConflicts');
    expect(items).toEqual([
      expect.objectContaining({
        id: conflictId,
        userId: 'nurse1',
        userName: nurse().displayName,
        patientId,
        patientName: stand.cache.summaries.get(patientId)!.name,
        resourceType: 'AllergyIntolerance',
      }),
    ]);
    // The kind of record, never what it says: the privacy officer's role holds no clinical data.
    expect(items[0]).toMatchObject({ record: 'Allergy record', central: 'changed' });
    expect(Object.keys(items[0]!).sort()).toEqual(
      [
        'central',
        'detectedAt',
        'id',
        'patientId',
        'patientName',
        'record',
        'resourceType',
        'userId',
        'userName',
      ].sort(),
    );
    expect(JSON.stringify(items)).not.toMatch(/criticality|tolerated/i);
    // One read of that patient, by role, for operations (no grant: the officer holds none).
    expect((await auditRows()).slice(before).filter((r) => r.detail === 'sync.restrictedConflicts')).toEqual([
      {
        action: 'patient.read',
        outcome: 'success',
        patient_id: patientId,
        purpose_of_use: 'HOPERAT',
        grant_id: null,
        detail: 'sync.restrictedConflicts',
      },
    ]);

    // A comment is required; a bad request changes nothing.
    expect(
      await h.call('sync.decideRestrictedConflict', { conflictId, decision: 'release', comment: '   ' }),
    ).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(await outboxRows()).toEqual([{ resource_id: allergyId, user_id: 'nurse1', state: 'conflict' }]);

    expect(
      await h.call('sync.decideRestrictedConflict', { conflictId, decision: 'release', comment: COMMENT }),
    ).toEqual({ ok: true, data: {} });
    // Queued in the nurse's name (their change, sent under their token); decided by the officer.
    expect(await outboxRows()).toEqual([{ resource_id: allergyId, user_id: 'nurse1', state: 'pending' }]);
    expect(
      await readCache((db) =>
        db.prepare('SELECT user_id, resolution, resolved_by FROM sync_conflicts WHERE id = ?').get(conflictId),
      ),
    ).toEqual({ user_id: 'nurse1', resolution: 'mine', resolved_by: officer().username });
    expect(
      await h.call('sync.decideRestrictedConflict', { conflictId, decision: 'discard', comment: COMMENT }),
    ).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT' },
    });
    // Sent under the nurse's own token (their stored sign-in), as the nurse wrote it.
    await vi.waitFor(
      async () => expect(await ok<SyncStatus>(h, 'sync.now')).toMatchObject({ pending: 0, conflicts: 0 }),
      {
        timeout: 15_000,
      },
    );
    expect(await outboxRows()).toEqual([]);
    const token = (await signIn(stand.central, 'nurse2')).accessToken;
    const onCentral = (await (await fhirFetch(stand.central, token, `AllergyIntolerance/${allergyId}`)).json()) as {
      criticality?: string;
      note?: { text: string; authorReference?: { reference: string } }[];
    };
    expect(onCentral.criticality).toBe('low');
    expect(onCentral.note?.at(-1)).toMatchObject({
      text: 'Synthetic: tolerated a test dose.',
      authorReference: { reference: `Practitioner/${nurse().practitionerId}` },
    });
    expect(await decisionRows()).toEqual([
      {
        user_id: officer().username,
        role: 'privacyOfficer',
        patient_id: patientId,
        resource_refs: JSON.stringify([`AllergyIntolerance/${allergyId}`]),
        purpose_of_use: 'HOPERAT',
        detail: 'released:nurse1',
        justification: COMMENT,
      },
    ]);
    expect((await ok<{ items: ReviewItem[] }>(h, 'sync.restrictedConflicts')).items).toEqual([]);

    // The nurse has nothing left to decide.
    await ok(h, 'session.end', { reason: 'switchUser' });
    await signedInWithPin(h, 'nurse1');
    expect((await ok<{ items: unknown[] }>(h, 'sync.conflicts')).items).toEqual([]);
    expect(await h.call('sync.resolveConflict', { conflictId, choice: 'theirs' })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT' },
    });
  });

  it('discard: nothing is pushed, the cache holds central\u2019s version; a clinician cannot call the officer\u2019s channels', async () => {
    const h = await start();
    const { allergyId, patientId } = await conflictUnderGrant(h);
    h.time.advance(16 * MINUTE);
    // The nurse cannot reach the privacy officer's queue or decide there (refusals audited).
    for (const [channel, request] of [
      ['sync.restrictedConflicts', {}],
      ['sync.decideRestrictedConflict', { conflictId: 1, decision: 'release', comment: COMMENT }],
    ] as const) {
      expect(await h.call(channel, request)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect((await auditRows()).at(-1)).toMatchObject({ action: 'access.denied', detail: `${channel}:role` });
    }
    await ok(h, 'session.end', { reason: 'switchUser' });
    await signedInWithPin(h, officer().username);
    const { items } = await ok<{ items: ReviewItem[] }>(h, 'sync.restrictedConflicts');
    expect(items).toHaveLength(1);
    await ok(h, 'sync.decideRestrictedConflict', { conflictId: items[0]!.id, decision: 'discard', comment: COMMENT });
    expect(await ok<SyncStatus>(h, 'sync.now')).toMatchObject({ pending: 0, conflicts: 0 });
    expect(await outboxRows()).toEqual([]);
    const token = (await signIn(stand.central, 'nurse2')).accessToken;
    const onCentral = (await (await fhirFetch(stand.central, token, `AllergyIntolerance/${allergyId}`)).json()) as {
      criticality?: string;
      meta: { versionId: string };
    };
    expect(onCentral.criticality).toBe('high');
    const cached = await readCache(
      (db) =>
        db
          .prepare("SELECT version_id, json FROM resources WHERE type = 'AllergyIntolerance' AND id = ?")
          .get(allergyId) as {
          version_id: string;
          json: string;
        },
    );
    expect(cached.version_id).toBe(onCentral.meta.versionId);
    expect(JSON.parse(cached.json)).toMatchObject({ criticality: 'high' });
    expect(await decisionRows()).toEqual([
      expect.objectContaining({ patient_id: patientId, detail: 'discarded:nurse1', justification: COMMENT }),
    ]);
  });

  it('a clinician back on the care team gets the conflict back: the officer\u2019s decision is refused, theirs goes through', async () => {
    const h = await start();
    const token = (await signIn(stand.central, 'nurse2')).accessToken;
    let target: { patientId: string; allergyId: string } | null = null;
    // From the end of the list: the test above took the first such patient off the nurse's care at central.
    for (const patientId of [...stand.cache.split(nurse().practitionerId).mine].reverse()) {
      const allergy = (await searchAll(token, `AllergyIntolerance?patient=${patientId}`))[0];
      if (allergy) {
        target = { patientId, allergyId: String(allergy.id) };
        break;
      }
    }
    expect(target, 'another patient of nurse1 with an allergy').not.toBeNull();
    const { patientId, allergyId } = target!;
    await signedInWithPin(h, 'nurse1');
    await ok(h, 'sync.now');
    await changeOnCentral(token, allergyId);
    await ok(h, 'chart.editAllergy', {
      patientId,
      allergyId,
      edit: { criticality: 'low', clinicalStatus: 'inactive', note: 'Synthetic: tolerated a test dose.' },
    });
    expect(await ok<SyncStatus>(h, 'sync.now')).toMatchObject({ conflicts: 1 });
    const restore = await removeFromCare(token, patientId, nurse().practitionerId);
    await ok(h, 'sync.now');
    await ok(h, 'session.end', { reason: 'switchUser' });
    await signedInWithPin(h, officer().username);
    const { items } = await ok<{ items: ReviewItem[] }>(h, 'sync.restrictedConflicts');
    expect(items).toEqual([expect.objectContaining({ patientId, userId: 'nurse1' })]);

    await restore();
    await ok(h, 'sync.now'); // the pull brings the nurse back onto the care team
    expect((await ok<{ items: ReviewItem[] }>(h, 'sync.restrictedConflicts')).items).toEqual([]);
    expect(
      await h.call('sync.decideRestrictedConflict', {
        conflictId: items[0]!.id,
        decision: 'discard',
        comment: COMMENT,
      }),
    ).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: expect.stringMatching(/clinician/) } });
    expect(await decisionRows()).toEqual([]);
    expect(await outboxRows()).toEqual([{ resource_id: allergyId, user_id: 'nurse1', state: 'conflict' }]);

    await ok(h, 'session.end', { reason: 'switchUser' });
    await signedInWithPin(h, 'nurse1');
    const mine = await ok<{ items: ConflictItem[] }>(h, 'sync.conflicts');
    expect(mine.items).toEqual([expect.objectContaining({ restricted: false, patientId })]);
    await ok(h, 'sync.resolveConflict', { conflictId: items[0]!.id, choice: 'theirs' });
  });
});
