/**
 * Sessions through the core, as a window uses them: real OIDC sign-in at dev central (real HTTP,
 * the login form driven like a browser), real vault (SQLCipher + the OS keychain) holding the
 * same synthetic clinic, real scrypt PINs; time is a controllable clock with its timers, so idle
 * locks, the refresh schedule and the maximum session length run in milliseconds.
 */
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createCore } from '../../src-main/core.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import type { AuthBrowser } from '../../src-main/ports.ts';
import { workstationPolicyFor } from '../../dev/central/central.ts';
import { Policy } from '../../src-shared/policy/schema.ts';
import { FakeTime } from '../support/fake-time.ts';
import { openDatabase } from '../../src-main/vault/sqlcipher.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { PIN, signedInWithPin, type Harness, useCoreStand } from '../support/core-harness.ts';

const CLINIC = { seed: 11, patients: 30 };
const S = 1000;
const HOUR = 3_600_000;

const stand = useCoreStand({
  clinic: CLINIC,
  prefix: 'clinic-session-',
  central: { ...CLINIC, accessTokenTtlSeconds: 60 },
});

async function start(policy: Record<string, unknown> = {}, authBrowser?: AuthBrowser): Promise<Harness> {
  return stand.start(policy, authBrowser);
}

const userOf = (username: string) => {
  const user = stand.central.users.find((u) => u.username === username);
  if (!user) throw new Error(`no ${username}`);
  return user;
};
/** The audit trail's entries of one action, read through a second connection as IT's tools do. */
async function auditDetails(dir: string, action: string): Promise<{ outcome: string; detail: string | null }[]> {
  const db = openDatabase(path.join(dir, 'cache.db'), await keyStore.get(accountsFor(dir).current));
  try {
    return db.prepare('SELECT outcome, detail FROM audit_log WHERE action = ? ORDER BY seq').all(action) as {
      outcome: string;
      detail: string | null;
    }[];
  } finally {
    db.close();
  }
}

const firstOfRole = (role: string) => stand.central.users.find((u) => u.role === role)!.username;

