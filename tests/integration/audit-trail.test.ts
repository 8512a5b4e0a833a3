/**
 * The audit trail on a real vault (SQLCipher, the real keychain): appends chain under the audit
 * key (its own keychain entry), the database refuses UPDATE and DELETE, and verification finds and
 * locates each kind of tampering done the way an attacker with the database key would: opening
 * the file with the key, dropping the triggers and editing rows.
 */
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditKeyAccount, loadAuditKey } from '../../src-main/audit/key.ts';
import { createAuditTrail, type AuditTrail } from '../../src-main/audit/trail.ts';
import { verifyAuditTrail } from '../../src-main/audit/verify.ts';
import { verifyAuditTrailParallel } from '../../src-main/audit/verify-parallel.ts';
import path from 'node:path';
import { openDatabase, type Database } from '../../src-main/vault/sqlcipher.ts';
import type { Vault } from '../../src-main/vault/vault.ts';
import type { Clock } from '../../src-main/ports.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { filesContaining } from '../support/temp.ts';
import { openTempVault, type TempVault } from '../support/vault-fixture.ts';

let dataDir: string;
let temp: TempVault;
let vault: Vault;
let key: Buffer;
let trail: AuditTrail;
let now = 1_780_000_000_000;
const clock: Clock = { now: () => now++ };

beforeEach(async () => {
  temp = await openTempVault({ prefix: 'clinic-audit-' });
  ({ vault, dataDir } = temp);
  key = await loadAuditKey(keyStore, dataDir, vault.db);
  trail = createAuditTrail(vault.db, key, clock);
});
afterEach(async () => {
  await temp.close();
  expect(await keyStore.get(auditKeyAccount(dataDir))).toBeNull();
});

function appendMany(n: number): void {
  for (let i = 0; i < n; i++) {
    trail.append({
      action: i % 3 === 0 ? 'patient.read' : 'patient.search',
      outcome: 'success',
      userId: `user-${i % 4}`,
      role: 'nurse',
      patientId: i % 3 === 0 ? `pat-${i}` : null,
      purposeOfUse: 'TREAT',
      detail: 'chart.read',
    });
  }
}

/** As an attacker holding the database key: the file opened directly, the guards dropped. */
async function tamper(edit: (db: Database) => void): Promise<void> {
  vault.close();
  const dbKey = await keyStore.get(accountsFor(dataDir).current);
  const raw = openDatabase(`${dataDir}/cache.db`, dbKey);
  raw.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
  edit(raw);
  raw.close();
  vault = await temp.reopen();
}

/**
 * The sequential walk, and the parallel one (workers, forced even on a small trail; and with the
 * threads chosen as `ws audit verify` chooses them) which must give the very same report.
 */
async function verify(): Promise<ReturnType<typeof verifyAuditTrail>> {
  const sequential = verifyAuditTrail(vault.db, key);
  const options = {
    db: vault.db,
    file: path.join(dataDir, 'cache.db'),
    dbKey: (await keyStore.get(accountsFor(dataDir).current))!,
    auditKey: key,
    minEntries: 0,
    chunkSize: 4,
  };
  expect(await verifyAuditTrailParallel({ ...options, workers: 3 })).toEqual(sequential);
  expect(await verifyAuditTrailParallel(options)).toEqual(sequential);
  // Nothing measured, so no worker: the whole trail in one walk after the measuring (none here).
  expect(await verifyAuditTrailParallel({ ...options, sampleMs: 0 })).toEqual(sequential);
  return sequential;
}

