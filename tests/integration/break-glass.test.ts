/**
 * Break-glass through the core, as a window asks for it: real sign-in at dev central, real vault
 * and keychain, real PINs, the audit trail in the same file; a controllable clock for expiry and
 * long locks. The audit trail is read back through a second connection to the file, as the IT
 * command line would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAuditKey } from '../../src-main/audit/key.ts';
import { verifyAuditTrail } from '../../src-main/audit/verify.ts';
import { openDatabase, type Database } from '../../src-main/vault/sqlcipher.ts';
import { PIN, signedInWithPin, type Harness, useCoreStand } from '../support/core-harness.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';

const CLINIC = { seed: 13, patients: 30 };
const MINUTE = 60_000;
const JUSTIFICATION = 'Unresponsive in the waiting room, needs allergy history now';

const stand = useCoreStand({ clinic: CLINIC, prefix: 'clinic-break-glass-' });

/** An hour of idle time before the lock, unless a test says otherwise: grants are timed in minutes. */
async function start(policy: Record<string, unknown> = {}): Promise<Harness> {
  return stand.start({ lock: { idleSeconds: 3600, warningSeconds: 30 }, ...policy });
}

const nurse = () => stand.central.users.find((u) => u.username === 'nurse1')!;
const outsideCareTeam = () => stand.cache.split(nurse().practitionerId).others;

/** A second connection to the cache file, with the key from the keychain: what IT's tools see. */
async function rawDb(): Promise<Database> {
  return openDatabase(path.join(stand.dataDir, 'cache.db'), await keyStore.get(accountsFor(stand.dataDir).current));
}

