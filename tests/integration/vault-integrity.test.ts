/**
 * Integrity at open (issue 13): a damaged page of one of the cache's small tables (the outbox,
 * conflicts, grants, PINs...) is CORRUPT at open, never a cache that opens "ready"; a damaged page
 * of the large tables (records, the audit log), which no open can afford to read whole, is found
 * by `ws vault check`, the full check. Real SQLCipher files with a byte flipped on disk.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { workstationMigrations } from '../../src-main/migrations.ts';
import { storeResources } from '../../src-main/records/repository.ts';
import { recordLocalChange } from '../../src-main/sync/outbox.ts';
import { openVault } from '../../src-main/vault/vault.ts';
import type { FhirResource } from '../../src-shared/fhir/index.ts';
import { testNote, testPatient } from '../support/fhir.ts';
import { keyStore } from '../support/keychain.ts';
import { snapshotDir } from '../support/temp.ts';
import { tempVaultDir } from '../support/vault-fixture.ts';
import { damageRootPageOf, vaultStateOf, wsOn } from '../support/faults.ts';

let dataDir: string;
let remove: () => Promise<void>;

beforeEach(async () => {
  ({ dataDir, remove } = tempVaultDir({ prefix: 'clinic-integrity-', subdir: 'cache' }));
  expect(await vaultStateOf(dataDir)).toMatchObject({ state: 'ready' });
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

describe('164.312(c)(2) integrity of the cache', () => {
  it('a damaged page of the outbox is CORRUPT at open, and nothing is changed', async () => {
    await damageRootPageOf(dataDir, 'sync_outbox');
    const before = snapshotDir(dataDir);
    expect(await vaultStateOf(dataDir)).toMatchObject({ state: 'error', code: 'CORRUPT' });
    expect(snapshotDir(dataDir)).toEqual(before);
  });

  it('ws vault check reads every page: a damaged page of the records, which the open does not read, is CORRUPT (exit 1); an intact cache passes', async () => {
    const intact = await wsOn(dataDir)('vault', 'check');
    expect(intact.code).toBe(0);
    expect(JSON.parse(intact.stdout)).toMatchObject({ ok: true });
    await damageRootPageOf(dataDir, 'resources');
    const damaged = await wsOn(dataDir)('vault', 'check');
    expect(damaged.code).toBe(1);
    expect(JSON.parse(damaged.stdout)).toMatchObject({ ok: false, code: 'CORRUPT' });
  });
});