describe('sign-in and PIN', () => {
  it('refuses PHI to nobody, signs a physician in at the provider, requires a PIN, then serves the care team fully', async () => {
    const h = await start();
    const physician = userOf('physician1');
    expect(await h.status()).toMatchObject({ state: 'signedOut', user: null, signInConfigured: true });
    const [patientId] = stand.cache.split(physician.practitionerId).mine;
    expect(patientId).toBeDefined();
    expect(await h.call('patients.open', { patientId })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHENTICATED' },
    });

    const signedIn = await h.signInAs('physician1');
    expect(signedIn).toMatchObject({
      state: 'pinSetup',
      user: { userId: 'physician1', displayName: physician.displayName, role: 'physician' },
      offline: false,
    });
    // No PHI before a PIN exists.
    expect(await h.call('patients.open', { patientId })).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
    // Trivial PINs are refused with the rule, and nothing is set.
    for (const trivial of ['123456', '000000', '12345']) {
      const refused = await h.call('session.setPin', { pin: trivial });
      expect(refused).toMatchObject({
        ok: false,
        error: { code: 'INVALID', message: expect.stringContaining('Choose another PIN') },
      });
      expect(JSON.stringify(refused)).not.toContain(trivial);
    }
    expect((await h.status()).state).toBe('pinSetup');
    expect(await h.call('session.setPin', { pin: PIN })).toMatchObject({ ok: true, data: { state: 'active' } });

    const opened = await h.call<{ patient: { id: string }; access: string }>('patients.open', { patientId });
    expect(opened).toMatchObject({ ok: true, data: { patient: { id: patientId }, access: 'full' } });
    const chart = await h.call<{ allergies: unknown[]; vitals: unknown[]; notes: unknown[] }>('chart.read', {
      patientId,
    });
    expect(chart.ok).toBe(true);
    expect(h.events.map((e) => e.state)).toEqual(['signedOut', 'pinSetup', 'active']);
    // The session events never carry a token or the PIN.
    expect(JSON.stringify(h.events)).not.toMatch(/eyJ|482913/);
  });

  it('serves a patient outside the care team as restricted and refuses the chart, audited as a denial', async () => {
    const h = await start();
    await signedInWithPin(h, 'physician1');
    const [other] = stand.cache.split(userOf('physician1').practitionerId).others;
    expect(other).toBeDefined();
    expect(await h.call('patients.open', { patientId: other })).toMatchObject({
      ok: true,
      data: { access: 'restricted' },
    });
    expect(await h.call('chart.read', { patientId: other })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', message: expect.stringContaining('restricted') },
    });
    expect(h.logger.entries).toContainEqual({
      level: 'warn',
      event: 'access.denied',
      fields: { channel: 'chart.read', reason: 'notOnCareTeam' },
    });
  });

  it('front desk sees demographics only; privacy officer and IT admin see no patient at all', async () => {
    const h = await start();
    const [patientId] = stand.cache.patientIds;
    await signedInWithPin(h, firstOfRole('frontDesk'));
    expect(await h.call('patients.open', { patientId })).toMatchObject({
      ok: true,
      data: { access: 'demographicsOnly' },
    });
    expect(await h.call('chart.read', { patientId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    for (const role of ['privacyOfficer', 'itAdmin']) {
      expect(await h.call('session.end', { reason: 'switchUser' })).toMatchObject({
        ok: true,
        data: { state: 'signedOut', endedReason: 'switchUser' },
      });
      await signedInWithPin(h, firstOfRole(role));
      expect(await h.call('patients.search', { query: 'a' })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      expect(await h.call('patients.open', { patientId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
  });
});

describe('sign-in failures', () => {
  it('a sign-in can be cancelled while the provider page is open, and nobody is signed in', async () => {
    let opened = 0;
    const h = await start({}, { open: async () => void opened++ });
    expect(await h.call('session.signIn')).toMatchObject({ ok: true, data: { signIn: { phase: 'waiting' } } });
    await vi.waitFor(() => expect(opened).toBe(1));
    // A second press while waiting keeps the one page.
    expect(await h.call('session.signIn')).toMatchObject({ ok: true, data: { signIn: { phase: 'waiting' } } });
    expect(await h.call('session.cancelSignIn')).toMatchObject({
      ok: true,
      data: { state: 'signedOut', signIn: { phase: 'idle' } },
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await h.status()).toMatchObject({ state: 'signedOut', user: null, signIn: { phase: 'idle' } });
    expect(opened).toBe(1);
  });

  it('a role the policy does not map is refused with a message for people, and nobody is signed in', async () => {
    const h = await start({ central: { ...workstationPolicyFor(stand.central), roleMap: { physician: 'physician' } } });
    const status = await h.signInAs('nurse1');
    expect(status).toMatchObject({
      state: 'signedOut',
      signIn: { phase: 'failed', message: expect.stringContaining('no role this workstation accepts') },
    });
  });

  it("without the clinic's identity provider in policy, sign-in is unavailable and says so", async () => {
    const time = new FakeTime();
    const core = await createCore({
      keyStore,
      clock: time,
      timers: time,
      paths: { dataDir: stand.dataDir },
      policy: Policy.parse({}),
      logger: createMemoryLogger(),
    });
    stand.closeAfter(core);
    expect(await core.invoke('session.status', {})).toMatchObject({ ok: true, data: { signInConfigured: false } });
    expect(await core.invoke('session.signIn', {})).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE', message: expect.stringContaining('Contact IT') },
    });
  });
});

describe('locking', () => {
  it('warns, then locks when idle; PHI is refused while locked; the PIN unlocks; a wrong one counts down', async () => {
    const h = await start({ lock: { idleSeconds: 60, warningSeconds: 10 } });
    await signedInWithPin(h, 'physician1');
    const [patientId] = stand.cache.split(userOf('physician1').practitionerId).mine;

    h.time.advance(49 * S);
    expect((await h.status()).state).toBe('active');
    h.time.advance(1 * S);
    const warning = await h.status();
    expect(warning).toMatchObject({ state: 'warning', lockDeadline: h.time.now() + 10 * S });
    // Input cancels the warning.
    expect(await h.call('session.activity')).toEqual({ ok: true, data: {} });
    expect((await h.status()).state).toBe('active');
    h.time.advance(60 * S);
    expect(await h.status()).toMatchObject({ state: 'locked', lockReason: 'idle', user: { userId: 'physician1' } });
    expect(h.events.map((e) => e.state).slice(-4)).toEqual(['warning', 'active', 'warning', 'locked']);
    expect(await h.call('patients.open', { patientId })).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
    expect(await h.call('chart.read', { patientId })).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
    expect(await h.call('patients.search', { query: 'a' })).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
    // Activity does not unlock.
    await h.call('session.activity');
    expect((await h.status()).state).toBe('locked');

    expect(await h.call('session.unlock', { pin: '999999' })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('4 attempts left') },
    });
    expect(await h.call('session.unlock', { pin: PIN })).toMatchObject({ ok: true, data: { state: 'active' } });
    expect(await h.call('patients.open', { patientId })).toMatchObject({ ok: true });
  });

  it('locks at once on the OS lock screen, suspend, a user switch and "Lock now"', async () => {
    const h = await start();
    await signedInWithPin(h, 'nurse1');
    for (const trigger of ['lock-screen', 'suspend', 'session-switch', 'manual'] as const) {
      if (trigger === 'manual')
        expect(await h.call('session.lock')).toMatchObject({
          ok: true,
          data: { state: 'locked', lockReason: 'manual' },
        });
      else h.power.emit(trigger);
      expect((await h.status()).state).toBe('locked');
      expect(await h.call('session.unlock', { pin: PIN })).toMatchObject({ ok: true, data: { state: 'active' } });
    }
  });

  it('five wrong PINs end the session; the PIN then works nowhere until a full sign-in', async () => {
    const h = await start();
    await signedInWithPin(h, 'physician1');
    await h.call('session.lock');
    for (let i = 1; i <= 4; i++)
      expect(await h.call('session.unlock', { pin: '999999' })).toMatchObject({
        ok: false,
        error: { code: 'UNAUTHENTICATED' },
      });
    expect(await h.call('session.unlock', { pin: '999999' })).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('Too many wrong PINs') },
    });
    expect(await h.status()).toMatchObject({ state: 'signedOut', user: null, endedReason: 'pinLockedOut' });
    // Offline, a lockout is not told apart from a wrong username or PIN (issue 17).
    expect(await h.call('session.signInOffline', { username: 'physician1', pin: PIN })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHENTICATED', message: OFFLINE_REFUSAL },
    });
    // A full sign-in clears the lockout and keeps the PIN.
    expect(await h.signInAs('physician1')).toMatchObject({ state: 'active' });
  });
});

