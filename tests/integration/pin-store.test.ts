/**
 * PINs over a real vault: SQLCipher files on disk, the key in the real OS keychain, real scrypt.
 * Time comes from a controllable clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Policy } from '../../src-shared/policy/schema.ts';
import { PinError } from '../../src-main/identity/errors.ts';
import { calibratedPinCost, hashPin, parsePinHash, verifyPin } from '../../src-main/identity/pin.ts';
import {
  checkOfflineSignIn,
  checkPin,
  pinStatus,
  recordFullSignIn,
  revokeOffline,
  setPin,
} from '../../src-main/identity/pin-store.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import type { Clock } from '../../src-main/ports.ts';
import { countResources, searchPatients, storeResources } from '../../src-main/records/repository.ts';
import { LATEST_SCHEMA_VERSION } from '../../src-main/migrations.ts';
import type { Vault } from '../../src-main/vault/vault.ts';
import { testPatient } from '../support/fhir.ts';
import { filesContaining } from '../support/temp.ts';
import { openTempVault, type TempVault } from '../support/vault-fixture.ts';

const HOUR = 3_600_000;
const policy = Policy.parse({}).identity; // pinMinLength 6, pinMaxFailures 5, offlineSignInHours 72
const USER = 'u-7f3a9c21';
const PIN = '480137';
const WRONG = '480173';

let dataDir: string;
let temp: TempVault;
let vault: Vault;
const logger = createMemoryLogger();

function testClock(start = Date.UTC(2025, 4, 1, 8)): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms), set: (ms) => void (t = ms) };
}
let clock: ReturnType<typeof testClock>;

async function signedInWithPin(userId = USER, pin = PIN): Promise<void> {
  recordFullSignIn(vault.db, userId, clock, logger);
  await setPin(vault.db, userId, pin, policy, clock, clock.now(), logger);
}

beforeEach(async () => {
  temp = await openTempVault({ prefix: 'clinic-pin-', subdir: 'cache', logger });
  ({ vault, dataDir } = temp);
  clock = testClock();
});
afterEach(() => temp.close());

describe('setting and checking a PIN', () => {
  it('set after a full sign-in, then the right PIN unlocks and a wrong one does not', async () => {
    await signedInWithPin();
    expect(await checkPin(vault.db, USER, PIN, policy, clock)).toEqual({ ok: true });
    expect(await checkPin(vault.db, USER, WRONG, policy, clock)).toEqual({ ok: false, reason: 'wrong', remaining: 4 });
    // A right PIN resets the count.
    expect(await checkPin(vault.db, USER, PIN, policy, clock)).toEqual({ ok: true });
    expect(await checkPin(vault.db, USER, WRONG, policy, clock)).toEqual({ ok: false, reason: 'wrong', remaining: 4 });
  });

  it('a user without a PIN gets noPin, and other users are separate', async () => {
    expect(await checkPin(vault.db, USER, PIN, policy, clock)).toEqual({ ok: false, reason: 'noPin' });
    recordFullSignIn(vault.db, USER, clock);
    expect(await checkPin(vault.db, USER, PIN, policy, clock)).toEqual({ ok: false, reason: 'noPin' });
    await signedInWithPin('u-other', '902761');
    await signedInWithPin();
    expect(await checkPin(vault.db, 'u-other', PIN, policy, clock)).toMatchObject({ ok: false, reason: 'wrong' });
    expect(await checkPin(vault.db, USER, PIN, policy, clock)).toEqual({ ok: true });
  });

  it('refuses trivial PINs with typed reasons, and a PIN without a recent full sign-in', async () => {
    recordFullSignIn(vault.db, USER, clock);
    const refusal = await setPin(vault.db, USER, '123456', policy, clock, clock.now()).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(PinError);
    expect(refusal).toMatchObject({ code: 'PIN_RULES', reasons: ['sequence'] });
    expect((refusal as Error).message).not.toContain('123456');
    await expect(setPin(vault.db, USER, '4801', policy, clock, clock.now())).rejects.toMatchObject({
      code: 'PIN_RULES',
      reasons: ['tooShort'],
    });

    // The full sign-in must be recent (within the policy session length) and not in the future.
    await expect(setPin(vault.db, USER, PIN, policy, clock, clock.now() - 13 * HOUR)).rejects.toMatchObject({
      code: 'FULL_SIGN_IN_REQUIRED',
    });
    await expect(setPin(vault.db, USER, PIN, policy, clock, clock.now() + 1)).rejects.toMatchObject({
      code: 'FULL_SIGN_IN_REQUIRED',
    });
    expect(pinStatus(vault.db, USER, policy, clock).hasPin).toBe(false);
  });

  it('validates every input with a typed error that never quotes it', async () => {
    await signedInWithPin();
    const cases: [string, () => unknown][] = [
      ['user id with a name', () => checkPin(vault.db, 'dr.smith@clinic.example', PIN, policy, clock)],
      ['empty user id', () => checkPin(vault.db, '', PIN, policy, clock)],
      ['PIN with letters', () => checkPin(vault.db, USER, '48O137', policy, clock)],
      ['PIN too long', () => checkPin(vault.db, USER, '4801374801374', policy, clock)],
      ['PIN as a number', () => checkPin(vault.db, USER, 480137 as unknown as string, policy, clock)],
      ['bad policy', () => checkPin(vault.db, USER, PIN, { ...policy, pinMaxFailures: 0 }, clock)],
      ['bad clock', () => checkPin(vault.db, USER, PIN, policy, { now: () => Number.NaN })],
      ['setPin PIN not a string', () => setPin(vault.db, USER, null as unknown as string, policy, clock, clock.now())],
      ['setPin bad time', () => setPin(vault.db, USER, '902761', policy, clock, -1)],
      ['revoke bad id', () => revokeOffline(vault.db, 'a b', clock)],
      ['full sign-in bad id', () => recordFullSignIn(vault.db, 'x'.repeat(200), clock)],
    ];
    for (const [name, run] of cases) {
      const error = await Promise.resolve()
        .then(run)
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error, name).toBeInstanceOf(PinError);
      expect((error as PinError).code, name).toBe('INVALID_INPUT');
      expect((error as PinError).message, name).not.toMatch(/48O137|480137|dr\.smith/);
    }
    // None of them counted as a wrong PIN.
    expect(await checkPin(vault.db, USER, WRONG, policy, clock)).toEqual({ ok: false, reason: 'wrong', remaining: 4 });
  });
});

describe('lockout', () => {
  it('five wrong PINs lock the user out; the right PIN then still gets lockedOut; a full sign-in clears it', async () => {
    await signedInWithPin();
    for (let remaining = 4; remaining >= 1; remaining--) {
      expect(await checkPin(vault.db, USER, WRONG, policy, clock)).toEqual({ ok: false, reason: 'wrong', remaining });
    }
    expect(await checkPin(vault.db, USER, WRONG, policy, clock)).toEqual({
      ok: false,
      reason: 'lockedOut',
      remaining: 0,
    });
    // Right or wrong, the answer is the same: it never reveals whether the PIN was right.
    expect(await checkPin(vault.db, USER, PIN, policy, clock)).toEqual({
      ok: false,
      reason: 'lockedOut',
      remaining: 0,
    });
    expect(await checkPin(vault.db, USER, WRONG, policy, clock)).toEqual({
      ok: false,
      reason: 'lockedOut',
      remaining: 0,
    });
    expect(await checkOfflineSignIn(vault.db, USER, PIN, policy, clock)).toEqual({
      ok: false,
      reason: 'lockedOut',
      remaining: 0,
    });
    // Setting a new PIN with a full sign-in from before the lockout is refused.
    await expect(setPin(vault.db, USER, '902761', policy, clock, clock.now())).rejects.toMatchObject({
      code: 'FULL_SIGN_IN_REQUIRED',
    });
    // Time alone does not clear it.
    clock.advance(48 * HOUR);
    expect(await checkPin(vault.db, USER, PIN, policy, clock)).toEqual({
      ok: false,
      reason: 'lockedOut',
      remaining: 0,
    });
    expect(pinStatus(vault.db, USER, policy, clock).lockedOut).toBe(true);

    recordFullSignIn(vault.db, USER, clock);
    expect(await checkPin(vault.db, USER, PIN, policy, clock)).toEqual({ ok: true });
    expect(await checkPin(vault.db, USER, WRONG, policy, clock)).toEqual({ ok: false, reason: 'wrong', remaining: 4 });
  });

  it('follows the policy number of failures, and parallel wrong PINs cannot overshoot it', async () => {
    await signedInWithPin();
    const strict = { ...policy, pinMaxFailures: 3 };
    const results = await Promise.all(
      [WRONG, '480731', '408137', '840137', '480317'].map((pin) =>
        checkPin(vault.db, USER, pin, strict, clock, logger),
      ),
    );
    expect(results.map((r) => (r.ok ? 'ok' : r.reason)).sort()).toEqual([
      'lockedOut',
      'lockedOut',
      'lockedOut',
      'wrong',
      'wrong',
    ]);
    expect(await checkPin(vault.db, USER, PIN, strict, clock)).toEqual({
      ok: false,
      reason: 'lockedOut',
      remaining: 0,
    });
    expect(vault.db.prepare('SELECT failures FROM identity_pins WHERE user_id = ?').get(USER)).toEqual({ failures: 3 });
    const refused = logger.entries.filter((e) => e.event === 'identity.pin.refused');
    expect(refused.map((e) => e.fields?.reason)).toContain('lockedOut');
  });
});

describe('offline sign-in', () => {
  it('works only within policy offlineSignInHours since the last full sign-in', async () => {
    await signedInWithPin();
    clock.advance(71 * HOUR);
    expect(await checkOfflineSignIn(vault.db, USER, PIN, policy, clock)).toEqual({ ok: true });
    expect(await checkOfflineSignIn(vault.db, USER, WRONG, policy, clock)).toEqual({
      ok: false,
      reason: 'wrong',
      remaining: 4,
    });
    clock.advance(1 * HOUR);
    expect(await checkOfflineSignIn(vault.db, USER, PIN, policy, clock)).toEqual({ ok: true }); // exactly 72 h
    clock.advance(1);
    expect(await checkOfflineSignIn(vault.db, USER, PIN, policy, clock)).toEqual({
      ok: false,
      reason: 'offlineWindowExpired',
    });
    expect(pinStatus(vault.db, USER, policy, clock).offlineUntil).toBeNull();
    // Unlocking one's own locked session is not bound to the offline window.
    expect(await checkPin(vault.db, USER, PIN, policy, clock)).toEqual({ ok: true });

    recordFullSignIn(vault.db, USER, clock);
    expect(await checkOfflineSignIn(vault.db, USER, PIN, policy, clock)).toEqual({ ok: true });
    expect(pinStatus(vault.db, USER, policy, clock).offlineUntil).toBe(clock.now() + 72 * HOUR);
  });

  it('is never allowed with offlineSignInHours 0, nor with a clock set back before the last full sign-in', async () => {
    await signedInWithPin();
    expect(await checkOfflineSignIn(vault.db, USER, PIN, { ...policy, offlineSignInHours: 0 }, clock)).toEqual({
      ok: false,
      reason: 'offlineWindowExpired',
    });
    clock.advance(-1 * HOUR);
    expect(await checkOfflineSignIn(vault.db, USER, PIN, policy, clock)).toEqual({
      ok: false,
      reason: 'offlineWindowExpired',
    });
  });
});

describe('access termination', () => {
  it('revokeOffline stops the PIN until the next full sign-in', async () => {
    await signedInWithPin();
    expect(revokeOffline(vault.db, USER, clock, logger)).toBe(true);
    expect(await checkOfflineSignIn(vault.db, USER, PIN, policy, clock)).toEqual({ ok: false, reason: 'revoked' });
    expect(await checkPin(vault.db, USER, PIN, policy, clock)).toEqual({ ok: false, reason: 'revoked' });
    expect(pinStatus(vault.db, USER, policy, clock)).toMatchObject({ revoked: true, offlineUntil: null });
    await expect(setPin(vault.db, USER, '902761', policy, clock, clock.now() - 1)).rejects.toMatchObject({
      code: 'FULL_SIGN_IN_REQUIRED',
    });
    expect(revokeOffline(vault.db, 'u-never-seen', clock)).toBe(false);

    clock.advance(1000);
    recordFullSignIn(vault.db, USER, clock);
    expect(await checkOfflineSignIn(vault.db, USER, PIN, policy, clock)).toEqual({ ok: true });
  });
});

describe('stored hashes', () => {
  it('a hash with weaker parameters is replaced at the next right PIN', async () => {
    await signedInWithPin();
    const weak = await hashPin(PIN, { N: 1024, r: 8, p: 1, keylen: 32 });
    vault.db.prepare('UPDATE identity_pins SET pin_hash = ? WHERE user_id = ?').run(weak, USER);
    expect(await checkPin(vault.db, USER, PIN, policy, clock)).toEqual({ ok: true });
    const stored = (
      vault.db.prepare('SELECT pin_hash FROM identity_pins WHERE user_id = ?').get(USER) as { pin_hash: string }
    ).pin_hash;
    // Upgraded to this workstation's calibrated cost, not a fixed one (issue 17).
    const { N, r, p } = await calibratedPinCost();
    expect(parsePinHash(stored)).toMatchObject({ N, r, p });
    expect(await checkPin(vault.db, USER, PIN, policy, clock)).toEqual({ ok: true });
  });

  it('a PIN set here is stored at a cost whose check takes 100-300 ms of CPU on this machine (issue 17)', async () => {
    // The fixed N = 2^15 measured 74-86 ms here, under the budget. CPU time of this process, not
    // wall time, so a busy shared machine does not make a weak cost look slow enough; the least of
    // three checks is the machine's own speed.
    await signedInWithPin();
    const stored = (
      vault.db.prepare('SELECT pin_hash FROM identity_pins WHERE user_id = ?').get(USER) as { pin_hash: string }
    ).pin_hash;
    const costs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = process.cpuUsage();
      expect((await verifyPin(PIN, stored)).ok).toBe(true);
      const used = process.cpuUsage(before);
      costs.push((used.user + used.system) / 1000);
    }
    const least = Math.min(...costs);
    expect(least).toBeGreaterThanOrEqual(100);
    expect(least).toBeLessThanOrEqual(300);
  });

  it('the PIN is never stored in clear: not in the column, not in any file of the data folder', async () => {
    const pin = '730194';
    await signedInWithPin(USER, pin);
    expect(await checkPin(vault.db, USER, pin, policy, clock)).toEqual({ ok: true });
    const rows = vault.db.prepare('SELECT * FROM identity_pins').all() as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(pin);
    expect(String(rows[0]!.pin_hash)).toMatch(/^scrypt\$/);
    vault.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(filesContaining(dataDir, pin)).toEqual([]);
    expect(filesContaining(dataDir, String(rows[0]!.pin_hash).split('$')[5]!)).toEqual([]); // encrypted at rest too
    // Nor in the log.
    expect(JSON.stringify(logger.entries)).not.toContain(pin);
    expect(JSON.stringify(logger.entries)).not.toContain(USER);
  });
});

describe('schema migration 1 -> 2', () => {
  it('adds the identity table to a version-1 cache and keeps its records', async () => {
    expect(vault.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(LATEST_SCHEMA_VERSION).toBeGreaterThanOrEqual(2);
    storeResources(vault.db, [
      testPatient('p1', 'Quorva', 'Zentrell', 'MRN-1001'),
      testPatient('p2', 'Bexley', 'Zentrell', 'MRN-1002'),
    ]);
    // A cache as version 1 left it: none of the later capabilities' tables.
    for (const { name } of vault.db
      .prepare(
        `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN ('resources', 'patients') AND name NOT LIKE 'patients_fts%' AND name NOT LIKE 'sqlite_%'`,
      )
      .all() as { name: string }[]) {
      vault.db.exec(`DROP TABLE ${name}`);
    }
    vault.db.pragma('user_version = 1');
    vault.close();

    vault = await temp.reopen();
    expect(vault.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(countResources(vault.db)).toBe(2);
    expect(
      searchPatients(vault.db, 'Zentrell', 10)
        .map((p) => p.id)
        .sort(),
    ).toEqual(['p1', 'p2']);
    await signedInWithPin();
    expect(await checkPin(vault.db, USER, PIN, policy, clock)).toEqual({ ok: true });
  });
});
