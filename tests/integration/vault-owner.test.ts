/**
 * One owner per cache (issue 13): a process that holds the cache (the app, here a child process
 * committing one note after another) keeps it to itself for its lifetime. A second opener, the
 * core of a second app, and the IT command line's commands are refused with IN_USE and change
 * nothing; every note the holder acknowledged is still there after it dies; once it is gone the
 * same commands work. Real processes, the real keychain, real files.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore } from '../../src-main/core.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { workstationMigrations } from '../../src-main/migrations.ts';
import { readResource } from '../../src-main/records/repository.ts';
import { VaultError } from '../../src-main/vault/errors.ts';
import { openVault } from '../../src-main/vault/vault.ts';
import { Policy } from '../../src-shared/policy/schema.ts';
import { killHard, spawnTs, waitForLine } from '../support/child.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { snapshotDir } from '../support/temp.ts';
import { tempVaultDir } from '../support/vault-fixture.ts';
import { wsOn } from '../support/faults.ts';

let dataDir: string;
let remove: () => Promise<void>;
let holder: ChildProcess | null = null;
const committed: string[] = [];
/** The IT command line against this cache, under a managed policy of defaults (a development file). */
const ws = (...args: string[]) => wsOn(dataDir)(...args);
const open = () =>
  openVault({ migrations: workstationMigrations, dataDir, keyStore, policy: {}, logger: createMemoryLogger() });

/** A process holding the cache: it commits one note after another and says so after each commit. */
async function startHolder(): Promise<ChildProcess> {
  const child = spawnTs('tests/support/vault-child.ts', ['notes', dataDir, 'Holder']);
  child.stdout?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n'))
      if (line.startsWith('committed ')) committed.push(line.slice('committed '.length));
  });
  await waitForLine(child, 'ready');
  holder = child;
  return child;
}

beforeEach(async () => {
  ({ dataDir, remove } = tempVaultDir({ prefix: 'clinic-owner-', subdir: 'cache' }));
  committed.length = 0;
  (await open()).close(); // the cache exists before anyone holds it
});
afterEach(async () => {
  if (holder) await killHard(holder);
  holder = null;
  await remove();
});

describe('one owner per cache', () => {
  it('a second opener is refused with IN_USE naming the holder, and the holder goes on', async () => {
    const child = await startHolder();
    await expect(open()).rejects.toSatisfy(
      (error) =>
        error instanceof VaultError && error.code === 'IN_USE' && error.message.includes(`process ${child.pid}`),
    );
    const before = committed.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(committed.length).toBeGreaterThan(before);
  });

  it('a second app on the same cache says so and does not start', async () => {
    await startHolder();
    const core = await createCore({
      keyStore,
      clock: { now: () => Date.now() },
      paths: { dataDir },
      policy: Policy.parse({}),
      logger: createMemoryLogger(),
    });
    try {
      const status = await core.invoke('workstation.status', {});
      expect(status).toMatchObject({ ok: true, data: { vault: { state: 'error', code: 'IN_USE' } } });
      const signIn = await core.invoke('session.signInOffline', { username: 'nurse1', pin: '482913' });
      expect(signIn).toMatchObject({ ok: false });
    } finally {
      await core.close();
    }
  });

  it('mutating IT commands refuse while the app holds the cache and change nothing; nothing acknowledged is lost', async () => {
    const child = await startHolder();
    const keyBefore = await keyStore.get(accountsFor(dataDir).current);
    const itKey = path.join(path.dirname(dataDir), 'it-recovery.pem');
    fs.writeFileSync(itKey, generateKeyPairSync('x25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const mutating = [
      ['vault', 'rotate-key'],
      ['vault', 'wipe', '--yes'],
      ['vault', 'recover', '--private-key', itKey],
      ['sync', 'retry-held'],
      ['audit', 'export'],
    ];
    for (const command of mutating) {
      const result = await ws(...command);
      expect(result.code, command.join(' ')).toBe(1);
      expect(JSON.parse(result.stdout), command.join(' ')).toMatchObject({ ok: false, code: 'IN_USE' });
      expect(JSON.parse(result.stdout).message).toContain(`process ${child.pid}`);
    }
    expect(await keyStore.get(accountsFor(dataDir).current)).toBe(keyBefore);
    const files = snapshotDir(dataDir);
    expect(Object.keys(files)).toContain('cache.db');

    await new Promise((resolve) => setTimeout(resolve, 200));
    await killHard(child);
    holder = null;
    expect(committed.length).toBeGreaterThan(3);
    // The holder died; the lock went with it. Every note it acknowledged is in the cache.
    const rotated = await ws('vault', 'rotate-key');
    expect(rotated.code).toBe(0);
    const vault = await open();
    try {
      for (const id of committed) expect(readResource(vault.db, 'DocumentReference', id), id).not.toBeNull();
    } finally {
      vault.close();
    }
  });

  it('read-only IT commands work beside the app without taking the cache, and say who holds it', async () => {
    const child = await startHolder();
    const status = await ws('status');
    expect(JSON.parse(status.stdout)).toMatchObject({
      vault: { ok: true, inUse: expect.stringContaining(`process ${child.pid}`) },
    });
    const verify = await ws('audit', 'verify');
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
    // The holder never noticed: it goes on committing.
    const before = committed.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(committed.length).toBeGreaterThan(before);
  });

  it('the lock is the process’s own: after a crash (SIGKILL) the next opener gets the cache at once', async () => {
    const child = await startHolder();
    await killHard(child);
    holder = null;
    const started = Date.now();
    (await open()).close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(fs.existsSync(dataDir)).toBe(true);
  });
});
