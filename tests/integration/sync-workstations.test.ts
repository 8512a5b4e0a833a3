/**
 * Sync through the core, as a window uses it: vitals and a note recorded while central is
 * unreachable are pending, then synced; and two workstations (two cores, two vaults) that edit the
 * same allergy offline end with one conflict, shown to the second clinician, resolved, with both
 * versions in central's history.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src-main/vault/sqlcipher.ts';
import type { Core } from '../../src-main/core.ts';
import type { ChartSections } from '../../src-shared/chart/chart.ts';
import type { ShownSyncConflict, SyncStatus } from '../../src-shared/sync/status.ts';
import { fhirFetch, signIn, startTestCentral, type Central } from '../support/central.ts';
import { signedInWithPin, startCore, type Harness } from '../support/core-harness.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { tempVaultDir, type TempVaultDir } from '../support/vault-fixture.ts';
import { fillCache, type ClinicCache } from '../support/workstation.ts';

const CLINIC = { seed: 41, patients: 30 };

let central: Central;
const running: Core[] = [];
const dirs: TempVaultDir[] = [];

beforeAll(async () => {
  central = await startTestCentral(CLINIC);
});
afterAll(async () => {
  await central?.close();
});
afterEach(async () => {
  central.faults.clear();
  for (const core of running.splice(0)) await core.close();
  for (const dir of dirs.splice(0)) await dir.remove();
});

/** The audit trail as IT's tools see it: a second connection with the key from the keychain. */
async function auditActions(
  dataDir: string,
): Promise<{ action: string; patient_id: string | null; detail: string | null; resource_refs: string | null }[]> {
  const db = openDatabase(path.join(dataDir, 'cache.db'), await keyStore.get(accountsFor(dataDir).current));
  try {
    return db.prepare('SELECT action, patient_id, detail, resource_refs FROM audit_log ORDER BY seq').all() as {
      action: string;
      patient_id: string | null;
      detail: string | null;
      resource_refs: string | null;
    }[];
  } finally {
    db.close();
  }
}

async function workstation(): Promise<{ h: Harness; cache: ClinicCache; dataDir: string }> {
  const made = tempVaultDir({ prefix: 'clinic-sync-ws-' });
  dirs.push(made);
  const cache = await fillCache(made.dataDir, CLINIC);
  const h = await startCore(central, made.dataDir, { lock: { idleSeconds: 3600, warningSeconds: 30 } });
  running.push(h.core);
  return { h, cache, dataDir: made.dataDir };
}

async function ok<T>(h: Harness, channel: string, request: unknown = {}): Promise<T> {
  const answer = await h.call<T>(channel, request);
  if (!answer.ok) throw new Error(`${channel}: ${answer.error.code} ${answer.error.message}`);
  return answer.data;
}

const practitionerOf = (username: string) => central.users.find((u) => u.username === username)!.practitionerId;
const unreachable = () => central.faults.inject({ kind: 'unreachable', times: Infinity });

