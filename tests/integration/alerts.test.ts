/**
 * Unusual access alerts through the core, as a window meets them (164.312(b) audit controls):
 * real sign-in at dev central, real vault and keychain, real PINs, the trail read back through a
 * second connection, shipping to dev central over real HTTP; a controllable clock for windows.
 * The synthetic clinic only: no real person's data anywhere.
 */
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { workstationMigrations } from '../../src-main/migrations.ts';
import { readResource, storeResources } from '../../src-main/records/repository.ts';
import { openDatabase, type Database } from '../../src-main/vault/sqlcipher.ts';
import { openVault } from '../../src-main/vault/vault.ts';
import { fhirFetch, signIn } from '../support/central.ts';
import { PIN, signedInWithPin, type Harness, useCoreStand } from '../support/core-harness.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';

const CLINIC = { seed: 17, patients: 30 };
const MINUTE = 60_000;

const stand = useCoreStand({ clinic: CLINIC, prefix: 'clinic-alerts-' });

async function start(alerts: Record<string, unknown> = {}): Promise<Harness> {
  return stand.start({ lock: { idleSeconds: 3600, warningSeconds: 30 }, alerts });
}

const nurse = () => stand.central.users.find((u) => u.username === 'nurse1')!;
const officer = () => stand.central.users.find((u) => u.role === 'privacyOfficer')!;

async function rawDb(): Promise<Database> {
  return openDatabase(path.join(stand.dataDir, 'cache.db'), await keyStore.get(accountsFor(stand.dataDir).current));
}

