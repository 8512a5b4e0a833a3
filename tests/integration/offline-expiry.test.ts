/**
 * Offline expiry (issue 15): a workstation that has not reached central for policy
 * cache.maxOfflineDays stops offering PIN sign-in and charts until central is reached again; the
 * count survives a restart and a clock turned back; a clock set forward fails closed; a full
 * sign-in online clears it. Real core, vault, keychain, OIDC and HTTP; the Clock port moved by hand.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SessionStatus } from '../../src-shared/session/status.ts';
import type { SyncStatus } from '../../src-shared/sync/status.ts';
import { startTestCentral, type Central } from '../support/central.ts';
import { PIN, signedInWithPin, startCore, type Harness, ok } from '../support/core-harness.ts';
import { tempVaultDir, type TempVaultDir } from '../support/vault-fixture.ts';
import { fillCache } from '../support/workstation.ts';

const CLINIC = { seed: 71, patients: 6 };
const DAY = 86_400_000;
const POLICY = { lock: { idleSeconds: 3600, warningSeconds: 30 }, cache: { maxOfflineDays: 1 } };
const EXPIRED = expect.stringContaining('has not reached the clinic');

let central: Central;
let h: Harness | null = null;
let dir: TempVaultDir | null = null;

beforeAll(async () => {
  central = await startTestCentral(CLINIC);
});
afterAll(async () => {
  await central?.close();
});
afterEach(async () => {
  central.faults.clear();
  await h?.core.close();
  await dir?.remove();
  h = dir = null;
});

const offlineCentral = () => {
  central.faults.inject({ kind: 'unreachable', times: Infinity });
  central.faults.inject({ kind: 'unreachable', times: Infinity, service: 'idp' });
};
const pinSignIn = (harness: Harness) =>
  harness.call<SessionStatus>('session.signInOffline', { username: 'nurse1', pin: PIN });
const search = (harness: Harness) => harness.call('patients.search', { query: 'a' });

describe('offline expiry', () => {
  it('past the window: PIN sign-in refused, also after a restart and with the clock turned back; a full sign-in clears it', async () => {
    dir = tempVaultDir({ prefix: 'clinic-offline-' });
    await fillCache(dir.dataDir, CLINIC);
    h = await startCore(central, dir.dataDir, POLICY);
    await signedInWithPin(h, 'nurse1');
    expect((await ok<SyncStatus>(h, 'sync.now')).connection).toBe('online');
    await ok(h, 'session.end', { reason: 'signOut' });

    // Within the window a PIN signs in offline.
    offlineCentral();
    h.time.advance(DAY - 60_000);
    expect(await pinSignIn(h)).toMatchObject({ ok: true, data: { state: 'active', offline: true } });
    expect(await search(h)).toMatchObject({ ok: true });
    await ok(h, 'session.end', { reason: 'signOut' });

    // Past it: refused with what happened and what to do; the status says so.
    h.time.advance(2 * 60_000);
    expect(await pinSignIn(h)).toEqual({ ok: false, error: { code: 'UNAVAILABLE', message: EXPIRED } });
    expect((await h.status()).centralContact).toMatchObject({ expired: true, maxOfflineDays: 1, message: EXPIRED });

    // A restart does not reset it, nor does turning the clock back by days.
    await h.core.close();
    h = await startCore(central, dir.dataDir, POLICY);
    // (Its fake clock starts over, a day behind the last reading: that adds nothing, takes nothing.)
    expect(await pinSignIn(h)).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    h.time.wallOffset -= 5 * DAY;
    expect(await pinSignIn(h)).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect((await h.status()).centralContact.expired).toBe(true);

    // Central reachable again, the clock put right: a full sign-in works and clears the expiry.
    h.time.wallOffset += 5 * DAY;
    central.faults.clear();
    expect(await h.signInAs('nurse1')).toMatchObject({ state: 'active', offline: false });
    expect((await h.status()).centralContact).toMatchObject({ expired: false, message: null });
    expect(await search(h)).toMatchObject({ ok: true });
    await ok(h, 'session.end', { reason: 'signOut' });
    expect(await pinSignIn(h)).toMatchObject({ ok: true });
  }, 120_000);

  it('charts refuse with UNAVAILABLE once the window passes in a running session (a clock set forward fails closed); a sync round clears it', async () => {
    dir = tempVaultDir({ prefix: 'clinic-offline-chart-' });
    await fillCache(dir.dataDir, CLINIC);
    h = await startCore(central, dir.dataDir, POLICY);
    await signedInWithPin(h, 'nurse1');
    expect(await search(h)).toMatchObject({ ok: true });

    offlineCentral();
    h.time.wallOffset += 2 * DAY; // no timer fires: only the wall clock moved
    expect(await search(h)).toEqual({ ok: false, error: { code: 'UNAVAILABLE', message: EXPIRED } });
    expect(await h.call('patients.pane', {})).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect((await ok<SyncStatus>(h, 'sync.now')).connection).toBe('offline');
    expect(await search(h)).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });

    // A sync round that reads from central under the user's token is contact too.
    central.faults.clear();
    expect((await ok<SyncStatus>(h, 'sync.now')).connection).toBe('online');
    expect(await search(h)).toMatchObject({ ok: true });
  }, 120_000);
});
