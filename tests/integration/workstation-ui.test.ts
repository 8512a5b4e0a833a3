/**
 * Issue 16's first slice in the core, against a real vault, the real keychain and dev central:
 * the patient pane's lists (patients.pane: "My patients" from the care relationships, "Recent"
 * kept by the main process and surviving a lock), the restricted marker on search results,
 * "End emergency access" (breakGlass.end, audited as a stop ended by the user), and a sync status
 * that says "online" only after central answered and counts what a PIN-only session cannot send.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PatientListItem } from '../../src-shared/ipc/contract.ts';
import type { SyncStatus } from '../../src-shared/sync/status.ts';
import type { Core } from '../../src-main/core.ts';
import { openDatabase, type Database } from '../../src-main/vault/sqlcipher.ts';
import { startTestCentral, type Central } from '../support/central.ts';
import { PIN, signedInWithPin, startCore, type Harness } from '../support/core-harness.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { tempVaultDir } from '../support/vault-fixture.ts';
import { fillCache, type ClinicCache } from '../support/workstation.ts';

const CLINIC = { seed: 29, patients: 30 };
const JUSTIFICATION = 'Collapsed in the corridor, needs allergy history now';

let central: Central;
let cache: ClinicCache;
let dataDir: string;
let remove: () => Promise<void>;
const running: Core[] = [];

beforeAll(async () => {
  central = await startTestCentral(CLINIC);
});
afterAll(async () => {
  await central?.close();
});
beforeEach(async () => {
  ({ dataDir, remove } = tempVaultDir({ prefix: 'clinic-workstation-ui-' }));
  cache = await fillCache(dataDir, CLINIC);
});
afterEach(async () => {
  central.faults.clear();
  for (const core of running.splice(0)) await core.close();
  await remove();
});

async function start(): Promise<Harness> {
  const h = await startCore(central, dataDir, { lock: { idleSeconds: 3600, warningSeconds: 30 } });
  running.push(h.core);
  return h;
}

async function ok<T>(h: Harness, channel: string, request: unknown = {}): Promise<T> {
  const answer = await h.call<T>(channel, request);
  if (!answer.ok) throw new Error(`${channel}: ${answer.error.code} ${answer.error.message}`);
  return answer.data;
}

async function rawDb(): Promise<Database> {
  return openDatabase(path.join(dataDir, 'cache.db'), await keyStore.get(accountsFor(dataDir).current));
}

const staff = (username: string) => central.users.find((u) => u.username === username)!;
const ids = (items: readonly PatientListItem[]) => items.map((p) => p.id);

describe('the patient pane', () => {
  it('lists the care team as "My patients", and recent charts newest first, kept across a lock', async () => {
    const h = await start();
    await signedInWithPin(h, 'physician1');
    const { mine, others } = cache.split(staff('physician1').practitionerId);
    expect(mine.length).toBeGreaterThan(0);

    const pane = await ok<{ mine: PatientListItem[]; recent: PatientListItem[] }>(h, 'patients.pane');
    expect(new Set(ids(pane.mine))).toEqual(new Set(mine));
    const names = pane.mine.map((p) => p.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect(pane.mine.every((p) => !p.restricted)).toBe(true);
    expect(pane.recent).toEqual([]);

    await ok(h, 'patients.open', { patientId: mine[0] });
    await ok(h, 'patients.open', { patientId: others[0] });
    await ok(h, 'patients.open', { patientId: mine[0] });
    await ok(h, 'session.lock');
    expect(await h.call('patients.pane')).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
    await ok(h, 'session.unlock', { pin: PIN });
    const after = await ok<{ recent: PatientListItem[] }>(h, 'patients.pane');
    expect(ids(after.recent)).toEqual([mine[0], others[0]]);
    expect(after.recent.map((p) => p.restricted)).toEqual([false, true]);

    // Each user has their own list.
    await ok(h, 'session.end', { reason: 'switchUser' });
    await signedInWithPin(h, 'nurse1');
    expect((await ok<{ recent: PatientListItem[] }>(h, 'patients.pane')).recent).toEqual([]);
  });

  it('marks search results the user would see restricted, before opening; front desk sees no marker', async () => {
    const h = await start();
    await signedInWithPin(h, 'physician1');
    const { mine, others } = cache.split(staff('physician1').practitionerId);
    const search = async (patientId: string) => {
      const { results } = await ok<{ results: PatientListItem[] }>(h, 'patients.search', {
        query: cache.summaries.get(patientId)!.mrn,
      });
      return results.find((r) => r.id === patientId)!;
    };
    expect((await search(mine[0]!)).restricted).toBe(false);
    expect((await search(others[0]!)).restricted).toBe(true);
    await ok(h, 'session.end', { reason: 'switchUser' });
    await signedInWithPin(h, 'frontdesk1');
    expect((await search(others[0]!)).restricted).toBe(false);
    expect((await ok<{ mine: PatientListItem[] }>(h, 'patients.pane')).mine).toEqual([]);
  });
});

describe('End emergency access', () => {
  it('ends the grant at once, audited as a stop ended by the user; a second end is NOT_FOUND', async () => {
    const h = await start();
    await signedInWithPin(h, 'nurse1');
    const [patientId] = cache.split(staff('nurse1').practitionerId).others;
    await ok(h, 'breakGlass.request', { patientId, reason: 'ETREAT', justification: JUSTIFICATION, pin: PIN });
    expect(await h.call('chart.read', { patientId })).toMatchObject({ ok: true });

    expect(await h.call('breakGlass.end', { patientId })).toEqual({ ok: true, data: {} });
    expect(await h.call('chart.read', { patientId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect((await h.status()).emergencyAccess.grants).toEqual([]);
    expect(await h.call('breakGlass.end', { patientId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await h.call('breakGlass.end', { patientId: '../x' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID' },
    });

    const db = await rawDb();
    try {
      expect(
        db.prepare("SELECT patient_id, detail FROM audit_log WHERE action = 'breakGlass.stop' ORDER BY seq").all(),
      ).toEqual([{ patient_id: patientId, detail: 'endedByUser' }]);
      expect(db.prepare('SELECT end_reason FROM break_glass_grants').all()).toEqual([{ end_reason: 'endedByUser' }]);
    } finally {
      db.close();
    }
  });
});

describe('sync status', () => {
  it('is not "online" in a PIN-only session while central is down, and counts the changes waiting for a full sign-in', async () => {
    const h = await start();
    await signedInWithPin(h, 'physician1');
    await ok(h, 'session.end', { reason: 'signOut' });
    const fhirDown = central.faults.inject({ kind: 'unreachable', times: Infinity });
    central.faults.inject({ kind: 'unreachable', times: Infinity, service: 'idp' });
    await ok(h, 'session.signInOffline', { username: 'physician1', pin: PIN });

    const down = await ok<SyncStatus>(h, 'sync.now');
    expect(down.connection).toBe('offline');
    expect(down.waitingForSignIn).toBe(0);

    const [patientId] = cache.split(staff('physician1').practitionerId).mine;
    await ok(h, 'chart.recordVitals', { patientId, vitals: { heartRate: 71 } });
    const waiting = await ok<SyncStatus>(h, 'sync.now');
    expect(waiting).toMatchObject({ connection: 'offline', pending: 1, waitingForSignIn: 1 });

    // Central's FHIR API answers (the provider does not): online, and the change still waits.
    fhirDown.remove();
    expect(await ok<SyncStatus>(h, 'sync.now')).toMatchObject({
      connection: 'online',
      pending: 1,
      waitingForSignIn: 1,
    });
  });
});
