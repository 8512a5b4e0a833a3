/**
 * The sync engine's push against dev central over real HTTP, from a real vault: local changes
 * queued with the change itself, pushed exactly once through connection resets, 5xx bursts, 429,
 * malformed answers and lost answers; a stale version becomes a conflict with both versions kept;
 * a change central refuses is held, never dropped.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AllergyIntolerance, FhirResource } from '../../src-shared/fhir/index.ts';
import { clinicalNote, vitalSignObservations } from '../../src-main/records/edits.ts';
import { editedAllergy } from '../../src-main/records/allergy-edit.ts';
import { readResource } from '../../src-main/records/repository.ts';
import { openConflicts, resolveConflict } from '../../src-main/sync/conflicts.ts';
import { SyncHttpError } from '../../src-main/sync/http.ts';
import { OutboxError, outboxCounts, recordLocalChange, type OutboxRow } from '../../src-main/sync/outbox.ts';
import { pullType } from '../../src-main/sync/pull.ts';
import { pushOutbox, type PushOptions } from '../../src-main/sync/push.ts';
import { durably } from '../../src-main/vault/sqlcipher.ts';
import type { Vault } from '../../src-main/vault/vault.ts';
import { fhirFetch, type Central } from '../support/central.ts';
import { startSignedInSync, type SignedInSync } from '../support/sync-fixture.ts';

let sync: SignedInSync;
let central: Central;
let token: string;
let vault: Vault;
let close: () => Promise<void>;
const sleeps: number[] = [];
const clock = { now: () => Date.now() };
const author = { practitionerId: null, displayName: 'Test Nurse' };

beforeAll(async () => {
  sync = await startSignedInSync({ central: { patients: 6, seed: 23 }, user: 'nurse1', clock });
  ({ central, token } = sync);
});
afterAll(async () => {
  await sync?.close();
});
beforeEach(async () => {
  sleeps.length = 0;
  central.faults.clear();
  ({ vault, close } = await sync.openTempVault({
    prefix: 'clinic-sync-push-',
    pull: ['Patient', 'AllergyIntolerance', 'Observation', 'DocumentReference'],
  }));
});
afterEach(() => close());

const push = (extra: Partial<PushOptions> = {}) =>
  pushOutbox(sync.pushOptions(vault.db, { sleep: async (ms) => void sleeps.push(ms), ...extra }));

const anyPatientId = () =>
  vault.db.prepare("SELECT id FROM resources WHERE type = 'Patient' ORDER BY id LIMIT 1").pluck().get() as string;
const outbox = () => vault.db.prepare('SELECT * FROM sync_outbox ORDER BY seq').all() as OutboxRow[];
const local = (type: string, id: string) =>
  readResource(vault.db, type, id) as (FhirResource & { meta?: { versionId?: string } }) | null;

function record(resources: FhirResource[]): void {
  durably(vault.db, () => {
    for (const resource of resources) recordLocalChange(vault.db, resource, 'nurse-user', clock);
  });
}

/** Central's versions of one resource (its instance history), newest first. */
async function versionsOnCentral(type: string, id: string): Promise<Record<string, unknown>[]> {
  const response = await fhirFetch(central, token, `${type}/${id}/_history?_count=100`);
  if (response.status === 404) return [];
  const bundle = (await response.json()) as { entry?: { resource: Record<string, unknown> }[] };
  return (bundle.entry ?? []).map((entry) => entry.resource);
}

function vitalsAndNote(patientId: string): FhirResource[] {
  return [
    ...vitalSignObservations(patientId, { heartRate: 72, systolic: 128, diastolic: 84 }, author, new Date()),
    clinicalNote(
      patientId,
      { title: 'Progress note', text: 'Synthetic note: review in two weeks.' },
      author,
      new Date(),
    ),
  ];
}