async function auditRows(where: string): Promise<Record<string, unknown>[]> {
  const db = await rawDb();
  try {
    return db
      .prepare(
        `SELECT id, action, user_id, patient_id, detail, resource_refs FROM audit_log WHERE ${where} ORDER BY seq`,
      )
      .all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

/** A synthetic patient given the nurse's own family name (from the nurse's Practitioner), in the cache. */
async function seedNurseFamilyName(): Promise<{ patientId: string; family: string }> {
  const patientId = stand.cache.patientIds[3]!;
  const vault = await openVault({
    migrations: workstationMigrations,
    dataDir: stand.dataDir,
    keyStore,
    policy: {},
    logger: createMemoryLogger(),
  });
  try {
    const practitioner = readResource(vault.db, 'Practitioner', nurse().practitionerId) as {
      name: { family: string }[];
    };
    const family = practitioner.name[0]!.family;
    const patient = readResource(vault.db, 'Patient', patientId) as { name: { family: string }[] };
    patient.name[0]!.family = ` ${family.toUpperCase()} `;
    storeResources(vault.db, [patient]);
    return { patientId, family };
  } finally {
    vault.close();
  }
}

type Queue = { alerts: Record<string, unknown>[] };
async function queueAsOfficer(h: Harness): Promise<Queue> {
  const result = await h.call<Queue>('alerts.queue');
  expect(result.ok).toBe(true);
  return (result as { data: Queue }).data;
}

async function switchTo(h: Harness, username: string): Promise<void> {
  await h.call('session.end', { reason: 'switchUser' });
  await signedInWithPin(h, username);
}

describe('unusual access alerts', () => {
  it('164.312(b): more charts than policy allows in the window raise one alert, in the queue and the trail, shipped to central', async () => {
    const h = await start({ chartOpensMax: 5, chartOpensWindowMinutes: 10 });
    await signedInWithPin(h, 'nurse1');
    const patients = stand.cache.patientIds;
    // Five distinct charts (one opened twice) stay under the limit.
    for (const id of [...patients.slice(0, 5), patients[0]]) {
      expect(await h.call('patients.open', { patientId: id })).toMatchObject({ ok: true });
      h.time.advance(MINUTE);
    }
    expect(await auditRows(`action = 'access.alert'`)).toEqual([]);
    // The sixth distinct chart within ten minutes crosses it; more opens in the same window add none.
    await h.call('patients.open', { patientId: patients[5] });
    await h.call('patients.open', { patientId: patients[6] });
    const raised = await auditRows(`action = 'access.alert'`);
    expect(raised).toEqual([
      expect.objectContaining({ user_id: 'nurse1', patient_id: null, detail: 'chart-opens:6-in-10m' }),
    ]);

    // Opens spread over longer than the window raise nothing more.
    h.time.advance(11 * MINUTE);
    for (const id of patients.slice(10, 13)) await h.call('patients.open', { patientId: id });
    expect(await auditRows(`action = 'access.alert'`)).toHaveLength(1);

    await switchTo(h, officer().username);
    const { alerts } = await queueAsOfficer(h);
    expect(alerts).toEqual([
      {
        alertId: raised[0]!.id,
        kind: 'chartOpens',
        userId: 'nurse1',
        userName: nurse().displayName,
        patientId: null,
        patientName: null,
        count: 6,
        windowMinutes: 10,
        raisedAt: expect.any(Number),
      },
    ]);

    // The alert ships to central as a DICOM Security Alert AuditEvent with the trail.
    h.time.advance(31_000);
    const { accessToken } = await signIn(stand.central, officer().username, undefined, 53_717);
    await vi.waitFor(
      async () => {
        const response = await fhirFetch(stand.central, accessToken, `AuditEvent/${String(raised[0]!.id)}`);
        expect(response.status).toBe(200);
        const event = (await response.json()) as Record<string, unknown>;
        expect(event).toMatchObject({
          type: { code: '110113' },
          subtype: [{ code: 'unusual-access' }],
          outcomeDesc: 'unusual access: chart-opens:6-in-10m',
        });
      },
      { timeout: 20_000, interval: 250 },
    );
  });

  it('164.312(d): repeated failed PINs raise an alert for that user; failed sign-ins under unknown usernames one of their own', async () => {
    const h = await start({ failedAuthMax: 2, failedAuthWindowMinutes: 15 });
    await signedInWithPin(h, 'nurse1');
    await h.call('session.lock');
    for (let i = 0; i < 3; i++)
      expect(await h.call('session.unlock', { pin: '000000' })).toMatchObject({
        ok: false,
        error: { code: 'UNAUTHENTICATED' },
      });
    expect(await auditRows(`action = 'access.alert'`)).toEqual([
      expect.objectContaining({ user_id: 'nurse1', detail: 'failed-auth:3-in-15m' }),
    ]);
    expect(await h.call('session.unlock', { pin: PIN })).toMatchObject({ ok: true });
    await h.call('session.end', { reason: 'signOut' });
    h.time.advance(MINUTE);

    for (let i = 0; i < 3; i++) await h.call('session.signInOffline', { username: `nobody-${i}`, pin: '135790' });
    expect(await auditRows(`action = 'access.alert'`)).toEqual([
      expect.objectContaining({ user_id: 'nurse1' }),
      expect.objectContaining({ user_id: null, detail: 'failed-auth:3-in-15m' }),
    ]);

    await signedInWithPin(h, officer().username);
    const { alerts } = await queueAsOfficer(h);
    expect(alerts.map((a) => [a.kind, a.userId, a.count])).toEqual([
      ['failedAuth', 'nurse1', 3],
      ['failedAuth', null, 3],
    ]);
    // Nothing said who was tried: the usernames are in no log line.
    expect(JSON.stringify(h.logger.entries)).not.toContain('nobody-');
  });

  it('164.312(b): a chart of a patient sharing the user family name raises an alert; neither name is logged; the review is audited', async () => {
    const { patientId, family } = await seedNurseFamilyName();
    const h = await start();
    await signedInWithPin(h, 'nurse1');
    await h.call('patients.open', { patientId: stand.cache.patientIds[4] });
    expect(await auditRows(`action = 'access.alert'`)).toEqual([]);
    await h.call('patients.open', { patientId });
    await h.call('patients.open', { patientId }); // once until reviewed
    const raised = await auditRows(`action = 'access.alert'`);
    expect(raised).toEqual([
      expect.objectContaining({ user_id: 'nurse1', patient_id: patientId, detail: 'family-name' }),
    ]);
    const logged = JSON.stringify(h.logger.entries).toLowerCase();
    expect(logged).not.toContain(family.toLowerCase());

    // The nurse cannot see the queue; the privacy officer can, and reviews it.
    expect(await h.call('alerts.queue')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await switchTo(h, officer().username);
    const { alerts } = await queueAsOfficer(h);
    expect(alerts).toEqual([expect.objectContaining({ kind: 'familyName', userId: 'nurse1', patientId, count: 1 })]);
    const alertId = alerts[0]!.alertId as string;
    expect(await h.call('alerts.markReviewed', { alertId, comment: '   ' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID' },
    });
    expect(await h.call('alerts.markReviewed', { alertId: 'not-a-uuid', comment: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID' },
    });
    expect(
      await h.call('alerts.markReviewed', { alertId, comment: 'Her own relative; spoke with her manager.' }),
    ).toEqual({
      ok: true,
      data: {},
    });
    expect(await h.call('alerts.markReviewed', { alertId, comment: 'again' })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT' },
    });
    expect((await queueAsOfficer(h)).alerts).toEqual([]);
    expect(
      await auditRows(`action IN ('access.alertReview', 'audit.read') AND detail <> 'breakGlass.reviewQueue'`),
    ).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'access.alertReview',
          user_id: officer().username,
          patient_id: patientId,
          resource_refs: JSON.stringify([`AuditEvent/${alertId}`]),
        }),
        expect.objectContaining({ action: 'audit.read', detail: 'alerts.queue' }),
      ]),
    );
  });

  it('164.312(b): with policy alerts.familyName off, the same chart raises no alert', async () => {
    const { patientId } = await seedNurseFamilyName();
    const h = await start({ familyName: false });
    await signedInWithPin(h, 'nurse1');
    expect(await h.call('patients.open', { patientId })).toMatchObject({ ok: true });
    expect(await auditRows(`action = 'access.alert'`)).toEqual([]);
  });
});
