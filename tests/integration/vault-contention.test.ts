/**
 * Two writers on one cache (issue 13). The owner lock keeps a second app out, but a foreign
 * writer (an older build, a tool) must still not make writes fail: write transactions begin
 * immediately, so a read-then-write waits for the other writer instead of failing at once with
 * SQLITE_BUSY_SNAPSHOT; and a writer that cannot get the cache within the bounded wait answers the
 * window with a typed BUSY, never INTERNAL. Real processes, real SQLCipher files.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countResources, storeResources } from '../../src-main/records/repository.ts';
import { applyConnectionSettings, durably, openDatabase, type Database } from '../../src-main/vault/sqlcipher.ts';
import { vaultFiles } from '../../src-main/vault/files.ts';
import { killHard, spawnTs, waitForLine } from '../support/child.ts';
import { testPatient } from '../support/fhir.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { openTempVault, type TempVault } from '../support/vault-fixture.ts';
import { routerThatWrites } from '../support/faults.ts';

let temp: TempVault;
let raw: Database;
let child: ChildProcess | null = null;

beforeEach(async () => {
  temp = await openTempVault({ prefix: 'clinic-contention-' });
  // This process's writer: a raw connection beside the vault's, as the foreign writer has.
  const key = await keyStore.get(accountsFor(temp.dataDir).current);
  raw = openDatabase(vaultFiles(temp.dataDir).db, key);
  applyConnectionSettings(raw);
});
afterEach(async () => {
  if (child) await killHard(child);
  child = null;
  raw.close();
  await temp.close();
});

function childOutput(process: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    process.stdout?.on('data', (chunk) => (out += chunk));
    process.on('close', () => resolve(out));
  });
}

describe('two writers on one cache', () => {
  it('read-then-write transactions from two processes all land: none fails', async () => {
    const writes = 300;
    child = spawnTs('tests/support/writer-child.ts', [temp.dataDir, String(writes), 'Other']);
    const output = childOutput(child);
    await waitForLine(child, 'ready');
    const failures: Record<string, number> = {};
    for (let i = 0; i < writes; i++) {
      try {
        durably(raw, () => {
          raw.prepare('SELECT count(*) FROM resources').get();
          storeResources(raw, [testPatient(`Mine-${i}`, 'Minegiven', 'Minefamily', `Mine-${i}`)]);
        });
      } catch (error) {
        const code = String((error as { code?: unknown }).code);
        failures[code] = (failures[code] ?? 0) + 1;
      }
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const theirs = JSON.parse((await output).trim().split('\n').at(-1)!) as { failures: Record<string, number> };
    child = null;
    expect(failures).toEqual({});
    expect(theirs.failures).toEqual({});
    expect(countResources(temp.vault.db)).toBe(2 * writes);
  });

  it('a write that cannot get the cache in time is a typed BUSY for the window, never INTERNAL', async () => {
    child = spawnTs('tests/support/writer-child.ts', [temp.dataDir, 'hold']);
    await waitForLine(child, 'ready');
    const route = routerThatWrites(() =>
      durably(temp.vault.db, () =>
        storeResources(temp.vault.db, [testPatient('late', 'Lategiven', 'Latefamily', 'L-1')]),
      ),
    );
    const started = Date.now();
    const answer = await route('workstation.status', {});
    expect(answer).toMatchObject({ ok: false, error: { code: 'BUSY' } });
    // A bounded wait (the busy timeout), not an instant failure and not a hang.
    expect(Date.now() - started).toBeGreaterThan(3_000);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(countResources(temp.vault.db)).toBe(0);
  });
});
