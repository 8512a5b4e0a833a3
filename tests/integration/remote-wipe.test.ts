/**
 * Remote wipe (issue 15): IT creates a `wipe` Task at dev central for this workstation's Device;
 * the next sync round finds it, ships the audit backlog (the order's own entry first), ends the
 * session, crypto-erases the cache and both keys, marks the Task completed, and the workstation
 * opens as WIPED from then on, restarts included. A Task for another workstation, or one central
 * garbles, does nothing. Real core, real SQLCipher, real keychain, real OIDC and HTTP.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WIPE_CODE, WORKSTATION_COMMAND_SYSTEM } from '../../src-shared/fleet/wipe-order.ts';
import type { WorkstationStatus } from '../../src-shared/ipc/contract.ts';
import type { SyncStatus } from '../../src-shared/sync/status.ts';
import { workstationPolicyFor } from '../../dev/central/central.ts';
import { auditKeyAccount } from '../../src-main/audit/index.ts';
import { vaultFiles } from '../../src-main/vault/index.ts';
import { fhirFetch, signIn, startTestCentral, type Central } from '../support/central.ts';
import { runTs } from '../support/child.ts';
import { signedInWithPin, startCore, type Harness, ok } from '../support/core-harness.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { tempVaultDir, type TempVaultDir } from '../support/vault-fixture.ts';
import { fillCache, type ClinicCache } from '../support/workstation.ts';

const CLINIC = { seed: 67, patients: 6 };
const POLICY = { lock: { idleSeconds: 3600, warningSeconds: 30 } };

let central: Central;
let itToken: string;
let h: Harness | null = null;
let dir: TempVaultDir | null = null;

beforeAll(async () => {
  central = await startTestCentral(CLINIC);
  itToken = (await signIn(central, 'nurse2')).accessToken;
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

async function read(pathAndQuery: string): Promise<Record<string, unknown> | null> {
  const response = await fhirFetch(central, itToken, pathAndQuery);
  return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : null;
}

/** What IT creates at central (docs/it-guide.md shows the same resource). */
async function orderWipe(deviceId: string): Promise<string> {
  const response = await fhirFetch(central, itToken, 'Task', {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Task',
      status: 'requested',
      intent: 'order',
      code: { coding: [{ system: WORKSTATION_COMMAND_SYSTEM, code: WIPE_CODE, display: 'Wipe the workstation' }] },
      focus: { reference: `Device/${deviceId}` },
      authoredOn: new Date().toISOString(),
      reasonCode: { text: 'Laptop reported stolen' },
    }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

const versionOf = (resource: Record<string, unknown> | null) =>
  (resource?.['meta'] as { versionId?: string } | undefined)?.versionId ?? null;

/** A round that reached central, and the fleet report after it (or the wipe instead). */
async function roundAndReport(harness: Harness, workstationId: string): Promise<void> {
  const before = versionOf(await read(`Device/${workstationId}`));
  harness.time.advance(1_000); // a new round's time: the report follows rounds by their lastSyncedAt
  expect((await ok<SyncStatus>(harness, 'sync.now')).connection).toBe('online');
  await vi.waitFor(async () => expect(versionOf(await read(`Device/${workstationId}`))).not.toBe(before), {
    timeout: 15_000,
  });
}

async function enrolledAndReported(cacheOut?: (cache: ClinicCache) => void): Promise<string> {
  dir = tempVaultDir({ prefix: 'clinic-wipe-' });
  const cache = await fillCache(dir.dataDir, CLINIC);
  cacheOut?.(cache);
  h = await startCore(central, dir.dataDir, POLICY);
  const workstationId = (await ok<WorkstationStatus>(h, 'workstation.status')).workstationId!;
  await signedInWithPin(h, 'nurse1');
  await roundAndReport(h, workstationId); // first contact registers the Device
  return workstationId;
}

const vaultCode = async (harness: Harness) => {
  const status = await ok<WorkstationStatus>(harness, 'workstation.status');
  return status.vault.state === 'error' ? status.vault.code : 'ready';
};

describe('remote wipe ordered at central', () => {
  it('ships the audit backlog, erases cache and keys, completes the Task, and stays wiped after a restart', async () => {
    const workstationId = await enrolledAndReported();
    const dataDir = dir!.dataDir;
    const files = vaultFiles(path.resolve(dataDir));
    expect(await keyStore.get(accountsFor(dataDir).current)).not.toBeNull();
    expect(await keyStore.get(auditKeyAccount(path.resolve(dataDir)))).not.toBeNull();
    expect(fs.existsSync(files.db)).toBe(true);

    const taskId = await orderWipe(workstationId);
    h!.time.advance(1_000);
    expect((await ok<SyncStatus>(h!, 'sync.now')).connection).toBe('online');
    await vi.waitFor(async () => expect(await vaultCode(h!)).toBe('WIPED'), { timeout: 60_000 });
    const status = await ok<WorkstationStatus>(h!, 'workstation.status');
    expect(status.vault).toMatchObject({ state: 'error', code: 'WIPED', title: 'This workstation was wiped by IT.' });
    expect((await h!.status()).state).toBe('signedOut');
    expect(h!.events.some((e) => e.endedReason === 'remoteWipe')).toBe(true);

    // Both keys gone from the real keychain; the cache file and its companions gone from disk.
    expect(await keyStore.get(accountsFor(dataDir).current)).toBeNull();
    expect(await keyStore.get(auditKeyAccount(path.resolve(dataDir)))).toBeNull();
    for (const file of [files.db, ...files.companions]) expect(fs.existsSync(file)).toBe(false);

    // The order's own entry and the session's end reached central before the erase: after it
    // nothing could have sent them (the audit key and the trail are gone).
    const wipeEvents = (await read(`AuditEvent?subtype=remote-wipe&_count=10`)) as {
      entry?: { resource: Record<string, unknown> }[];
    };
    const wipeEvent = wipeEvents.entry
      ?.map((e) => e.resource)
      .find((r) => JSON.stringify(r).includes(`task:${taskId}`));
    expect(wipeEvent, 'the remote-wipe AuditEvent is at central').toBeDefined();
    expect(JSON.stringify(wipeEvent)).toContain(workstationId);
    const ends = (await read(`AuditEvent?subtype=110123&_count=100`)) as {
      entry?: { resource: Record<string, unknown> }[];
    };
    expect(ends.entry?.some((e) => JSON.stringify(e.resource).includes('remoteWipe'))).toBe(true);

    // The Task is completed, with what was destroyed unsynced.
    expect(await read(`Task/${taskId}`)).toMatchObject({
      status: 'completed',
      output: [{ type: { coding: [{ code: 'unsynced-changes-destroyed' }] }, valueInteger: 0 }],
    });

    // Sign-in and charts are gone with the cache: the router refuses.
    expect(await h!.call('session.signIn')).toMatchObject({ ok: false });

    // A restart shows the same screen, never a fresh cache.
    await h!.core.close();
    h = await startCore(central, dataDir, POLICY);
    expect(await vaultCode(h)).toBe('WIPED');
    expect(fs.existsSync(files.db)).toBe(false);
    await h.core.close();
    h = null;
    const cli = await runTs('src-main/cli/main.ts', ['status', '--data-dir', dataDir, '--json']);
    expect(cli.stdout).toContain('WIPED');
    expect(fs.existsSync(files.db), 'ws status created nothing').toBe(false);

    // IT re-enrolls it: a new, empty cache under a new workstation id, and the app starts again.
    const policyFile = path.join(dataDir, 'policy.json');
    fs.writeFileSync(policyFile, JSON.stringify({ central: workstationPolicyFor(central) }));
    const enrolled = await runTs('src-main/cli/main.ts', ['enroll', '--data-dir', dataDir, '--json'], {
      ...process.env,
      CLINIC_POLICY_FILE: policyFile,
    });
    expect(JSON.parse(enrolled.stdout)).toMatchObject({ ok: true, reenrolled: true });
    expect(JSON.parse(enrolled.stdout).workstationId).not.toBe(workstationId);
    h = await startCore(central, dataDir, POLICY);
    expect(await vaultCode(h)).toBe('ready');
  }, 180_000);

  it('a Task for another workstation id does nothing', async () => {
    const workstationId = await enrolledAndReported();
    const otherTask = await orderWipe(`${workstationId.slice(0, -4)}beef`);
    await roundAndReport(h!, workstationId);
    expect(await vaultCode(h!)).toBe('ready');
    expect((await h!.status()).state).toBe('active');
    expect(await keyStore.get(accountsFor(dir!.dataDir).current)).not.toBeNull();
    expect(await read(`Task/${otherTask}`)).toMatchObject({ status: 'requested' });
  }, 120_000);

  it('a Task central garbles does nothing and is logged without its content or PHI', async () => {
    let cache: ClinicCache | null = null;
    const workstationId = await enrolledAndReported((c) => (cache = c));
    const taskId = await orderWipe(workstationId);
    central.faults.inject({ kind: 'invalid-resource', method: 'GET', path: /\/Task\?/, times: 1 });
    await roundAndReport(h!, workstationId);
    expect(await vaultCode(h!)).toBe('ready');
    expect(await read(`Task/${taskId}`)).toMatchObject({ status: 'requested' });
    const refused = h!.logger.entries.filter((e) => e.event === 'fleet.wipe-order-refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ fields: { malformed: 1, otherWorkstation: 0 } });
    const logged = JSON.stringify(h!.logger.entries);
    expect(logged).not.toContain('not a valid id');
    expect(logged).not.toContain('stolen');
    for (const p of cache!.summaries.values()) for (const v of [p.name, p.mrn]) if (v) expect(logged).not.toContain(v);
  }, 120_000);
});
