/**
 * Drafts that survive the lock (issue 16), through the core as a window meets it: real sign-in at
 * dev central, real SQLCipher and keychain, real PINs; a controllable clock for the idle lock,
 * the grace period after it, break-glass expiry and draft expiry. The audit trail and the drafts
 * table are read back through a second connection, as IT's tools would.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_SAVE_GRACE_MS, PURGE_EVERY_MS } from '../../src-main/drafts/index.ts';
import { openDatabase, type Database } from '../../src-main/vault/sqlcipher.ts';
import { ok, PIN, signedInWithPin, type Harness, useCoreStand } from '../support/core-harness.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';

const CLINIC = { seed: 16, patients: 30 };
const S = 1000;
const MINUTE = 60 * S;
const HOUR = 60 * MINUTE;
// Synthetic text only: no real patient's words anywhere in a test.
const NOTE = { form: 'note', fields: { title: 'Progress note', text: 'Synthetic draft: cough two days, no fever' } };
const VITALS = {
  form: 'vitals',
  fields: {
    heartRate: '8',
    systolic: '120',
    diastolic: '',
    bodyTemperature: '37.',
    respiratoryRate: '',
    bodyWeight: '',
    oxygenSaturation: '',
    takenAt: '2026-12-03T14:05',
    temperatureUnit: '[degF]',
    weightUnit: 'kg',
  },
};

const stand = useCoreStand({ clinic: CLINIC, prefix: 'clinic-drafts-' });

async function start(policy: Record<string, unknown> = {}): Promise<Harness> {
  return stand.start({ lock: { idleSeconds: 3600, warningSeconds: 30 }, ...policy });
}

const practitionerOf = (username: string) => stand.central.users.find((u) => u.username === username)!.practitionerId;
const mineOf = (username: string) => stand.cache.split(practitionerOf(username)).mine;

async function rawDb(): Promise<Database> {
  return openDatabase(path.join(stand.dataDir, 'cache.db'), await keyStore.get(accountsFor(stand.dataDir).current));
}
async function rows(sql: string): Promise<Record<string, unknown>[]> {
  const db = await rawDb();
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}
const auditOf = (actions: string) =>
  rows(`SELECT action, outcome, user_id, patient_id, purpose_of_use, detail FROM audit_log
        WHERE action IN (${actions}) ORDER BY seq`);

type Mine = {
  drafts: { restorable: boolean; patientId?: string; draft?: unknown; form?: string }[];
  openChart: string | null;
};

describe('drafts that survive the lock', () => {
  it('keeps each user\u2019s drafts for that user only, encrypted in the cache, restores them audited per patient', async () => {
    const h = await start();
    await signedInWithPin(h, 'nurse1');
    const [first, second] = mineOf('nurse1');
    // Typing: many saves, one row per form, and no audit entry per keystroke.
    for (const text of ['S', 'Synth', NOTE.fields.text])
      expect(
        await h.call('drafts.save', { patientId: first, draft: { ...NOTE, fields: { ...NOTE.fields, text } } }),
      ).toMatchObject({ ok: true, data: { savedAt: h.time.now() } });
    await ok(h, 'drafts.save', { patientId: first, draft: VITALS });
    h.time.advance(S);
    await ok(h, 'drafts.save', { patientId: second, draft: NOTE });
    expect(await rows(`SELECT count(*) AS n FROM drafts`)).toEqual([{ n: 3 }]);
    // Encrypted with the rest of the cache: the typed text is in no file of the data folder.
    for (const file of readdirSync(stand.dataDir))
      if (statSync(path.join(stand.dataDir, file)).isFile())
        expect(readFileSync(path.join(stand.dataDir, file)).includes(NOTE.fields.text), file).toBe(false);
    expect(await auditOf(`'draft.restore', 'draft.discard', 'patient.create'`)).toEqual([]);
    expect(await rows(`SELECT count(*) AS n FROM audit_log WHERE detail LIKE 'drafts.%'`)).toEqual([{ n: 0 }]);

    // Given back newest first, with the fields exactly as typed; one restore entry per patient.
    const mine = await ok<Mine>(h, 'drafts.mine');
    expect(mine.drafts).toEqual([
      { restorable: true, patientId: second, draft: NOTE, updatedAt: h.time.now() },
      { restorable: true, patientId: first, draft: NOTE, updatedAt: h.time.now() - S },
      { restorable: true, patientId: first, draft: VITALS, updatedAt: h.time.now() - S },
    ]);
    expect(await auditOf(`'draft.restore'`)).toEqual([
      {
        action: 'draft.restore',
        outcome: 'success',
        user_id: 'nurse1',
        patient_id: second,
        purpose_of_use: 'TREAT',
        detail: 'drafts.mine',
      },
      {
        action: 'draft.restore',
        outcome: 'success',
        user_id: 'nurse1',
        patient_id: first,
        purpose_of_use: 'TREAT',
        detail: 'drafts.mine',
      },
    ]);

    // Switch user, keeping them: the next user sees none of them, and cannot discard them.
    await ok(h, 'session.end', { reason: 'switchUser' });
    await signedInWithPin(h, 'physician1');
    expect(await ok(h, 'drafts.count')).toEqual({ count: 0 });
    expect(await ok<Mine>(h, 'drafts.mine')).toEqual({ drafts: [], openChart: null });
    expect(await ok(h, 'drafts.discard', { all: true })).toEqual({ discarded: 0 });
    expect(await rows(`SELECT count(*) AS n FROM drafts`)).toEqual([{ n: 3 }]);

    // The author, back: all kept; discarding one form is audited with its patient.
    await ok(h, 'session.end', { reason: 'switchUser' });
    await signedInWithPin(h, 'nurse1');
    expect(await ok(h, 'drafts.count')).toEqual({ count: 3 });
    expect(await ok(h, 'drafts.discard', { patientId: first, form: 'vitals' })).toEqual({ discarded: 1 });
    expect(await ok(h, 'drafts.discard', { all: true })).toEqual({ discarded: 2 });
    const discards = await auditOf(`'draft.discard'`);
    const entry = (patientId: string | undefined, detail: string) => ({
      action: 'draft.discard',
      outcome: 'success',
      user_id: 'nurse1',
      patient_id: patientId,
      purpose_of_use: null,
      detail,
    });
    expect(discards[0]).toEqual(entry(first, 'vitals'));
    expect(discards.slice(1)).toHaveLength(2);
    expect(discards.slice(1)).toEqual(expect.arrayContaining([entry(first, 'all'), entry(second, 'all')]));
    expect(await ok<Mine>(h, 'drafts.mine')).toEqual({ drafts: [], openChart: null });
  });

  it('takes the window\u2019s last save just after an idle lock, not later; the same user gets it back at unlock', async () => {
    const h = await start({ lock: { idleSeconds: 60, warningSeconds: 10 } });
    await signedInWithPin(h, 'physician1');
    const [patientId] = mineOf('physician1');
    await ok(h, 'drafts.save', { patientId, draft: { ...NOTE, fields: { ...NOTE.fields, text: 'Synthetic' } } });
    h.time.advance(60 * S);
    expect(await h.status()).toMatchObject({ state: 'locked', lockReason: 'idle' });
    // The window heard of the lock after the fact: what it still had is taken, within the grace.
    h.time.advance(LOCK_SAVE_GRACE_MS - S);
    expect(await h.call('drafts.save', { patientId, draft: NOTE })).toMatchObject({ ok: true });
    h.time.advance(2 * S);
    expect(await h.call('drafts.save', { patientId, draft: VITALS })).toMatchObject({
      ok: false,
      error: { code: 'LOCKED' },
    });
    // Nothing else of the chart is served while locked, drafts included.
    expect(await h.call('drafts.mine')).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
    expect(await auditOf(`'access.denied'`)).toEqual([
      expect.objectContaining({ patient_id: patientId, detail: 'drafts.save:locked' }),
      expect.objectContaining({ detail: 'drafts.mine:locked' }),
    ]);

    expect(await h.call('session.unlock', { pin: PIN })).toMatchObject({ ok: true, data: { state: 'active' } });
    expect(await ok<Mine>(h, 'drafts.mine')).toMatchObject({ drafts: [{ restorable: true, patientId, draft: NOTE }] });
    // A manual lock after the unlock opens a new grace; a lock long ago does not count again.
    await ok(h, 'session.lock');
    expect(await h.call('drafts.save', { patientId, draft: VITALS })).toMatchObject({ ok: true });
    // The chart open at the lock is remembered for this user, given back once at the unlock.
    await ok(h, 'drafts.keepPlace', { patientId });
    await ok(h, 'session.unlock', { pin: PIN });
    expect((await ok<Mine>(h, 'drafts.mine')).openChart).toBe(patientId);
    expect((await ok<Mine>(h, 'drafts.mine')).openChart).toBeNull();
    // Past the grace, or for another user after a switch, nothing is remembered.
    await ok(h, 'session.lock');
    h.time.advance(LOCK_SAVE_GRACE_MS + S);
    expect(await h.call('drafts.keepPlace', { patientId })).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
    await ok(h, 'session.unlock', { pin: PIN });
    await ok(h, 'session.lock');
    await ok(h, 'drafts.keepPlace', { patientId });
    await ok(h, 'session.end', { reason: 'switchUser' });
    await signedInWithPin(h, 'physician1');
    expect((await ok<Mine>(h, 'drafts.mine')).openChart).toBeNull();
  });

  it('gives back nothing of a draft made under emergency access once the access ended', async () => {
    const h = await start();
    await signedInWithPin(h, 'nurse1');
    const [outside] = stand.cache.split(practitionerOf('nurse1')).others;
    // Without access, no draft is taken (and the refusal is audited with the patient).
    expect(await h.call('drafts.save', { patientId: outside, draft: NOTE })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await auditOf(`'access.denied'`)).toEqual([
      expect.objectContaining({ patient_id: outside, detail: 'drafts.save:notOnCareTeam' }),
    ]);
    await ok(h, 'breakGlass.request', {
      patientId: outside,
      reason: 'ETREAT',
      justification: 'Synthetic emergency: unresponsive, allergy history needed',
      pin: PIN,
    });
    await ok(h, 'drafts.save', { patientId: outside, draft: NOTE });
    expect(await ok<Mine>(h, 'drafts.mine')).toMatchObject({ drafts: [{ restorable: true, patientId: outside }] });
    expect(await auditOf(`'draft.restore'`)).toEqual([
      expect.objectContaining({ patient_id: outside, purpose_of_use: 'ETREAT' }),
    ]);

    // The grant's hour is over (someone at the keyboard meanwhile).
    h.time.advance(30 * MINUTE);
    await h.call('session.activity');
    h.time.advance(31 * MINUTE);
    await h.call('session.activity');
    const after = await ok<Mine>(h, 'drafts.mine');
    // Kept (the author may get access again before it expires), but nothing of it shown: no fields, no patient.
    expect(after).toEqual({
      drafts: [{ restorable: false, form: 'note', updatedAt: expect.any(Number) }],
      openChart: null,
    });
    expect(JSON.stringify(after)).not.toContain(outside);
    expect(await auditOf(`'draft.restore'`)).toHaveLength(1);
    expect(await h.call('drafts.save', { patientId: outside, draft: NOTE })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
  });

  it('expires drafts after policy drafts.expiryHours, purged on a timer and at sign-in, audited as counts', async () => {
    const h = await start({ drafts: { expiryHours: 2 } });
    await signedInWithPin(h, 'nurse1');
    const [first, second] = mineOf('nurse1');
    // Time passes with someone at the keyboard (no idle lock).
    const pass = async (ms: number) => {
      for (let left = ms; left > 0; left -= 30 * MINUTE) {
        h.time.advance(Math.min(left, 30 * MINUTE));
        await h.call('session.activity');
      }
    };
    await ok(h, 'drafts.save', { patientId: first, draft: NOTE });
    await pass(HOUR);
    await ok(h, 'drafts.save', { patientId: second, draft: NOTE });
    await pass(HOUR + S);
    // Past its two hours a draft is not given back, even before the purge ran.
    expect((await ok<Mine>(h, 'drafts.mine')).drafts).toMatchObject([{ patientId: second }]);
    expect(await ok(h, 'drafts.count')).toEqual({ count: 1 });
    await pass(PURGE_EVERY_MS);
    expect(await rows(`SELECT patient_id FROM drafts`)).toEqual([{ patient_id: second }]);
    expect(await auditOf(`'draft.purge'`)).toEqual([
      {
        action: 'draft.purge',
        outcome: 'success',
        user_id: 'nurse1',
        patient_id: null,
        purpose_of_use: null,
        detail: 'expired:1',
      },
    ]);

    // A later sign-in purges too (the timer may not have run: the app was closed meanwhile).
    await ok(h, 'session.end', { reason: 'switchUser' });
    h.time.advance(HOUR);
    await signedInWithPin(h, 'nurse1');
    expect(await rows(`SELECT count(*) AS n FROM drafts`)).toEqual([{ n: 0 }]);
    expect((await auditOf(`'draft.purge'`)).map((r) => r.detail)).toEqual(['expired:1', 'expired:1']);
  });

  it('refuses bad input with a clear error and changes nothing', async () => {
    const h = await start();
    await signedInWithPin(h, 'nurse1');
    const [patientId] = mineOf('nurse1');
    await ok(h, 'drafts.save', { patientId, draft: NOTE });
    const before = await rows(`SELECT patient_id, form, fields, updated_at FROM drafts`);
    const bad: [unknown, string][] = [
      [{ patientId, draft: { form: 'prescription', fields: {} } }, 'draft.form'],
      [{ patientId, draft: { form: 'note', fields: { title: 'x', text: 'y', extra: 1 } } }, 'draft.fields'],
      [{ patientId, draft: { form: 'note', fields: { title: 'x', text: 'y'.repeat(20_001) } } }, 'draft.fields.text'],
      [{ patientId, draft: { form: 'vitals', fields: { heartRate: 'eighty' } } }, 'draft.fields.heartRate'],
      [
        {
          patientId,
          draft: { form: 'allergyEdit', fields: { allergyId: '../x', criticality: '', clinicalStatus: '', note: '' } },
        },
        'draft.fields.allergyId',
      ],
      [{ patientId: "x' OR 1=1 --", draft: NOTE }, 'patientId'],
      [{ patientId, draft: NOTE, userId: 'physician1' }, ''],
    ];
    for (const [request, where] of bad) {
      const answer = await h.call('drafts.save', request);
      expect(answer, where).toMatchObject({ ok: false, error: { code: 'INVALID' } });
      if (!answer.ok) {
        expect(answer.error.message).toContain(where);
        // The message names the place and the rule, never what was typed.
        expect(answer.error.message).not.toContain('y'.repeat(50));
        expect(answer.error.message).not.toContain('eighty');
      }
    }
    expect(await h.call('drafts.discard', { patientId })).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(await h.call('drafts.discard', { all: false })).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(await rows(`SELECT patient_id, form, fields, updated_at FROM drafts`)).toEqual(before);
    // A role that writes no chart keeps no drafts.
    await ok(h, 'session.end', { reason: 'switchUser' });
    const frontDesk = stand.central.users.find((u) => u.role === 'frontDesk')!.username;
    await signedInWithPin(h, frontDesk);
    expect(await h.call('drafts.save', { patientId, draft: NOTE })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await h.call('drafts.mine')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await rows(`SELECT patient_id, form, fields, updated_at FROM drafts`)).toEqual(before);
  });
});
