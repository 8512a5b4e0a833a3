/**
 * createCore with real ports: the vault on SQLCipher with the real keychain, answering through
 * the router exactly as a window would ask.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore } from '../../src-main/core.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { systemClock } from '../../src-main/ports.ts';
import { LATEST_SCHEMA_VERSION, workstationMigrations } from '../../src-main/migrations.ts';
import { openVault } from '../../src-main/vault/vault.ts';
import { Policy } from '../../src-shared/policy/schema.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { tempVaultDir } from '../support/vault-fixture.ts';

let dataDir: string;
let remove: () => Promise<void>;
const logger = createMemoryLogger();
const start = () => createCore({ keyStore, clock: systemClock, paths: { dataDir }, policy: Policy.parse({}), logger });

beforeEach(() => {
  ({ dataDir, remove } = tempVaultDir({ prefix: 'clinic-core-', subdir: 'cache' }));
});
afterEach(() => remove());

describe('core', () => {
  it('creates the cache on first start and reports it ready', async () => {
    const core = await start();
    const answer = await core.invoke('workstation.status', {});
    expect(answer).toMatchObject({
      ok: true,
      data: {
        appName: 'Clinic Workstation',
        vault: { state: 'ready', schemaVersion: LATEST_SCHEMA_VERSION, escrowed: false },
      },
    });
    // No one is signed in yet: PHI channels are refused before the cache is touched.
    expect(await core.invoke('patients.search', { query: 'Ze' })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHENTICATED' },
    });
    await core.close();
  });

  it('fails closed but keeps answering: the status tells IT what happened and what to do', async () => {
    (await openVault({ migrations: workstationMigrations, dataDir, keyStore, policy: {}, logger })).close();
    await keyStore.delete(accountsFor(dataDir).current);
    const core = await start();
    const answer = await core.invoke('workstation.status', {});
    expect(answer).toMatchObject({ ok: true, data: { vault: { state: 'error', code: 'KEY_MISSING' } } });
    const vault = (answer as { data: { vault: { title: string; action: string } } }).data.vault;
    expect(vault.title).toMatch(/key is missing/);
    expect(vault.action).toMatch(/vault recover/);
    expect(logger.entries).toContainEqual({
      level: 'error',
      event: 'vault.open-failed',
      fields: { code: 'KEY_MISSING' },
    });
    await core.close();
  });
});