const WRONG_PIN = '480173';
const NEW_PIN = '917364';
const OFFLINE_REFUSAL = expect.stringContaining('The username or PIN is not right');

describe('issue 17: PIN findings', () => {
  it('every offline refusal reads the same (unknown user, wrong PIN, locked out, expired); the reason only after a right PIN', async () => {
    const h = await start({ identity: { offlineSignInHours: 8, pinMaxFailures: 3 } });
    for (const username of ['nurse1', 'nurse2']) {
      await signedInWithPin(h, username);
      await h.call('session.end', { reason: 'signOut' });
    }
    const refusal = async (username: string, pin: string) => {
      const answer = await h.call('session.signInOffline', { username, pin });
      expect(answer.ok).toBe(false);
      return answer.ok ? null : answer.error;
    };
    const unknown = await refusal('nobody', PIN);
    expect(unknown).toEqual({ code: 'UNAUTHENTICATED', message: OFFLINE_REFUSAL });
    const seen = [await refusal('nurse1', WRONG_PIN)];
    // nurse1 locked out by wrong PINs: the refusal that locks out and every one after read the same,
    // right PIN or not (while locked out the answer never says whether the PIN was right).
    seen.push(await refusal('nurse1', WRONG_PIN), await refusal('nurse1', WRONG_PIN));
    seen.push(await refusal('nurse1', PIN), await refusal('nurse1', WRONG_PIN));
    // nurse2's offline window has passed: a wrong PIN reads the same, and counts.
    h.time.advance(8 * HOUR + S);
    seen.push(await refusal('nurse2', WRONG_PIN));
    for (const error of seen) expect(error).toEqual(unknown);
    // The right PIN, and only it, learns why.
    expect((await refusal('nurse2', PIN))?.message).toContain('expired');
  });

  it('a wrong PIN for an expired account counts toward the lockout (no free guesses for a reason)', async () => {
    const h = await start({ identity: { offlineSignInHours: 1, pinMaxFailures: 3 } });
    await signedInWithPin(h, 'nurse1');
    await h.call('session.end', { reason: 'signOut' });
    h.time.advance(HOUR + S);
    for (let i = 0; i < 3; i++)
      expect(await h.call('session.signInOffline', { username: 'nurse1', pin: WRONG_PIN })).toMatchObject({
        ok: false,
        error: { message: OFFLINE_REFUSAL },
      });
    // Locked out now: the right PIN no longer tells that the window expired.
    expect(await h.call('session.signInOffline', { username: 'nurse1', pin: PIN })).toMatchObject({
      ok: false,
      error: { message: OFFLINE_REFUSAL },
    });
  });

  it('replacing a PIN needs the current one (a wrong one counts toward lockout) or a fresh full sign-in; audited as a change', async () => {
    const h = await start({ identity: { pinMaxFailures: 3 }, lock: { idleSeconds: 3600, warningSeconds: 30 } });
    await signedInWithPin(h, 'nurse1');
    h.time.advance(10 * 60 * S); // the full sign-in is no longer fresh
    // Whoever has the unlocked session cannot simply replace the PIN.
    expect(await h.call('session.setPin', { pin: NEW_PIN })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', message: expect.stringContaining('current PIN') },
    });
    expect(await h.call('session.setPin', { pin: NEW_PIN, currentPin: WRONG_PIN })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('2 attempts left') },
    });
    // The old PIN still unlocks; the count was reset by that right PIN.
    await h.call('session.lock');
    expect(await h.call('session.unlock', { pin: PIN })).toMatchObject({ ok: true });
    expect(await h.call('session.setPin', { pin: NEW_PIN, currentPin: PIN })).toMatchObject({
      ok: true,
      data: { state: 'active' },
    });
    await h.call('session.lock');
    expect(await h.call('session.unlock', { pin: PIN })).toMatchObject({ ok: false });
    expect(await h.call('session.unlock', { pin: NEW_PIN })).toMatchObject({ ok: true });
    // Wrong current PINs up to the lockout end the session, as at the lock screen.
    for (let i = 0; i < 3; i++) await h.call('session.setPin', { pin: PIN, currentPin: WRONG_PIN });
    expect(await h.status()).toMatchObject({ state: 'signedOut', endedReason: 'pinLockedOut' });
    // A fresh full sign-in may replace the PIN without the current one.
    await h.signInAs('nurse1');
    expect(await h.call('session.setPin', { pin: PIN })).toMatchObject({ ok: true, data: { state: 'active' } });
    const trail = await auditDetails(stand.dataDir, 'session.pinSet');
    expect(trail).toEqual([
      { outcome: 'success', detail: 'set' },
      { outcome: 'failure', detail: 'change:currentPinRequired' },
      { outcome: 'failure', detail: 'change:wrongCurrentPin' },
      { outcome: 'success', detail: 'change:currentPin' },
      { outcome: 'failure', detail: 'change:wrongCurrentPin' },
      { outcome: 'failure', detail: 'change:wrongCurrentPin' },
      { outcome: 'failure', detail: 'change:wrongCurrentPin' },
      { outcome: 'success', detail: 'change:freshSignIn' },
    ]);
  });
});

