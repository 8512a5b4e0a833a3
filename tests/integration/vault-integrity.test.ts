/**
 * Integrity at open (issue 13): a damaged page of one of the cache's small tables (the outbox,
 * conflicts, grants, PINs...) is CORRUPT at open, never a cache that opens "ready"; a damaged page
 * of the large tables (records, the audit log), which no open can afford to read whole, is found
 * by `ws vault check`, the full check. Real SQLCipher files with a byte flipped on disk.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore } from '../../src-main/core.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { workstationMigrations } from '../../src-main/migrations.ts';
import { storeResources } from '../../src-main/records/repository.ts';
import { recordLocalChange } from '../../src-main/sync/outbox.ts';
import { vaultFiles } from '../../src-main/vault/files.ts';
import { openDatabase } from '../../src-main/vault/sqlcipher.ts';
import { openVault } from '../../src-main/vault/vault.ts';
import type { FhirResource } from '../../src-shared/fhir/index.ts';
import { Policy } from '../../src-shared/policy/schema.ts';
import { runTs } from '../support/child.ts';
import { testNote, testPatient } from '../support/fhir.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { snapshotDir } from '../support/temp.ts';
import { tempVaultDir } from '../support/vault-fixture.ts';

let dataDir: string;
let remove: () => Promise<void>;
const PAGE = 4096;
const ws = (...args: string[]) => runTs('src-main/cli/main.ts', [...args, '--data-dir', dataDir, '--json']);

async function vaultState(): Promise<{ state: string; code?: string }> {
  const core = await createCore({
    keyStore,
    clock: { now: () => Date.now() },
    paths: { dataDir },
    policy: Policy.parse({}),
    logger: createMemoryLogger(),
  });
  try {
    const answer = await core.invoke('workstation.status', {});
    if (!answer.ok) throw new Error(answer.error.message);
    return (answer.data as { vault: { state: string; code?: string } }).vault;
  } finally {
    await core.close();
  }
}

/** Flips a byte in the middle of the root page of this table. */
async function damagePageOf(table: string): Promise<void> {
  const key = await keyStore.get(accountsFor(dataDir).current);
  const db = openDatabase(vaultFiles(dataDir).db, key);
  const root = db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').pluck().get(table) as number;
  db.close();
  const page = root;
  const fd = fs.openSync(vaultFiles(dataDir).db, 'r+');
  const at = (page - 1) * PAGE + PAGE / 2;
  const byte = Buffer.alloc(1);
  fs.readSync(fd, byte, 0, 1, at);
  byte[0] = (byte[0] ?? 0) ^ 0xff;
  fs.writeSync(fd, byte, 0, 1, at);
  fs.closeSync(fd);
}

beforeEach(async () => {
  ({ dataDir, remove } = tempVaultDir({ prefix: 'clinic-integrity-', subdir: 'cache' }));
  expect(await vaultState()).toMatchObject({ state: 'ready' });
  const vault = await openVault({
    migrations: workstationMigrations,
    dataDir,
    keyStore,
    policy: {},
    logger: createMemoryLogger(),
  });
  storeResources(
    vault.db,
    Array.from({ length: 400 }, (_, i) => testPatient(`p-${i}`, `Given${i}`, `Family${i % 50}`, `M-${i}`)),
  );
  recordLocalChange(vault.db, testNote('n-1', 'p-1', 'An unsynced note') as FhirResource, 'nurse1', {
    now: () => Date.now(),
  });
  vault.close();
});
afterEach(() => remove());

describe('integrity of the cache', () => {
  it('a damaged page of the outbox is CORRUPT at open, and nothing is changed', async () => {
    await damagePageOf('sync_outbox');
    const before = snapshotDir(dataDir);
    expect(await vaultState()).toMatchObject({ state: 'error', code: 'CORRUPT' });
    expect(snapshotDir(dataDir)).toEqual(before);
  });

  it('ws vault check reads every page: a damaged page of the records, which the open does not read, is CORRUPT (exit 1); an intact cache passes', async () => {
    const intact = await ws('vault', 'check');
    expect(intact.code).toBe(0);
    expect(JSON.parse(intact.stdout)).toMatchObject({ ok: true });
    await damagePageOf('resources');
    const damaged = await ws('vault', 'check');
    expect(damaged.code).toBe(1);
    expect(JSON.parse(damaged.stdout)).toMatchObject({ ok: false, code: 'CORRUPT' });
  });
});