describe('164.312(b) audit trail', () => {
  it('chains entries under a key of its own, and verifies', async () => {
    appendMany(50);
    expect(await verify()).toEqual({ ok: true, checked: 50, lastSeq: 50 });
    const [first] = trail.entries({ limit: 1 });
    expect(first).toMatchObject({
      seq: 1,
      action: 'patient.read',
      outcome: 'success',
      workstationId: trail.workstationId,
      patientId: 'pat-0',
      purposeOfUse: 'TREAT',
    });
    expect(first!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(trail.workstationId).toMatch(/^ws-[0-9a-f]{32}$/);
    // The audit key is not the database key, and neither is anywhere in the files.
    expect(key.toString('hex')).not.toBe(accountsFor(dataDir).current);
    vault.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(filesContaining(dataDir, 'patient.search')).toEqual([]);
  });

  it('refuses UPDATE and DELETE of entries in the database itself', async () => {
    appendMany(3);
    expect(() => vault.db.prepare(`UPDATE audit_log SET outcome = 'denied' WHERE seq = 2`).run()).toThrow(
      /append-only/,
    );
    expect(() => vault.db.prepare('DELETE FROM audit_log WHERE seq = 3').run()).toThrow(/append-only/);
    expect(() => vault.db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(await verify()).toMatchObject({ ok: true, checked: 3 });
  });

  it('an empty trail verifies; a trail with entries and no key fails closed', async () => {
    expect(await verify()).toEqual({ ok: true, checked: 0, lastSeq: 0 });
    appendMany(1);
    expect(await keyStore.delete(auditKeyAccount(dataDir))).toBe(true);
    await expect(loadAuditKey(keyStore, dataDir, vault.db)).rejects.toMatchObject({ code: 'KEY_MISSING' });
    await keyStore.set(auditKeyAccount(dataDir), key.toString('hex'));
  });

  it('detects and locates an altered entry', async () => {
    appendMany(30);
    await tamper((db) => db.prepare(`UPDATE audit_log SET user_id = 'someone-else' WHERE seq = 12`).run());
    expect(await verify()).toMatchObject({ ok: false, kind: 'altered', seq: 12, checked: 11 });
  });

  it('detects and locates a removed entry, and a removed tail', async () => {
    appendMany(30);
    await tamper((db) => db.prepare('DELETE FROM audit_log WHERE seq = 17').run());
    expect(await verify()).toMatchObject({ ok: false, kind: 'removed', seq: 17 });
    await tamper((db) => db.prepare('DELETE FROM audit_log WHERE seq >= 25').run());
    expect(await verify()).toMatchObject({ ok: false, kind: 'removed', seq: 17 });
  });

  it('detects a removed tail through the head MAC', async () => {
    appendMany(30);
    await tamper((db) => db.prepare('DELETE FROM audit_log WHERE seq > 27').run());
    expect(await verify()).toMatchObject({ ok: false, kind: 'removed', seq: 28, checked: 27 });
  });

  it('detects and locates an inserted entry', async () => {
    appendMany(30);
    await tamper((db) => {
      // Make room at 9 by renumbering what follows, then write a plausible entry there.
      for (let seq = 30; seq >= 9; seq--) db.prepare('UPDATE audit_log SET seq = seq + 1 WHERE seq = ?').run(seq);
      const copy = db.prepare('SELECT * FROM audit_log WHERE seq = 8').get() as Record<string, unknown>;
      db.prepare(
        `INSERT INTO audit_log (seq, id, recorded_at, user_id, role, workstation_id, action, outcome, patient_id, resource_refs, purpose_of_use, grant_id, detail, justification, hash)
        VALUES (9, 'forged', @recorded_at, 'user-1', 'nurse', @workstation_id, 'patient.read', 'success', 'pat-x', NULL, 'TREAT', NULL, NULL, NULL, @hash)`,
      ).run(copy);
    });
    expect(await verify()).toMatchObject({ ok: false, kind: 'inserted', seq: 9, checked: 8 });
  });

  it('detects and locates reordered entries', async () => {
    appendMany(30);
    await tamper((db) => {
      db.prepare('UPDATE audit_log SET seq = -1 WHERE seq = 20').run();
      db.prepare('UPDATE audit_log SET seq = 20 WHERE seq = 21').run();
      db.prepare('UPDATE audit_log SET seq = 21 WHERE seq = -1').run();
    });
    expect(await verify()).toMatchObject({ ok: false, kind: 'reordered', seq: 20, checked: 19 });
  });

  it('a chain recomputed without the audit key does not verify', async () => {
    appendMany(10);
    await tamper((db) => {
      // Someone with the database key "fixes" an entry and rehashes everything with a key of their own.
      db.prepare(`UPDATE audit_log SET outcome = 'denied' WHERE seq = 5`).run();
      const rows = db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as Record<string, unknown>[];
      let prev = Buffer.alloc(32);
      for (const row of rows) {
        const hash = createHmac('sha256', Buffer.alloc(32, 7))
          .update(prev)
          .update(JSON.stringify(Object.values(row).slice(0, 14)))
          .digest();
        db.prepare('UPDATE audit_log SET hash = ? WHERE seq = ?').run(hash, row.seq);
        prev = hash;
      }
    });
    expect(await verify()).toMatchObject({ ok: false, seq: 1 });
  });
});
