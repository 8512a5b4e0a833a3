/**
 * Helpers for the durability tests (issue 13): the vault state a core reports, the IT command line
 * against one cache, a byte pattern written over a table's page, and a router whose one channel
 * writes to the cache (to see what a window is told when the write fails).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createCore } from '../../src-main/core.ts';
import { createRouter, type Handlers } from '../../src-main/ipc/router.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { vaultFiles } from '../../src-main/vault/files.ts';
import { openDatabase } from '../../src-main/vault/sqlcipher.ts';
import { Policy, type PolicyInput } from '../../src-shared/policy/schema.ts';
import type { VaultStatus } from '../../src-shared/vault/status.ts';
import { runTs } from './child.ts';
import { accountsFor, keyStore } from './keychain.ts';

/** What the window would see of the cache: a core started on it, asked, and closed. */
export async function vaultStateOf(
  dataDir: string,
  policy: PolicyInput = {},
): Promise<VaultStatus & { detail?: string; title?: string; code?: string }> {
  const core = await createCore({
    keyStore,
    clock: { now: () => Date.now() },
    paths: { dataDir },
    policy: Policy.parse(policy),
    logger: createMemoryLogger(),
  });
  try {
    const answer = await core.invoke('workstation.status', {});
    if (!answer.ok) throw new Error(answer.error.message);
    return (answer.data as { vault: VaultStatus }).vault;
  } finally {
    await core.close();
  }
}

/**
 * `ws <args> --data-dir <dataDir> --json`, under a development policy file beside the cache
 * (CLINIC_POLICY_FILE) holding `policy`.
 */
export function wsOn(dataDir: string, policy: PolicyInput = {}) {
  return (...args: string[]) => {
    const policyFile = path.join(path.dirname(dataDir), 'ws-policy.json');
    fs.writeFileSync(policyFile, JSON.stringify(policy));
    return runTs('src-main/cli/main.ts', [...args, '--data-dir', dataDir, '--json'], {
      ...process.env,
      CLINIC_POLICY_FILE: policyFile,
    });
  };
}

/** Writes a few bytes over the middle of a table's root page on disk (SQLCipher's HMAC then fails). */
export async function damageRootPageOf(dataDir: string, table: string): Promise<void> {
  const db = openDatabase(vaultFiles(dataDir).db, await keyStore.get(accountsFor(dataDir).current));
  const root = db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').pluck().get(table) as number;
  db.close();
  const fd = fs.openSync(vaultFiles(dataDir).db, 'r+');
  fs.writeSync(fd, Buffer.from([0x5a, 0xa5, 0x5a, 0xa5]), 0, 4, (root - 1) * 4096 + 2048);
  fs.closeSync(fd);
}

/** A router whose `workstation.status` runs `write` first: what a window is told when it fails. */
export function routerThatWrites(write: () => void) {
  return createRouter({
    handlers: {
      'workstation.status': () => {
        write();
        return {
          appName: 'x',
          appVersion: '0',
          workstationId: null,
          vault: { state: 'ready', schemaVersion: 1, escrowed: false },
        };
      },
    } as unknown as Handlers,
    currentSession: () => null,
    authorize: () => ({ allowed: true, basis: 'role' }) as never,
    logger: createMemoryLogger(),
  });
}