describe('session end', () => {
  it('switch user ends the session completely before the next person signs in', async () => {
    const h = await start();
    await signedInWithPin(h, 'physician1');
    const [patientId] = stand.cache.split(userOf('physician1').practitionerId).mine;
    expect(await h.call('session.signIn')).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await h.call('session.end', { reason: 'switchUser' })).toMatchObject({
      ok: true,
      data: { state: 'signedOut', user: null },
    });
    expect(await h.call('patients.open', { patientId })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHENTICATED' },
    });
    expect(await h.call('session.unlock', { pin: PIN })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHENTICATED' },
    });
    await signedInWithPin(h, 'nurse1');
    expect((await h.status()).user?.userId).toBe('nurse1');
  });

  it('signs in with username + PIN within the offline window, and not after it', async () => {
    const h = await start({ identity: { offlineSignInHours: 8 } });
    await signedInWithPin(h, 'nurse1');
    await h.call('session.end', { reason: 'signOut' });
    expect(await h.call('session.signInOffline', { username: 'NURSE1', pin: '111111' })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHENTICATED' },
    });
    expect(await h.call('session.signInOffline', { username: 'nobody', pin: PIN })).toMatchObject({
      ok: false,
      error: { message: OFFLINE_REFUSAL },
    });
    expect(await h.call('session.signInOffline', { username: 'NURSE1', pin: PIN })).toMatchObject({
      ok: true,
      data: { state: 'active', offline: true, user: { userId: 'nurse1', role: 'nurse' } },
    });
    await h.call('session.end', { reason: 'signOut' });
    h.time.advance(8 * HOUR + S);
    expect(await h.call('session.signInOffline', { username: 'nurse1', pin: PIN })).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('expired') },
    });
  });

  it('ends the session at the policy maximum length, locked or not', async () => {
    const h = await start({ identity: { maxSessionHours: 1 }, lock: { idleSeconds: 3600, warningSeconds: 30 } });
    await signedInWithPin(h, 'physician1');
    await h.call('session.lock');
    h.time.advance(HOUR);
    expect(await h.status()).toMatchObject({ state: 'signedOut', endedReason: 'maxSession' });
  });

  it('a user disabled at the provider is signed out at the next refresh, and the PIN no longer signs in', async () => {
    const h = await start();
    await signedInWithPin(h, 'nurse2');
    try {
      // The refresh before expiry (60 s tokens: at half-life) still succeeds while enabled.
      h.time.advance(31 * S);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await h.status()).state).toBe('active');
      stand.central.disableUser('nurse2');
      h.time.advance(61 * S);
      await vi.waitFor(
        async () => expect(await h.status()).toMatchObject({ state: 'signedOut', endedReason: 'accessRevoked' }),
        { timeout: 10_000 },
      );
      expect(await h.call('session.signInOffline', { username: 'nurse2', pin: PIN })).toMatchObject({
        ok: false,
        error: { code: 'UNAUTHENTICATED' },
      });
    } finally {
      stand.central.enableUser('nurse2');
    }
  });
});
