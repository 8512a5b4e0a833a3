/**
 * Fleet status (issue 15): after each sync round that reached central, the workstation updates its
 * own Device at dev central (app version, last contact, changes and audit entries waiting, policy
 * source), by its workstation id, with no PHI; dev central lists the fleet; `ws status` shows what
 * central was last told. Real core, real vault and keychain, real OIDC and HTTP to dev central.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APP_VERSION } from '../../src-shared/app-info.ts';
import type { SyncStatus } from '../../src-shared/sync/status.ts';
import { fhirFetch, signIn, startTestCentral, type Central } from '../support/central.ts';
import { runTs } from '../support/child.ts';
import { signedInWithPin, startCore, type Harness } from '../support/core-harness.ts';
import { tempVaultDir, type TempVaultDir } from '../support/vault-fixture.ts';
import { fillCache, type ClinicCache } from '../support/workstation.ts';

const CLINIC = { seed: 61, patients: 6 };

let central: Central;
let token: string;
let h: Harness | null = null;
let dir: TempVaultDir | null = null;

beforeAll(async () => {
  central = await startTestCentral(CLINIC);
  token = (await signIn(central, 'nurse2')).accessToken;
});
afterAll(async () => {
  await central?.close();
});
afterEach(async () => {
  await h?.core.close();
  await dir?.remove();
  h = dir = null;
});

async function ok<T>(harness: Harness, channel: string, request: unknown = {}): Promise<T> {
  const answer = await harness.call<T>(channel, request);
  if (!answer.ok) throw new Error(`${channel}: ${answer.error.code} ${answer.error.message}`);
  return answer.data;
}

async function deviceAtCentral(id: string): Promise<Record<string, unknown> | null> {
  const response = await fhirFetch(central, token, `Device/${id}`);
  return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : null;
}

/** Every name, id, MRN and birth date of the synthetic clinic's patients. */
function phiOf(cache: ClinicCache): string[] {
  return [...cache.summaries.values()].flatMap((p) => [p.id, p.name, p.mrn, p.birthDate].filter((v) => v !== null));
}

describe('fleet status at central', () => {
  it('each round that reached central updates the Device of this workstation; no PHI; ws status says what central was told', async () => {
    dir = tempVaultDir({ prefix: 'clinic-fleet-' });
    const cache = await fillCache(dir.dataDir, CLINIC);
    h = await startCore(central, dir.dataDir, { lock: { idleSeconds: 3600, warningSeconds: 30 } });
    const workstationId = (await ok<{ workstationId: string }>(h, 'workstation.status')).workstationId;
    expect(await deviceAtCentral(workstationId), 'not at central before any round').toBeNull();

    await signedInWithPin(h, 'nurse1');
    await ok<SyncStatus>(h, 'sync.now');
    await h.core.close(); // waits for the report in flight
    h = null;
    const device = await deviceAtCentral(workstationId);
    expect(device).toMatchObject({
      resourceType: 'Device',
      id: workstationId,
      identifier: [{ system: 'https://clinic.example/fhir/workstation-id', value: workstationId }],
      status: 'active',
      version: [{ value: APP_VERSION }],
      meta: { versionId: expect.any(String) },
    });
    const text = JSON.stringify(device);
    for (const phi of phiOf(cache)) expect(text).not.toContain(phi);
    expect(text).not.toContain('nurse1');

    // Dev central's fleet listing shows it, in a line.
    const fleet = (await (
      await fetch(`${new URL(central.fhirBaseUrl).origin}/fleet`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { workstations: Record<string, unknown>[] };
    const line = fleet.workstations.find((w) => w['workstationId'] === workstationId);
    expect(line).toMatchObject({
      appVersion: APP_VERSION,
      pendingChanges: 0,
      auditBacklog: expect.any(Number),
      policySource: 'built-in defaults',
      lastContact: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });

    // What the workstation last told central, from the cache, beside the running app or not.
    const status = await runTs('src-main/cli/main.ts', ['status', '--data-dir', dir.dataDir, '--json']);
    const report = JSON.parse(status.stdout) as { fleet: Record<string, unknown> };
    expect(report.fleet).toMatchObject({
      ok: true,
      lastReportedAt: line!['lastContact'],
      workstationId,
      appVersion: APP_VERSION,
      pendingChanges: 0,
      auditBacklog: line!['auditBacklog'],
    });

    // The next round updates the same Device: a new version, not a second workstation.
    h = await startCore(central, dir.dataDir, { lock: { idleSeconds: 3600, warningSeconds: 30 } });
    await signedInWithPin(h, 'nurse1');
    await ok<SyncStatus>(h, 'sync.now');
    await h.core.close();
    h = null;
    const again = await deviceAtCentral(workstationId);
    expect((again!['meta'] as { versionId: string }).versionId).not.toBe(
      (device!['meta'] as { versionId: string }).versionId,
    );
    const search = (await (await fhirFetch(central, token, `Device?identifier=${workstationId}`)).json()) as {
      entry?: unknown[];
    };
    expect(search.entry).toHaveLength(1);
  }, 120_000);

  it('a report central refuses changes nothing here and does not fail the round', async () => {
    dir = tempVaultDir({ prefix: 'clinic-fleet-refused-' });
    await fillCache(dir.dataDir, CLINIC);
    h = await startCore(central, dir.dataDir, { lock: { idleSeconds: 3600, warningSeconds: 30 } });
    await signedInWithPin(h, 'nurse1');
    central.faults.inject({ kind: 'status', status: 403, method: 'PUT', path: /\/Device\//, times: 10 });
    const round = await ok<SyncStatus>(h, 'sync.now');
    expect(round.connection).toBe('online');
    expect(round.problem).toBeNull();
    await h.core.close();
    h = null;
    central.faults.clear();
    const status = await runTs('src-main/cli/main.ts', ['status', '--data-dir', dir.dataDir, '--json']);
    expect((JSON.parse(status.stdout) as { fleet: unknown }).fleet).toEqual({ ok: true, lastReportedAt: null });
  }, 120_000);
});
