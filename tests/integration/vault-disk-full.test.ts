/**
 * A full disk (issue 13): on a small tmpfs (tests run as root), a workstation that starts on a
 * full disk says DISK_FULL, not CORRUPT, and that nothing was lost; a write on a full disk is
 * DISK_FULL for the window, never INTERNAL; once space is freed the same cache opens with all its
 * data and the write goes through, and a running app that started on the full disk opens its cache
 * by itself (no restart).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore, REOPEN_AFTER_DISK_FULL_MS } from '../../src-main/core.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { systemTimers, type Timers } from '../../src-main/ports.ts';
import { Policy } from '../../src-shared/policy/schema.ts';
import { countResources, storeResources } from '../../src-main/records/repository.ts';
import { durably } from '../../src-main/vault/sqlcipher.ts';
import { openWorkstationVault } from '../../src-main/workstation.ts';
import { eraseWorkstation } from '../../src-main/workstation-keys.ts';
import { testPatient } from '../support/fhir.ts';
import { keyStore } from '../support/keychain.ts';
import { routerThatWrites, vaultStateOf } from '../support/faults.ts';

const asRoot = process.getuid?.() === 0;
let mount: string;
let dataDir: string;

/** Fills the disk to the last byte with a file of its own; returns it (delete it to free space). */
function fillDisk(): string {
  const filler = path.join(mount, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  // The last partial chunk: byte by byte up to the end.
  const one = Buffer.alloc(1, 1);
  try {
    for (;;) fs.writeSync(fd, one);
  } catch {
    // full
  }
  fs.closeSync(fd);
  return filler;
}

beforeEach(async () => {
  if (!asRoot) return;
  mount = fs.mkdtempSync(path.join(os.tmpdir(), 'clinic-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mount]);
  dataDir = path.join(mount, 'cache');
  expect(await vaultStateOf(dataDir)).toMatchObject({ state: 'ready' });
  const vault = await openWorkstationVault({ dataDir, keyStore, policy: {}, logger: createMemoryLogger() });
  storeResources(
    vault.db,
    Array.from({ length: 200 }, (_, i) => testPatient(`p-${i}`, `Given${i}`, `Family${i}`, `M-${i}`)),
  );
  vault.close();
});
afterEach(async () => {
  if (!asRoot) return;
  fs.rmSync(path.join(mount, 'filler'), { force: true });
  await eraseWorkstation({ dataDir, keyStore });
  execFileSync('umount', [mount]);
  fs.rmSync(mount, { recursive: true, force: true });
});

describe.runIf(asRoot)('a full disk', () => {
  it('starting on a full disk is DISK_FULL (nothing lost, free space), and the cache opens whole once space is freed', async () => {
    const filler = fillDisk();
    const state = await vaultStateOf(dataDir);
    expect(state, JSON.stringify(state)).toMatchObject({ state: 'error', code: 'DISK_FULL' });
    expect(state.title).toMatch(/nothing .*lost/i);
    fs.rmSync(filler);
    expect(await vaultStateOf(dataDir)).toMatchObject({ state: 'ready' });
    const vault = await openWorkstationVault({ dataDir, keyStore, policy: {}, logger: createMemoryLogger() });
    expect(countResources(vault.db)).toBe(200);
    vault.close();
  });

  it('a write on a full disk is DISK_FULL for the window; after space is freed the same write goes through', async () => {
    const vault = await openWorkstationVault({ dataDir, keyStore, policy: {}, logger: createMemoryLogger() });
    try {
      const route = routerThatWrites(() =>
        durably(vault.db, () =>
          storeResources(
            vault.db,
            Array.from({ length: 300 }, (_, i) => testPatient(`late-${i}`, `Late${i}`, 'Writer', `L-${i}`)),
          ),
        ),
      );
      const filler = fillDisk();
      expect(await route('workstation.status', {})).toMatchObject({ ok: false, error: { code: 'DISK_FULL' } });
      expect(countResources(vault.db)).toBe(200);
      fs.rmSync(filler);
      expect(await route('workstation.status', {})).toMatchObject({ ok: true });
      expect(countResources(vault.db)).toBe(500);
    } finally {
      vault.close();
    }
  });

  it('an app started on a full disk opens its cache by itself once space is freed, and tells the window', async () => {
    // The reopen timer fires when the test says; every other timer runs as usual.
    const reopens: Array<() => void> = [];
    const timers: Timers = {
      setTimeout: (callback, delayMs) =>
        delayMs === REOPEN_AFTER_DISK_FULL_MS ? reopens.push(callback) : systemTimers.setTimeout(callback, delayMs),
      clearTimeout: (handle) => (typeof handle === 'number' ? undefined : systemTimers.clearTimeout(handle)),
    };
    const filler = fillDisk();
    const core = await createCore({
      keyStore,
      clock: { now: () => Date.now() },
      timers,
      paths: { dataDir },
      policy: Policy.parse({}),
      logger: createMemoryLogger(),
    });
    const seen: string[] = [];
    core.onEvent((event, payload) => {
      if (event === 'workstation.statusChanged') seen.push((payload as { vault: { state: string } }).vault.state);
      if (event === 'session.changed') seen.push(`session:${(payload as { state: string }).state}`);
    });
    try {
      const status = async () =>
        ((await core.invoke('workstation.status', {})) as { data: { vault: { state: string; code?: string } } }).data
          .vault;
      expect(await status()).toMatchObject({ state: 'error', code: 'DISK_FULL' });
      // Still full: the next try finds no room, stays on DISK_FULL and tries again later.
      expect(reopens).toHaveLength(1);
      reopens.shift()!();
      await expect.poll(() => reopens.length).toBe(1);
      expect(await status()).toMatchObject({ state: 'error', code: 'DISK_FULL' });
      expect(seen).toEqual([]);

      fs.rmSync(filler);
      reopens.shift()!();
      await expect.poll(() => seen).toEqual(['ready', 'session:signedOut']);
      expect(await status()).toMatchObject({ state: 'ready' });
      expect(reopens).toHaveLength(0);
    } finally {
      await core.close();
    }
    const vault = await openWorkstationVault({ dataDir, keyStore, policy: {}, logger: createMemoryLogger() });
    expect(countResources(vault.db)).toBe(200);
    vault.close();
  });
});