async function auditRows(where = '1 = 1'): Promise<Record<string, unknown>[]> {
  const db = await rawDb();
  try {
    return db
      .prepare(
        `SELECT action, outcome, user_id, patient_id, purpose_of_use, grant_id, detail, justification FROM audit_log WHERE ${where} ORDER BY seq`,
      )
      .all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

const request = (patientId: string, extra: Record<string, unknown> = {}) => ({
  patientId,
  reason: 'ETREAT',
  justification: JUSTIFICATION,
  pin: PIN,
  ...extra,
});

describe('164.312(a)(2)(ii) break-glass', () => {
  it('grants one patient after reason, justification and PIN, audited before any data, with purpose of use on every view', async () => {
    const h = await start();
    await signedInWithPin(h, 'nurse1');
    const [patientId, otherPatient] = outsideCareTeam();
    expect(await h.call('patients.open', { patientId })).toMatchObject({
      ok: true,
      data: { access: 'restricted', sections: null },
    });

    // Refused, each audited, none granting anything: short, padded, unknown reason, wrong PIN.
    expect(await h.call('breakGlass.request', request(patientId!, { justification: 'urgent' }))).toMatchObject({
      ok: false,
      error: { code: 'INVALID', message: expect.stringContaining('at least 20') },
    });
    expect(await h.call('breakGlass.request', request(patientId!, { justification: 'x'.repeat(40) }))).toMatchObject({
      ok: false,
      error: { code: 'INVALID' },
    });
    expect(
      await h.call('breakGlass.request', request(patientId!, { justification: 'test test test test test' })),
    ).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(await h.call('breakGlass.request', request(patientId!, { reason: 'FUN' }))).toMatchObject({
      ok: false,
      error: { code: 'INVALID' },
    });
    expect(await h.call('breakGlass.request', request(patientId!, { pin: '111111' }))).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('4 attempts left') },
    });
    expect(await h.call('chart.read', { patientId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect((await auditRows(`action = 'breakGlass.denied'`)).map((r) => r.detail)).toEqual([
      'invalid',
      'invalid',
      'invalid',
      'invalid',
      'unauthenticated',
    ]);

    const granted = await h.call<{ expiresAt: number }>('breakGlass.request', request(patientId!));
    expect(granted).toEqual({ ok: true, data: { expiresAt: h.time.now() + 60 * MINUTE } });
    const [started] = await auditRows(`action = 'breakGlass.start'`);
    expect(started).toMatchObject({
      outcome: 'success',
      user_id: 'nurse1',
      patient_id: patientId,
      purpose_of_use: 'ETREAT',
      justification: JUSTIFICATION,
    });

    const opened = await h.call<{ access: string; emergencyAccessUntil: number; sections: unknown }>('patients.open', {
      patientId,
    });
    expect(opened).toMatchObject({
      ok: true,
      data: { access: 'full', emergencyAccessUntil: h.time.now() + 60 * MINUTE },
    });
    expect((opened as { data: { sections: unknown } }).data.sections).not.toBeNull();
    expect(await h.call('chart.read', { patientId })).toMatchObject({ ok: true });
    // The grant covers that one patient only.
    expect(await h.call('patients.open', { patientId: otherPatient })).toMatchObject({
      ok: true,
      data: { access: 'restricted' },
    });
    expect(await h.call('chart.read', { patientId: otherPatient })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    // A second request for the same patient is refused while the first lasts.
    expect(await h.call('breakGlass.request', request(patientId!))).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT' },
    });

    const status = await h.status();
    expect(status.emergencyAccess).toMatchObject({
      allowed: true,
      grants: [{ patientId, expiresAt: h.time.now() + 60 * MINUTE }],
    });
    const views = await auditRows(`action = 'patient.read' AND grant_id IS NOT NULL`);
    expect(views).toHaveLength(2);
    for (const view of views)
      expect(view).toMatchObject({ patient_id: patientId, purpose_of_use: 'ETREAT', grant_id: started!.grant_id });
  });

  it('ends at expiry, and the chart is restricted again', async () => {
    const h = await start();
    await signedInWithPin(h, 'nurse1');
    const [patientId] = outsideCareTeam();
    expect(await h.call('breakGlass.request', request(patientId!))).toMatchObject({ ok: true });
    h.time.advance(30 * MINUTE);
    await h.call('session.activity');
    h.time.advance(29 * MINUTE);
    expect(await h.call('patients.open', { patientId })).toMatchObject({ ok: true, data: { access: 'full' } });
    const before = h.events.length;
    h.time.advance(MINUTE);
    // The window hears it at once (banner, chart), not at its next request.
    expect(h.events.slice(before).at(-1)?.emergencyAccess.grants).toEqual([]);
    expect(await h.call('patients.open', { patientId })).toMatchObject({
      ok: true,
      data: { access: 'restricted', sections: null },
    });
    expect(await auditRows(`action = 'breakGlass.stop'`)).toEqual([
      expect.objectContaining({ detail: 'expired', patient_id: patientId }),
    ]);
  });

  it('ends when the session stays locked beyond policy, on switch user, and survives a short lock', async () => {
    const h = await start({
      breakGlass: { endAfterLockedMinutes: 10 },
      lock: { idleSeconds: 3600, warningSeconds: 30 },
    });
    await signedInWithPin(h, 'nurse1');
    const [first, second] = outsideCareTeam();
    await h.call('breakGlass.request', request(first!));
    await h.call('session.lock');
    h.time.advance(9 * MINUTE);
    await h.call('session.unlock', { pin: PIN });
    expect(await h.call('patients.open', { patientId: first })).toMatchObject({ data: { access: 'full' } });
    await h.call('session.lock');
    h.time.advance(10 * MINUTE);
    const unlocked = await h.call('session.unlock', { pin: PIN });
    if (!unlocked.ok) throw new Error(JSON.stringify(unlocked));
    expect(await h.call('patients.open', { patientId: first })).toMatchObject({ data: { access: 'restricted' } });

    await h.call('breakGlass.request', request(second!));
    await h.call('session.end', { reason: 'switchUser' });
    expect((await auditRows(`action = 'breakGlass.stop'`)).map((r) => r.detail)).toEqual(['locked', 'switchUser']);
    await signedInWithPin(h, 'nurse1');
    expect(await h.call('patients.open', { patientId: second })).toMatchObject({ data: { access: 'restricted' } });
  });

  it('is refused to roles policy does not allow, and to front desk by role', async () => {
    const h = await start({ breakGlass: { roles: ['physician'] } });
    const [patientId] = outsideCareTeam();
    await signedInWithPin(h, 'nurse1');
    expect((await h.status()).emergencyAccess.allowed).toBe(false);
    expect(await h.call('breakGlass.request', request(patientId!))).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    await h.call('session.end', { reason: 'switchUser' });
    await signedInWithPin(h, stand.central.users.find((u) => u.role === 'frontDesk')!.username);
    expect(await h.call('breakGlass.request', request(patientId!))).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
  });

  it('denies access when the grant cannot be written durably, and grants nothing', async () => {
    const h = await start();
    await signedInWithPin(h, 'nurse1');
    const [patientId] = outsideCareTeam();
    // The disk refuses the write (simulated by the database itself refusing the grant row).
    const db = await rawDb();
    db.exec(
      `CREATE TRIGGER simulate_write_failure BEFORE INSERT ON break_glass_grants BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`,
    );
    db.close();
    const refused = await h.call('breakGlass.request', request(patientId!));
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE', message: expect.stringContaining('could not be recorded, so it was not granted') },
    });
    expect(await h.call('patients.open', { patientId })).toMatchObject({
      data: { access: 'restricted', sections: null },
    });
    expect(await h.call('chart.read', { patientId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // Neither the grant nor its audit entry exists: the transaction was all or nothing.
    expect(await auditRows(`action = 'breakGlass.start'`)).toEqual([]);
    const check = await rawDb();
    expect(check.prepare('SELECT count(*) AS n FROM break_glass_grants').get()).toEqual({ n: 0 });
    check.exec('DROP TRIGGER simulate_write_failure');
    check.close();
    expect(await h.call('breakGlass.request', request(patientId!))).toMatchObject({ ok: true });
  });

  it('shows the privacy officer who, which patient, why, what was viewed and how long; review is audited; alerts above the threshold', async () => {
    const h = await start({ breakGlass: { alertThresholdPerShift: 1 } });
    await signedInWithPin(h, 'nurse1');
    const [first, second] = outsideCareTeam();
    await h.call('breakGlass.request', request(first!));
    await h.call('patients.open', { patientId: first });
    h.time.advance(5 * MINUTE);
    await h.call('breakGlass.request', request(second!, { reason: 'BTG' }));
    await h.call('session.end', { reason: 'switchUser' });

    const officer = stand.central.users.find((u) => u.role === 'privacyOfficer')!;
    await signedInWithPin(h, officer.username);
    const queue = await h.call<{ items: Record<string, unknown>[]; alerts: unknown[] }>('breakGlass.reviewQueue');
    expect(queue.ok).toBe(true);
    const { items, alerts } = (queue as { data: { items: Record<string, unknown>[]; alerts: unknown[] } }).data;
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({
      userId: 'nurse1',
      userName: nurse().displayName,
      role: 'nurse',
      patientId: first,
      patientName: stand.cache.summaries.get(first!)!.name,
      reasonCode: 'ETREAT',
      reasonDisplay: 'Emergency treatment',
      justification: JUSTIFICATION,
      endReason: 'switchUser',
      viewed: [expect.objectContaining({ what: 'Chart opened' })],
    });
    expect(items[1]).toMatchObject({ patientId: second, reasonCode: 'BTG', viewed: [] });
    expect(alerts).toEqual([{ userId: 'nurse1', userName: nurse().displayName, count: 2, shiftHours: 12 }]);

    const grantId = items[0]!.grantId as string;
    expect(await h.call('breakGlass.markReviewed', { grantId, comment: '  ' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID' },
    });
    expect(
      await h.call('breakGlass.markReviewed', {
        grantId,
        comment: 'Confirmed with the charge nurse: genuine emergency.',
      }),
    ).toEqual({ ok: true, data: {} });
    expect(await h.call('breakGlass.markReviewed', { grantId, comment: 'again' })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT' },
    });
    const after = await h.call<{ items: { grantId: string }[] }>('breakGlass.reviewQueue');
    expect((after as { data: { items: { grantId: string }[] } }).data.items.map((i) => i.grantId)).not.toContain(
      grantId,
    );
    expect(await auditRows(`action IN ('breakGlass.review', 'breakGlass.alert')`)).toEqual([
      expect.objectContaining({ action: 'breakGlass.alert', user_id: 'nurse1' }),
      expect.objectContaining({ action: 'breakGlass.review', user_id: officer.username, grant_id: grantId }),
    ]);
    // The privacy officer sees no clinical data.
    expect(await h.call('patients.open', { patientId: first })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });

    // And the whole trail verifies.
    const db = await rawDb();
    try {
      expect(verifyAuditTrail(db, await loadAuditKey(keyStore, stand.dataDir, db))).toMatchObject({ ok: true });
    } finally {
      db.close();
    }
  });
});

interface HistoryItem {
  grantId: string;
  userId: string;
  patientId: string;
  startedAt: number;
  review: { reviewerId: string; reviewerName: string | null; reviewedAt: number; comment: string } | null;
}

describe('the review history: reviewer, time, comment; filters; an audited export (issue 16)', () => {
  it('lists reviewed and awaiting accesses as filtered, exports the filtered list to a file, audited with its count', async () => {
    const h = await start();
    await signedInWithPin(h, 'nurse1');
    const [first, second, third] = outsideCareTeam();
    // Twenty minutes apart (inside the idle lock), so a date range can pick one out.
    const startedAt = h.time.now();
    for (const [patientId, extra] of [
      [first, {}],
      [second, {}],
      [third, { reason: 'BTG' }],
    ] as const) {
      expect(await h.call('breakGlass.request', request(patientId!, extra))).toMatchObject({ ok: true });
      h.time.advance(20 * MINUTE);
    }
    const secondAt = startedAt + 20 * MINUTE;
    await h.call('session.end', { reason: 'switchUser' });

    const officer = stand.central.users.find((u) => u.role === 'privacyOfficer')!;
    await signedInWithPin(h, officer.username);
    const history = async (filter: Record<string, unknown>) => {
      const answer = await h.call<{ items: HistoryItem[]; users: { userId: string }[] }>(
        'breakGlass.reviewHistory',
        filter,
      );
      if (!answer.ok) throw new Error(answer.error.message);
      return answer.data;
    };
    const queue = await h.call<{ items: { grantId: string; patientId: string }[] }>('breakGlass.reviewQueue');
    const firstGrant = (queue as { data: { items: { grantId: string; patientId: string }[] } }).data.items.find(
      (i) => i.patientId === first,
    )!.grantId;
    const COMMENT = 'Synthetic: confirmed with the charge nurse, "genuine" emergency.';
    const reviewedAt = h.time.now();
    await h.call('breakGlass.markReviewed', { grantId: firstGrant, comment: COMMENT });

    const all = await history({});
    expect(all.items.map((i) => i.patientId)).toEqual([third, second, first]); // newest first
    expect(all.users).toEqual([{ userId: 'nurse1', userName: nurse().displayName }]);
    expect(all.items[2]!.review).toEqual({
      reviewerId: officer.username,
      reviewerName: officer.displayName,
      reviewedAt,
      comment: COMMENT,
    });
    expect(all.items[0]!.review).toBeNull();
    expect((await history({ status: 'reviewed' })).items.map((i) => i.patientId)).toEqual([first]);
    expect((await history({ status: 'awaiting' })).items.map((i) => i.patientId)).toEqual([third, second]);
    expect((await history({ from: secondAt, to: secondAt + MINUTE })).items.map((i) => i.patientId)).toEqual([second]);
    expect((await history({ userId: 'nurse2' })).items).toEqual([]);
    // A bad filter is refused and changes nothing.
    for (const bad of [{ status: 'open' }, { from: 10, to: 5 }, { userId: '' }, { extra: 1 }])
      expect(await h.call('breakGlass.reviewHistory', bad)).toMatchObject({ ok: false, error: { code: 'INVALID' } });

    const before = (await auditRows(`action = 'audit.export'`)).length;
    const exported = await h.call<{ path: string; fileName: string; count: number }>('breakGlass.exportReviews', {
      filter: { status: 'awaiting' },
      format: 'csv',
    });
    expect(exported).toMatchObject({ ok: true, data: { count: 2, fileName: expect.stringMatching(/\.csv$/) } });
    const { path: file } = (exported as { data: { path: string } }).data;
    expect(path.dirname(file)).toBe(path.join(stand.dataDir, 'exports'));
    const csv = fs.readFileSync(file, 'utf8').trim().split('\r\n');
    expect(csv).toHaveLength(3); // the header and the two awaiting accesses
    expect(csv[0]).toContain('"reviewer"');
    expect(csv.slice(1).every((line) => line.includes('"awaiting review"'))).toBe(true);
    expect(csv.join('\n')).toContain(stand.cache.summaries.get(third!)!.name);
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');

    const json = await h.call<{ path: string; count: number }>('breakGlass.exportReviews', {
      filter: { status: 'reviewed' },
      format: 'json',
    });
    const parsed = JSON.parse(fs.readFileSync((json as { data: { path: string } }).data.path, 'utf8')) as {
      items: HistoryItem[];
    };
    expect(parsed.items.map((i) => [i.patientId, i.review?.comment])).toEqual([[first, COMMENT]]);

    const exports = (await auditRows(`action = 'audit.export'`)).slice(before);
    expect(exports).toEqual([
      expect.objectContaining({
        user_id: officer.username,
        outcome: 'success',
        detail: 'breakGlass.reviews:csv:2-items:0-reviewed',
      }),
      expect.objectContaining({ detail: 'breakGlass.reviews:json:1-items:1-reviewed' }),
    ]);
    expect(await h.call('breakGlass.exportReviews', { filter: {}, format: 'xlsx' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID' },
    });

    // A clinician can neither read the history nor export it (audited as denials).
    await h.call('session.end', { reason: 'switchUser' });
    await signedInWithPin(h, 'nurse1');
    for (const [channel, body] of [
      ['breakGlass.reviewHistory', {}],
      ['breakGlass.exportReviews', { filter: {}, format: 'csv' }],
    ] as const) {
      expect(await h.call(channel, body)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect((await auditRows(`action = 'access.denied'`)).at(-1)).toMatchObject({ detail: `${channel}:role` });
    }
    expect(fs.readdirSync(path.join(stand.dataDir, 'exports'))).toHaveLength(2);
  });
});