describe('sync through the core', () => {
  it('vitals and a note written while central is unreachable are pending, then synced, and reach central once', async () => {
    const { h, cache, dataDir } = await workstation();
    await signedInWithPin(h, 'nurse1');
    expect(await ok<SyncStatus>(h, 'sync.now')).toMatchObject({ connection: 'online', pending: 0, problem: null });
    const patientId = cache.split(practitionerOf('nurse1')).mine[0]!;

    const offline = unreachable();
    expect(
      await ok(h, 'chart.recordVitals', {
        patientId,
        vitals: { heartRate: 88, systolic: 131, diastolic: 79, bodyTemperature: 37.4 },
      }),
    ).toEqual({ recorded: 3 });
    const { id: noteId } = await ok<{ id: string }>(h, 'chart.writeNote', {
      patientId,
      note: { title: 'Progress note', text: 'Synthetic: seen in clinic, stable.' },
    });
    const waiting = await ok<SyncStatus>(h, 'sync.now');
    expect(waiting).toMatchObject({ connection: 'offline', pending: 4, conflicts: 0 });
    expect(waiting.problem).toMatch(/could not be reached/);
    const chart = await ok<ChartSections>(h, 'chart.read', { patientId });
    expect(chart.notes.find((n) => n.id === noteId)).toMatchObject({
      sync: 'pending',
      text: 'Synthetic: seen in clinic, stable.',
    });
    expect(
      chart.vitals
        .filter((v) => v.sync === 'pending')
        .map((v) => v.value)
        .sort(),
    ).toEqual(['131/79 mmHg', '37.4 C', '88 beats/minute']);

    offline.remove();
    const synced = await ok<SyncStatus>(h, 'sync.now');
    expect(synced).toMatchObject({ connection: 'online', pending: 0, conflicts: 0, held: 0, problem: null });
    expect(synced.lastSyncedAt).not.toBeNull();
    const after = await ok<ChartSections>(h, 'chart.read', { patientId });
    expect([...after.vitals, ...after.notes].every((row) => row.sync === 'synced')).toBe(true);
    const token = (await signIn(central, 'nurse2')).accessToken;
    const history = (await (await fhirFetch(central, token, `DocumentReference/${noteId}/_history`)).json()) as {
      entry: unknown[];
    };
    expect(history.entry).toHaveLength(1);

    // Invalid vitals are refused with the rule broken, and nothing is queued.
    const refused = await h.call('chart.recordVitals', { patientId, vitals: { heartRate: 720 } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(await ok<SyncStatus>(h, 'sync.status')).toMatchObject({ pending: 0 });

    // Each change is in the audit trail (who, which patient, which channel), never its content.
    const trail = await auditActions(dataDir);
    expect(trail.filter((e) => e.action === 'patient.create').map((e) => [e.patient_id, e.detail])).toEqual([
      [patientId, 'chart.recordVitals'],
      [patientId, 'chart.writeNote'],
    ]);
    // ... and names what it wrote (the AuditEvent's data entity, BALP role 4).
    const created = trail.filter((e) => e.action === 'patient.create').map((e) => JSON.parse(e.resource_refs ?? '[]'));
    expect(created[0]).toHaveLength(3);
    expect(created[0].every((ref: string) => ref.startsWith('Observation/'))).toBe(true);
    expect(created[1]).toEqual([`DocumentReference/${noteId}`]);
    expect(trail.some((e) => e.action === 'access.denied' || JSON.stringify(e).includes('stable'))).toBe(false);
  });

  it('two workstations edit the same allergy offline: one conflict for the second clinician, resolved, both versions on central', async () => {
    const first = await workstation();
    const second = await workstation();
    const shared = first.cache
      .split(practitionerOf('nurse1'))
      .mine.filter((id) => first.cache.split(practitionerOf('physician1')).mine.includes(id));
    await signedInWithPin(first.h, 'nurse1');
    await signedInWithPin(second.h, 'physician1');
    // Both pull first: the cache then holds central's versions, which edits are based on.
    await ok(first.h, 'sync.now');
    await ok(second.h, 'sync.now');
    let target: { patientId: string; allergyId: string } | null = null;
    for (const patientId of shared) {
      const allergy = (await ok<ChartSections>(first.h, 'chart.read', { patientId })).allergies[0];
      if (allergy) {
        target = { patientId, allergyId: allergy.id };
        break;
      }
    }
    expect(target, 'a patient of both clinicians with an allergy').not.toBeNull();
    const { patientId, allergyId } = target!;

    const offline = unreachable();
    await ok(first.h, 'chart.editAllergy', {
      patientId,
      allergyId,
      edit: { criticality: 'high', clinicalStatus: 'active', note: 'Synthetic: anaphylaxis reported by family.' },
    });
    await ok(second.h, 'chart.editAllergy', {
      patientId,
      allergyId,
      edit: { criticality: 'low', clinicalStatus: 'inactive', note: 'Synthetic: tolerated a test dose.' },
    });
    expect(await ok<SyncStatus>(first.h, 'sync.now')).toMatchObject({ connection: 'offline', pending: 1 });
    offline.remove();

    expect(await ok<SyncStatus>(first.h, 'sync.now')).toMatchObject({ connection: 'online', pending: 0, conflicts: 0 });
    expect(await ok<SyncStatus>(second.h, 'sync.now')).toMatchObject({
      connection: 'online',
      pending: 0,
      conflicts: 1,
    });
    // Only the clinician who made the change sees it; the first sees none.
    expect((await ok<{ items: ShownSyncConflict[] }>(first.h, 'sync.conflicts')).items).toEqual([]);
    const { items } = await ok<{ items: ShownSyncConflict[] }>(second.h, 'sync.conflicts');
    expect(items).toHaveLength(1);
    const [conflict] = items;
    expect(conflict).toMatchObject({
      resourceType: 'AllergyIntolerance',
      resourceId: allergyId,
      patientId,
      mergeable: true,
      mine: { criticality: 'low', clinicalStatus: 'inactive' },
    });
    expect(conflict!.fields).toEqual(expect.arrayContaining([{ label: 'Criticality', mine: 'low', theirs: 'high' }]));
    expect(
      (await ok<ChartSections>(second.h, 'chart.read', { patientId })).allergies.find((a) => a.id === allergyId),
    ).toMatchObject({ sync: 'conflict' });
    // Further edits wait for the decision.
    expect(
      await second.h.call('chart.editAllergy', {
        patientId,
        allergyId,
        edit: { criticality: 'low', clinicalStatus: 'active', note: '' },
      }),
    ).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });

    expect(
      (await auditActions(second.dataDir)).filter((e) => e.action === 'patient.update').map((e) => e.detail),
    ).toEqual(['chart.editAllergy']);
    await ok(second.h, 'sync.resolveConflict', {
      conflictId: conflict!.id,
      choice: 'merged',
      merged: { criticality: 'high', clinicalStatus: 'inactive', note: 'Synthetic: merged after review.' },
    });
    expect(await ok<SyncStatus>(second.h, 'sync.now')).toMatchObject({ pending: 0, conflicts: 0 });

    const token = (await signIn(central, 'nurse2')).accessToken;
    const history = (await (await fhirFetch(central, token, `AllergyIntolerance/${allergyId}/_history`)).json()) as {
      entry: { resource: { criticality?: string; note?: { text: string }[] } }[];
    };
    // Notes are appended: the newest version holds the first clinician's note, the second's own
    // note carried into the merge as written, and the merge's comment, after whatever was there.
    const newest = history.entry[0]!.resource.note?.map((n) => n.text) ?? [];
    expect(newest.slice(-3)).toEqual([
      'Synthetic: anaphylaxis reported by family.',
      'Synthetic: tolerated a test dose.',
      'Synthetic: merged after review.',
    ]);
    // The first workstation sees the merged version after its next pull.
    await ok(first.h, 'sync.now');
    expect(
      (await ok<ChartSections>(first.h, 'chart.read', { patientId })).allergies.find((a) => a.id === allergyId),
    ).toMatchObject({
      criticality: 'high',
      statusCode: 'inactive',
      notes: expect.arrayContaining([expect.objectContaining({ text: 'Synthetic: merged after review.' })]),
      sync: 'synced',
    });
  });

  it("a signed-out clinician's changes go under their own refresh token; once the provider refuses it, they are held for IT", async () => {
    const { h, cache } = await workstation();
    const patientOf = (username: string) => cache.split(practitionerOf(username)).mine[0]!;
    await signedInWithPin(h, 'nurse1');
    await ok(h, 'sync.now');
    let offline = unreachable();
    await ok(h, 'chart.recordVitals', { patientId: patientOf('nurse1'), vitals: { heartRate: 77 } });
    await ok(h, 'session.end', { reason: 'signOut' });
    offline.remove();

    // The next clinician's round sends nurse1's change, with nurse1's token.
    await signedInWithPin(h, 'nurse2');
    expect(await ok<SyncStatus>(h, 'sync.now')).toMatchObject({ connection: 'online', pending: 0, held: 0 });
    await ok(h, 'session.end', { reason: 'signOut' });

    await signedInWithPin(h, 'nurse1');
    offline = unreachable();
    await ok(h, 'chart.recordVitals', { patientId: patientOf('nurse1'), vitals: { heartRate: 79 } });
    await ok(h, 'session.end', { reason: 'signOut' });
    offline.remove();
    central.disableUser('nurse1');
    try {
      await signedInWithPin(h, 'nurse2');
      expect(await ok<SyncStatus>(h, 'sync.now')).toMatchObject({ connection: 'online', pending: 0, held: 1 });
    } finally {
      central.enableUser('nurse1');
    }
    // Back at work, nurse1 signs in: the held change is theirs to send again, and goes.
    await ok(h, 'session.end', { reason: 'signOut' });
    await signedInWithPin(h, 'nurse1');
    expect(await ok<SyncStatus>(h, 'sync.now')).toMatchObject({ connection: 'online', pending: 0, held: 0 });
  });

  it('a change goes to central on its own, soon after it is saved (no "Sync now")', async () => {
    const { h, cache } = await workstation();
    await signedInWithPin(h, 'nurse1');
    await ok(h, 'sync.now');
    const patientId = cache.split(practitionerOf('nurse1')).mine[0]!;
    await ok(h, 'chart.recordVitals', { patientId, vitals: { respiratoryRate: 18 } });
    expect(await ok<SyncStatus>(h, 'sync.status')).toMatchObject({ pending: 1 });
    h.time.advance(600); // the round a local change asks for, half a second later
    await vi.waitFor(
      async () => expect(await ok<SyncStatus>(h, 'sync.status')).toMatchObject({ pending: 0, syncing: false }),
      { timeout: 10_000 },
    );
  });

  it('bad input to the new channels: a typed error, and nothing queued or changed', async () => {
    const { h, cache, dataDir } = await workstation();
    await signedInWithPin(h, 'nurse1');
    await ok(h, 'sync.now');
    const [mine] = cache.split(practitionerOf('nurse1')).mine;
    const [other] = cache.split(practitionerOf('nurse1')).others;
    const allergyOfMine = (await ok<ChartSections>(h, 'chart.read', { patientId: mine })).allergies[0];
    const before = (await auditActions(dataDir)).filter(
      (e) => e.action === 'patient.create' || e.action === 'patient.update',
    ).length;
    const refusals: [string, unknown, string][] = [
      ['chart.recordVitals', { patientId: mine, vitals: {} }, 'INVALID'],
      ['chart.recordVitals', { patientId: mine, vitals: { systolic: 120 } }, 'INVALID'],
      ['chart.recordVitals', { patientId: mine, vitals: { heartRate: '72' } }, 'INVALID'],
      ['chart.recordVitals', { patientId: 'not an id!', vitals: { heartRate: 72 } }, 'INVALID'],
      ['chart.recordVitals', { patientId: other, vitals: { heartRate: 72 } }, 'FORBIDDEN'],
      ['chart.writeNote', { patientId: mine, note: { title: 'Progress note', text: '   ' } }, 'INVALID'],
      ['chart.writeNote', { patientId: mine, note: { title: 'Progress note', text: 'x', extra: 1 } }, 'INVALID'],
      [
        'chart.editAllergy',
        { patientId: mine, allergyId: 'no-such-allergy', edit: { criticality: 'high', clinicalStatus: 'active' } },
        'NOT_FOUND',
      ],
      [
        'chart.editAllergy',
        {
          patientId: mine,
          allergyId: allergyOfMine?.id ?? 'x',
          edit: { criticality: 'extreme', clinicalStatus: 'active' },
        },
        'INVALID',
      ],
      ['sync.resolveConflict', { conflictId: 999, choice: 'mine' }, 'NOT_FOUND'],
      ['sync.resolveConflict', { conflictId: 1, choice: 'merged' }, 'INVALID'],
      ['sync.now', { now: true }, 'INVALID'],
    ];
    for (const [channel, request, code] of refusals)
      expect(await h.call(channel, request), `${channel} ${JSON.stringify(request)}`).toMatchObject({
        ok: false,
        error: { code },
      });
    expect(await ok<SyncStatus>(h, 'sync.status')).toMatchObject({ pending: 0, conflicts: 0, held: 0 });
    expect(
      (await auditActions(dataDir)).filter((e) => e.action === 'patient.create' || e.action === 'patient.update'),
    ).toHaveLength(before);
  });
});
