/**
 * The IT admin's workstation status screen (issue 16), through the router of a real core: a real
 * vault, the real keychain, dev central. Only the IT admin may read it, every other role is
 * refused (and the refusal audited); the answer says what `ws status` says, holds no PHI, and
 * each read is in the audit trail as a read of the workstation's status, about no patient.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { WorkstationHealth } from '../../src-shared/ipc/contract.ts';
import { openDatabase } from '../../src-main/vault/sqlcipher.ts';
import { APP_VERSION } from '../../src-shared/app-info.ts';
import { ok, signedInWithPin, type Harness, useCoreStand } from '../support/core-harness.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';

const CLINIC = { seed: 31, patients: 12 };
const recovery = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

const stand = useCoreStand({ clinic: CLINIC, prefix: 'clinic-health-' });

async function start(policy: Record<string, unknown> = {}): Promise<Harness> {
  return stand.start(policy);
}

const firstOfRole = (role: string) => stand.central.users.find((u) => u.role === role)!.username;

async function auditRows(sql: string): Promise<unknown[]> {
  const db = openDatabase(
    path.join(stand.dataDir, 'cache.db'),
    (await keyStore.get(accountsFor(stand.dataDir).current))!,
  );
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

describe('workstation.health', () => {
  it("answers the IT admin with the vault, keychain, escrow, policy and backlogs, audited, with no patient's data", async () => {
    const h = await start({ vault: { recoveryPublicKeyPem: recovery } });
    await signedInWithPin(h, firstOfRole('itAdmin'));

    const health = await ok<WorkstationHealth>(h, 'workstation.health');
    expect(health).toMatchObject({
      appVersion: APP_VERSION,
      vault: {
        open: true,
        fileEncrypted: true,
        cipher: { cipher: 'sqlcipher', legacy: 4, hmacAlgorithm: 'HMAC-SHA512', hmacUse: true, plaintextHeaderSize: 0 },
      },
      keychain: { reachable: true, keyPresent: true },
      escrow: { recoveryKeyInPolicy: true, present: true, verified: true },
      // The harness passes a policy object and no source: the built-in defaults' place, not IT's file.
      policy: { source: 'built-in defaults', managed: false },
      sync: { pending: 0, held: 0, conflicts: 0 },
      central: { configured: true, maxOfflineDays: expect.any(Number), expired: false },
      fleet: { lastReportedAt: null },
      remoteWipe: { inProgress: false, lastCheckedAt: null },
    });
    expect(health.vault.schemaVersion).toBeGreaterThanOrEqual(12);
    expect(health.workstationId).toMatch(/^ws-/);
    // The IT admin's own sign-in is in the trail, not yet shipped.
    expect(health.audit.entries).toBeGreaterThan(0);
    expect(health.audit.unshipped).toBeGreaterThan(0);

    // Nothing of any patient in the cache: no id, name, MRN or birth date.
    const text = JSON.stringify(health);
    for (const [id, summary] of stand.cache.summaries) {
      expect(text).not.toContain(id);
      expect(text).not.toContain(summary.name);
      if (summary.mrn) expect(text).not.toContain(summary.mrn);
    }

    expect(
      await auditRows(
        "SELECT user_id, role, patient_id, purpose_of_use, detail FROM audit_log WHERE action = 'workstation.statusRead'",
      ),
    ).toEqual([
      {
        user_id: firstOfRole('itAdmin'),
        role: 'itAdmin',
        patient_id: null,
        purpose_of_use: 'HOPERAT',
        detail: 'workstation.health',
      },
    ]);
  });

  it('reads the keychain and the escrow now: a key gone or an escrow altered since the open shows', async () => {
    const h = await start({ vault: { recoveryPublicKeyPem: recovery } });
    await signedInWithPin(h, firstOfRole('itAdmin'));
    const key = (await keyStore.get(accountsFor(stand.dataDir).current))!;
    fs.writeFileSync(path.join(stand.dataDir, 'cache.key-escrow.jwe.mac'), '00'.repeat(32));
    await keyStore.delete(accountsFor(stand.dataDir).current);
    try {
      const health = await ok<WorkstationHealth>(h, 'workstation.health');
      expect(health.keychain).toEqual({ reachable: true, keyPresent: false });
      expect(health.escrow).toMatchObject({ present: true, verified: false });
    } finally {
      await keyStore.set(accountsFor(stand.dataDir).current, key);
    }
  });

  it('after a sync round that reached central: last contact, and what the fleet view was told', async () => {
    const h = await start();
    await signedInWithPin(h, firstOfRole('itAdmin'));
    const before = await ok<WorkstationHealth>(h, 'workstation.health');
    h.time.advance(60_000);
    await ok(h, 'sync.now');
    // The fleet report follows the round (not awaited by it): the screen shows it once central took it.
    await vi.waitFor(
      async () => expect((await ok<WorkstationHealth>(h, 'workstation.health')).fleet.lastReportedAt).not.toBeNull(),
      { timeout: 15_000 },
    );
    const after = await ok<WorkstationHealth>(h, 'workstation.health');
    expect(after.central.lastContactAt).toBeGreaterThan(before.central.lastContactAt ?? 0);
    expect(after.sync.lastPullAt).not.toBeNull();
    expect(after.fleet).toMatchObject({
      appVersion: APP_VERSION,
      pendingChanges: 0,
      auditBacklog: expect.any(Number),
      policySource: 'built-in defaults',
    });
    // Each report first looked for IT's wipe order and found none.
    expect(after.remoteWipe).toEqual({ inProgress: false, lastCheckedAt: after.fleet.lastReportedAt });
  });

  it('refuses every other role with FORBIDDEN, and audits the refusal', async () => {
    const h = await start();
    for (const role of ['physician', 'nurse', 'frontDesk', 'privacyOfficer']) {
      await signedInWithPin(h, firstOfRole(role));
      expect(await h.call('workstation.health')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(await h.call('session.end', { reason: 'switchUser' })).toMatchObject({ ok: true });
    }
    expect(await h.call('workstation.health')).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    const denied = (await auditRows(
      "SELECT role FROM audit_log WHERE action = 'access.denied' AND detail LIKE 'workstation.health:%' ORDER BY seq",
    )) as { role: string }[];
    // The last one, signed out, is refused as unauthenticated (no role).
    expect(denied.map((d) => d.role)).toEqual(['physician', 'nurse', 'frontDesk', 'privacyOfficer', null]);
    expect(await auditRows("SELECT seq FROM audit_log WHERE action = 'workstation.statusRead'")).toEqual([]);
  });

  it('refuses a request with anything in it, changing nothing', async () => {
    const h = await start();
    await signedInWithPin(h, firstOfRole('itAdmin'));
    expect(await h.call('workstation.health', { patientId: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID' },
    });
    expect(await auditRows("SELECT seq FROM audit_log WHERE action = 'workstation.statusRead'")).toEqual([]);
  });
});
