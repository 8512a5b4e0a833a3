/**
 * Never a silent new cache (issue 13): a cache is created only where there is no trace of one.
 * A truncated database, or any trace of a cache (its keychain entry, key check, escrow, WAL, the
 * audit key or its escrow) without a usable database is a typed error for IT, and nothing is
 * created or removed. Real cores, real files, the real keychain.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditKeyAccount } from '../../src-main/audit/key.ts';
import { anchorAccount } from '../../src-main/audit/anchor.ts';
import { createCore } from '../../src-main/core.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { vaultFiles } from '../../src-main/vault/files.ts';
import { vaultErrorGuide } from '../../src-main/vault/errors.ts';
import { openVault } from '../../src-main/vault/vault.ts';
import { workstationMigrations } from '../../src-main/migrations.ts';
import { recordLocalChange } from '../../src-main/sync/outbox.ts';
import { pendingAuditCount } from '../../src-main/audit/ship.ts';
import type { FhirResource } from '../../src-shared/fhir/index.ts';
import { testNote } from '../support/fhir.ts';
import { Policy } from '../../src-shared/policy/schema.ts';
import { runTs } from '../support/child.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { snapshotDir } from '../support/temp.ts';
import { tempVaultDir } from '../support/vault-fixture.ts';
import { vaultStateOf, wsOn } from '../support/faults.ts';

let dataDir: string;
let remove: () => Promise<void>;
const recovery = generateKeyPairSync('x25519');
const policy = Policy.parse({
  vault: { recoveryPublicKeyPem: recovery.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
});

const start = () =>
  createCore({ keyStore, clock: { now: () => Date.now() }, paths: { dataDir }, policy, logger: createMemoryLogger() });

const policyInput = { vault: { recoveryPublicKeyPem: policy.vault.recoveryPublicKeyPem } };
const vaultState = () => vaultStateOf(dataDir, policyInput);

beforeEach(async () => {
  ({ dataDir, remove } = tempVaultDir({ prefix: 'clinic-traces-', subdir: 'cache' }));
  // A workstation that ran once: its cache, key check, escrows, audit trail and key.
  expect(await vaultState()).toMatchObject({ state: 'ready' });
});
afterEach(() => remove());

describe('never a silent new cache', () => {
  it('a cache truncated to 0 bytes is CORRUPT, never a fresh one: nothing changes, and audit verify fails', async () => {
    fs.truncateSync(vaultFiles(dataDir).db, 0);
    const before = snapshotDir(dataDir);
    expect(await vaultState()).toMatchObject({ state: 'error', code: 'CORRUPT' });
    expect(snapshotDir(dataDir)).toEqual(before);
    expect(fs.statSync(vaultFiles(dataDir).db).size).toBe(0);
    expect(await keyStore.get(auditKeyAccount(dataDir))).toMatch(/^[0-9a-f]{64}$/);
    const verify = await runTs('src-main/cli/main.ts', ['audit', 'verify', '--data-dir', dataDir, '--json']);
    expect(verify.code).toBe(1);
  });

  const traces: [string, () => Promise<void>][] = [
    [
      'only the escrow of the cache key is left',
      async () => {
        await keyStore.delete(accountsFor(dataDir).current);
        fs.rmSync(vaultFiles(dataDir).keyCheck);
      },
    ],
    [
      'only the audit key (and its escrow) are left',
      async () => {
        await keyStore.delete(accountsFor(dataDir).current);
        fs.rmSync(vaultFiles(dataDir).keyCheck);
        fs.rmSync(vaultFiles(dataDir).escrow);
      },
    ],
    [
      'only a write-ahead log is left',
      async () => {
        await keyStore.delete(accountsFor(dataDir).current);
        await keyStore.delete(auditKeyAccount(dataDir));
        for (const file of [
          vaultFiles(dataDir).keyCheck,
          vaultFiles(dataDir).escrow,
          path.join(dataDir, 'audit.key-escrow.jwe'),
        ])
          fs.rmSync(file);
        fs.writeFileSync(`${vaultFiles(dataDir).db}-wal`, Buffer.alloc(4096, 7));
      },
    ],
  ];
  for (const [name, leave] of traces) {
    it(`DATABASE_MISSING when ${name}: nothing is created`, async () => {
      fs.rmSync(vaultFiles(dataDir).db);
      await leave();
      const before = snapshotDir(dataDir);
      expect(await vaultState()).toMatchObject({ state: 'error', code: 'DATABASE_MISSING' });
      expect(snapshotDir(dataDir)).toEqual(before);
      expect(fs.existsSync(vaultFiles(dataDir).db)).toBe(false);
      expect(await keyStore.get(accountsFor(dataDir).current)).toBeNull();
    });
  }
});

describe('a wipe never destroys unsynced work by accident', () => {
  const ws = (...args: string[]) => wsOn(dataDir)(...args);

  it('ws vault wipe --yes refuses while changes wait for central or audit entries are unshipped, and says how many', async () => {
    // The core that ran once left audit entries that never reached central; a change waits too.
    const vault = await openVault({
      migrations: workstationMigrations,
      dataDir,
      keyStore,
      policy: policy.vault,
      logger: createMemoryLogger(),
    });
    recordLocalChange(vault.db, testNote('n-wipe', 'p-wipe', 'Unsynced note') as FhirResource, 'nurse1', {
      now: () => Date.now(),
    });
    const unshipped = pendingAuditCount(vault.db);
    vault.close();
    expect(unshipped).toBeGreaterThan(0);

    const before = snapshotDir(dataDir);
    const refused = await ws('vault', 'wipe', '--yes');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({
      ok: false,
      code: 'UNSYNCED',
      pending: 1,
      unshippedAudit: unshipped,
    });
    expect(snapshotDir(dataDir)).toEqual(before);
    expect(await keyStore.get(accountsFor(dataDir).current)).not.toBeNull();

    const wiped = await ws('vault', 'wipe', '--yes', '--discard-unsynced');
    expect(wiped.code).toBe(0);
    expect(JSON.parse(wiped.stdout)).toMatchObject({ ok: true, discarded: { pending: 1, unshippedAudit: unshipped } });
    expect(await keyStore.get(accountsFor(dataDir).current)).toBeNull();
  });

  it('a cache whose contents cannot be read counts as unsynced: wipe needs --discard-unsynced', async () => {
    await keyStore.delete(accountsFor(dataDir).current);
    const refused = await ws('vault', 'wipe', '--yes');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, code: 'UNSYNCED' });
    expect(fs.existsSync(vaultFiles(dataDir).db)).toBe(true);
  });

  it('no vault error screen advises a wipe where unsynced work may be', () => {
    for (const code of ['KEY_MISSING', 'WRONG_KEY', 'CORRUPT', 'IN_USE'] as const) {
      expect(vaultErrorGuide[code].action, code).not.toMatch(/wipe/i);
    }
  });
});

describe('a missing key, told apart', () => {
  async function keyMissingDetail(): Promise<string> {
    const core = await start();
    try {
      const answer = await core.invoke('workstation.status', {});
      if (!answer.ok) throw new Error(answer.error.message);
      const vault = (answer.data as { vault: { state: string; code?: string; detail?: string } }).vault;
      expect(vault).toMatchObject({ state: 'error', code: 'KEY_MISSING' });
      return vault.detail ?? '';
    } finally {
      await core.close();
    }
  }

  it('a keyring that holds the cache’s other entries but not its key: the entry was removed', async () => {
    await keyStore.delete(accountsFor(dataDir).current);
    const detail = await keyMissingDetail();
    expect(detail).toMatch(/removed/);
    expect(detail).toMatch(/Secret Service/);
  });

  it('a keyring that holds none of the cache’s entries: likely not the keyring that held them (a new, empty one)', async () => {
    await keyStore.delete(accountsFor(dataDir).current);
    await keyStore.delete(auditKeyAccount(dataDir));
    await keyStore.delete(anchorAccount(dataDir));
    const detail = await keyMissingDetail();
    expect(detail).toMatch(/none of this cache/);
    expect(detail).toMatch(/Secret Service/);
  });
});
