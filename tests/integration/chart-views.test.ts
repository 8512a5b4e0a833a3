/**
 * Opening a chart records when it was last viewed on this workstation (what retention counts from,
 * sync/retention.ts): through the real core and router over a real vault, at most one write per
 * patient per minute, whatever access the clinician had.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src-main/core.ts';
import { openDatabase } from '../../src-main/vault/sqlcipher.ts';
import { startTestCentral, type Central } from '../support/central.ts';
import { signedInWithPin, startCore, type Harness } from '../support/core-harness.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { tempVaultDir } from '../support/vault-fixture.ts';
import { fillCache, type ClinicCache } from '../support/workstation.ts';

const CLINIC = { seed: 23, patients: 12 };

let central: Central;
let cache: ClinicCache;
let dataDir: string;
let remove: () => Promise<void>;
const running: Core[] = [];

beforeAll(async () => {
  central = await startTestCentral(CLINIC);
});
afterAll(() => central?.close());
beforeEach(async () => {
  ({ dataDir, remove } = tempVaultDir({ prefix: 'clinic-chart-views-' }));
  cache = await fillCache(dataDir, CLINIC);
});
afterEach(async () => {
  for (const core of running.splice(0)) await core.close();
  await remove();
});

async function start(): Promise<Harness> {
  const h = await startCore(central, dataDir, { lock: { idleSeconds: 3600, warningSeconds: 30 } });
  running.push(h.core);
  return h;
}

/** chart_views as a second connection reads it. */
async function views(): Promise<Record<string, number>> {
  const db = openDatabase(path.join(dataDir, 'cache.db'), await keyStore.get(accountsFor(dataDir).current));
  try {
    const rows = db.prepare('SELECT patient_id, viewed_at FROM chart_views').all() as {
      patient_id: string;
      viewed_at: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.patient_id, r.viewed_at]));
  } finally {
    db.close();
  }
}

describe('chart views (what retention counts from)', () => {
  it('records the open, once a minute at most, for each patient opened, restricted ones too', async () => {
    const h = await start();
    await signedInWithPin(h, 'nurse1');
    const [first, second] = cache.patientIds;
    expect(await views()).toEqual({});

    const openedAt = h.time.now();
    expect(await h.call('patients.open', { patientId: first })).toMatchObject({ ok: true });
    expect(await views()).toEqual({ [first!]: openedAt });

    h.time.advance(30_000);
    expect(await h.call('patients.open', { patientId: first })).toMatchObject({ ok: true });
    expect(await h.call('patients.open', { patientId: second })).toMatchObject({ ok: true });
    expect(await views()).toEqual({ [first!]: openedAt, [second!]: openedAt + 30_000 });

    h.time.advance(31_000);
    expect(await h.call('patients.open', { patientId: first })).toMatchObject({ ok: true });
    expect((await views())[first!]).toBe(openedAt + 61_000);
  });
});