describe('164.312(c)(1) sync push', () => {
  it('queues each change with the change; offline it waits; online each lands once and the local copy becomes central\u2019s version', async () => {
    const changes = vitalsAndNote(anyPatientId());
    record(changes);
    expect(outboxCounts(vault.db)).toEqual({ pending: 3, conflicts: 0, held: 0 });
    expect(local('DocumentReference', changes[2]!.id!)).not.toBeNull();

    const offline = await push({ fhirBaseUrl: 'http://127.0.0.1:9/fhir/R4', retry: { attempts: 2 } }).catch(
      (e: unknown) => e,
    );
    expect(offline).toBeInstanceOf(SyncHttpError);
    expect((offline as SyncHttpError).reason).toBe('network');
    expect(outboxCounts(vault.db).pending).toBe(3);

    const result = await push();
    expect(result).toEqual({ pushed: 3, conflicts: 0, held: 0 });
    expect(outbox()).toEqual([]);
    for (const change of changes) {
      const versions = await versionsOnCentral(change.resourceType, change.id!);
      expect(versions, change.resourceType).toHaveLength(1);
      expect(local(change.resourceType, change.id!)?.meta?.versionId).toBe(
        (versions[0]!['meta'] as { versionId: string }).versionId,
      );
    }
    // Pulling after the push brings nothing new: the local copies are central's versions.
    expect((await pullType(sync.pullOptions(vault.db), 'Observation')).stored).toBe(0);
  });

  it('a connection reset after central applied the PUT, 500/503 bursts and 429: each change lands exactly once', async () => {
    const changes = vitalsAndNote(anyPatientId());
    record(changes);
    const [bp, heartRate, note] = changes.map((c) => `${c.resourceType}/${c.id!}`);
    central.faults.inject({ kind: 'reset', method: 'PUT', path: bp! });
    central.faults.inject({ kind: 'status', status: 500, method: 'PUT', path: heartRate!, times: 2 });
    central.faults.inject({ kind: 'status', status: 503, retryAfterSeconds: 2, method: 'PUT', path: heartRate! });
    central.faults.inject({ kind: 'rate-limit', retryAfterSeconds: 3, method: 'PUT', path: note! });

    expect(await push({ concurrency: 1 })).toEqual({ pushed: 3, conflicts: 0, held: 0 });
    for (const change of changes)
      expect(await versionsOnCentral(change.resourceType, change.id!), change.resourceType).toHaveLength(1);
    expect(sleeps).toContain(2000);
    expect(sleeps).toContain(3000);
    expect(central.faults.pending).toBe(0);
  });

  it('a malformed or cut-off answer to an applied PUT: central\u2019s history settles it, nothing is sent twice', async () => {
    const [note] = vitalsAndNote(anyPatientId()).slice(2);
    record([note!]);
    central.faults.inject({ kind: 'malformed-json', method: 'PUT', path: `DocumentReference/${note!.id!}` });
    let puts = 0;
    const counting: typeof fetch = (input, init) => {
      if (init?.method === 'PUT') puts++;
      return fetch(input, init);
    };
    expect(await push({ fetch: counting })).toEqual({ pushed: 1, conflicts: 0, held: 0 });
    expect(puts).toBe(1);
    expect(outbox()).toEqual([]);
    expect(await versionsOnCentral('DocumentReference', note!.id!)).toHaveLength(1);
  });

  it('a change whose PUT may have left before a crash is looked up first and not sent again', async () => {
    const [note] = vitalsAndNote(anyPatientId()).slice(2);
    record([note!]);
    // As after a crash between the PUT and its answer: attempted, and already on central.
    vault.db.prepare('UPDATE sync_outbox SET attempted = 1').run();
    expect(
      (await fhirFetch(central, token, `DocumentReference/${note!.id!}`, { method: 'PUT', body: JSON.stringify(note) }))
        .status,
    ).toBe(201);
    let puts = 0;
    const counting: typeof fetch = (input, init) => {
      if (init?.method === 'PUT') puts++;
      return fetch(input, init);
    };
    expect(await push({ fetch: counting })).toEqual({ pushed: 1, conflicts: 0, held: 0 });
    expect(puts).toBe(0);
    expect(await versionsOnCentral('DocumentReference', note!.id!)).toHaveLength(1);
  });

  it('an answer that fails validation is reported, and the change is not sent again', async () => {
    const [note] = vitalsAndNote(anyPatientId()).slice(2);
    record([note!]);
    central.faults.inject({ kind: 'invalid-resource', method: 'PUT', path: `DocumentReference/${note!.id!}` });
    expect(await push()).toEqual({ pushed: 1, conflicts: 0, held: 0 });
    expect(outbox()).toEqual([]);
    const diagnostics = vault.db.prepare('SELECT resource_type, resource_id, problem FROM sync_diagnostics').all();
    expect(diagnostics).toMatchObject([{ resource_type: 'DocumentReference', resource_id: note!.id! }]);
    // The local copy stays what was written; nothing invalid was stored.
    expect(local('DocumentReference', note!.id!)).toMatchObject({ status: 'current' });
    expect(await versionsOnCentral('DocumentReference', note!.id!)).toHaveLength(1);
  });

  it('a change central refuses outright is held for IT with its content, never dropped', async () => {
    const [note] = vitalsAndNote(anyPatientId()).slice(2);
    record([note!]);
    central.faults.inject({ kind: 'status', status: 422, method: 'PUT', path: `DocumentReference/${note!.id!}` });
    expect(await push()).toEqual({ pushed: 0, conflicts: 0, held: 1 });
    expect(outbox()).toMatchObject([
      { state: 'held', problem: 'central refused the change (HTTP 422)', json: JSON.stringify(note) },
    ]);
    expect(outboxCounts(vault.db)).toEqual({ pending: 0, conflicts: 0, held: 1 });
  });

  it('a stale version (412) becomes a conflict with both versions; "keep mine" sends it on central\u2019s version and both stay in history', async () => {
    const allergy = local(
      'AllergyIntolerance',
      vault.db.prepare("SELECT id FROM resources WHERE type = 'AllergyIntolerance' LIMIT 1").pluck().get() as string,
    ) as AllergyIntolerance;
    const mine = editedAllergy(
      allergy,
      { criticality: 'high', clinicalStatus: 'active', note: 'Synthetic: confirmed at this visit.' },
      author,
      new Date(),
    );
    record([mine]);
    expect(outbox()[0]!.base_version).toBe(allergy.meta?.versionId);

    // Someone else changes it on central first.
    const theirs = { ...allergy, criticality: 'low', meta: undefined };
    expect(
      (
        await fhirFetch(central, token, `AllergyIntolerance/${allergy.id!}`, {
          method: 'PUT',
          body: JSON.stringify(theirs),
        })
      ).status,
    ).toBe(200);
    // A pull does not overwrite the change waiting here.
    await pullType(sync.pullOptions(vault.db), 'AllergyIntolerance');
    expect(local('AllergyIntolerance', allergy.id!)).toMatchObject({ criticality: 'high' });

    expect(await push()).toEqual({ pushed: 0, conflicts: 1, held: 0 });
    const [conflict] = openConflicts(vault.db, 'nurse-user');
    expect(conflict).toMatchObject({
      resourceType: 'AllergyIntolerance',
      resourceId: allergy.id,
      mine: { criticality: 'high' },
      theirs: { criticality: 'low' },
    });
    expect(outboxCounts(vault.db)).toEqual({ pending: 0, conflicts: 1, held: 0 });
    // No further edit until a person decides.
    expect(() => record([{ ...mine, criticality: 'low' } as FhirResource])).toThrow(OutboxError);
    // Nothing is sent while the conflict is open.
    expect(await push()).toEqual({ pushed: 0, conflicts: 0, held: 0 });

    resolveConflict(vault.db, conflict!.id, 'nurse-user', { choice: 'mine' }, clock);
    expect(await push()).toEqual({ pushed: 1, conflicts: 0, held: 0 });
    const versions = await versionsOnCentral('AllergyIntolerance', allergy.id!);
    expect(versions.map((v) => v['criticality'])).toEqual(expect.arrayContaining(['high', 'low']));
    expect(versions[0]).toMatchObject({ criticality: 'high' });
    expect(local('AllergyIntolerance', allergy.id!)?.meta?.versionId).toBe(
      (versions[0]!['meta'] as { versionId: string }).versionId,
    );
    expect(openConflicts(vault.db, 'nurse-user')).toEqual([]);
  });

  it('a 412 injected by central becomes a conflict (nothing overwritten, nothing sent until a person decides)', async () => {
    const id = vault.db
      .prepare("SELECT id FROM resources WHERE type = 'AllergyIntolerance' ORDER BY id LIMIT 1")
      .pluck()
      .get() as string;
    const allergy = local('AllergyIntolerance', id) as AllergyIntolerance;
    const before = (await versionsOnCentral('AllergyIntolerance', id)).length;
    record([
      editedAllergy(
        allergy,
        { criticality: 'high', clinicalStatus: 'active', note: 'Synthetic: injected 412.' },
        author,
        new Date(),
      ),
    ]);
    const fault = central.faults.failNextUpdate(`AllergyIntolerance/${id}`);
    expect(await push()).toEqual({ pushed: 0, conflicts: 1, held: 0 });
    expect(fault.hits).toBe(1);
    expect(await versionsOnCentral('AllergyIntolerance', id)).toHaveLength(before);
    expect(await push()).toEqual({ pushed: 0, conflicts: 0, held: 0 });
    const [conflict] = openConflicts(vault.db, 'nurse-user');
    resolveConflict(vault.db, conflict!.id, 'nurse-user', { choice: 'mine' }, clock);
    expect(await push()).toEqual({ pushed: 1, conflicts: 0, held: 0 });
    const [newest] = await versionsOnCentral('AllergyIntolerance', id);
    expect(newest).toMatchObject({ criticality: 'high' });
    // The comment is appended after the notes the allergy had.
    expect(newest!['note']).toEqual([
      ...(allergy.note ?? []),
      expect.objectContaining({ text: 'Synthetic: injected 412.' }),
    ]);
  });

  it('"keep theirs" takes central\u2019s version and keeps mine in the conflict record; a hand merge goes on central\u2019s version', async () => {
    const ids = vault.db
      .prepare("SELECT id FROM resources WHERE type = 'AllergyIntolerance' ORDER BY id LIMIT 2")
      .pluck()
      .all() as string[];
    const [a, b] = ids.map((id) => local('AllergyIntolerance', id) as AllergyIntolerance);
    record(
      [a!, b!].map((allergy) =>
        editedAllergy(allergy, { criticality: 'high', clinicalStatus: 'inactive', note: '' }, author, new Date()),
      ),
    );
    for (const allergy of [a!, b!]) {
      const theirs = { ...allergy, criticality: 'unable-to-assess', meta: undefined };
      expect(
        (
          await fhirFetch(central, token, `AllergyIntolerance/${allergy.id!}`, {
            method: 'PUT',
            body: JSON.stringify(theirs),
          })
        ).status,
      ).toBe(200);
    }
    expect((await push()).conflicts).toBe(2);
    const [first, second] = openConflicts(vault.db, 'nurse-user');

    resolveConflict(vault.db, first!.id, 'nurse-user', { choice: 'theirs' }, clock);
    expect(local('AllergyIntolerance', first!.resourceId)).toMatchObject({ criticality: 'unable-to-assess' });
    const kept = vault.db.prepare('SELECT local_json, resolution FROM sync_conflicts WHERE id = ?').get(first!.id) as {
      local_json: string;
      resolution: string;
    };
    expect(kept.resolution).toBe('theirs');
    expect(JSON.parse(kept.local_json)).toMatchObject({ criticality: 'high' });

    const merged = editedAllergy(
      second!.theirs as AllergyIntolerance,
      { criticality: 'low', clinicalStatus: 'inactive', note: 'Synthetic: merged.' },
      author,
      new Date(),
    );
    resolveConflict(vault.db, second!.id, 'nurse-user', { choice: 'merged', merged }, clock);
    expect(await push()).toEqual({ pushed: 1, conflicts: 0, held: 0 });
    const versions = await versionsOnCentral('AllergyIntolerance', second!.resourceId);
    expect(versions[0]).toMatchObject({ criticality: 'low', clinicalStatus: { coding: [{ code: 'inactive' }] } });
    expect(outboxCounts(vault.db)).toEqual({ pending: 0, conflicts: 0, held: 0 });
  });

  it('a record that never came from central (no version) cannot be changed: there is nothing to base the change on', async () => {
    const [note] = vitalsAndNote(anyPatientId()).slice(2);
    vault.db
      .prepare(
        "INSERT INTO resources (type, id, version_id, last_updated, patient_id, json) VALUES ('DocumentReference', ?, NULL, NULL, NULL, ?)",
      )
      .run(note!.id!, JSON.stringify(note));
    expect(() => record([{ ...note!, description: 'Synthetic: changed' } as FhirResource])).toThrow(
      /not come from central yet/,
    );
    expect(outbox()).toEqual([]);
    expect(local('DocumentReference', note!.id!)).not.toHaveProperty('description');
  });

  it('a user without a usable token: their changes are held (flagged), others\u2019 go', async () => {
    const [bp, heartRate] = vitalsAndNote(anyPatientId());
    durably(vault.db, () => {
      recordLocalChange(vault.db, bp!, 'signed-out-user', clock);
      recordLocalChange(vault.db, heartRate!, 'nurse-user', clock);
    });
    const result = await push({
      tokenFor: async (userId) =>
        userId === 'nurse-user' ? { token } : { hold: 'signed out, and the sign-in can no longer be renewed' },
    });
    expect(result).toEqual({ pushed: 1, conflicts: 0, held: 1 });
    expect(outbox()).toMatchObject([{ user_id: 'signed-out-user', state: 'held' }]);
  });
});
