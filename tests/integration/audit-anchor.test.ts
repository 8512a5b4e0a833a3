/**
 * Rollback and replacement are detected (issue 13): the audit head is anchored outside the cache
 * (the OS keychain, and a MACed file beside it), so an older copy of the database put back, or a
 * write-ahead log damaged after a crash (cut in half, a flipped byte, a broken header), which
 * rolls committed transactions back without a sign, is found at open (the IT screen, never a
 * silent start) and by `ws audit verify`. IT can accept what is left, knowingly: the rollback is
 * recorded in the trail and the anchor moves. Real processes, files and keychain.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { vaultFiles } from '../../src-main/vault/files.ts';
import { killHard, spawnTs } from '../support/child.ts';
import { tempVaultDir } from '../support/vault-fixture.ts';
import { vaultStateOf, wsOn } from '../support/faults.ts';

let dataDir: string;
let remove: () => Promise<void>;

beforeEach(() => {
  ({ dataDir, remove } = tempVaultDir({ prefix: 'clinic-anchor-', subdir: 'cache' }));
});
afterEach(() => remove());

describe('the audit head anchored outside the cache', () => {
  it('an older copy of the cache put back is detected at open and by ws audit verify, until IT accepts it', async () => {
    expect(await vaultStateOf(dataDir)).toMatchObject({ state: 'ready' });
    const older = fs.readFileSync(vaultFiles(dataDir).db);
    expect(await vaultStateOf(dataDir)).toMatchObject({ state: 'ready' });
    expect(await vaultStateOf(dataDir)).toMatchObject({ state: 'ready' });
    fs.writeFileSync(vaultFiles(dataDir).db, older);

    const state = await vaultStateOf(dataDir);
    expect(state).toMatchObject({ state: 'error', code: 'ROLLED_BACK' });
    expect(state.detail).toMatch(/entries after sequence 2 are missing/);
    const verify = await wsOn(dataDir)('audit', 'verify');
    expect(verify.code).toBe(1);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: false, code: 'AUDIT_ROLLED_BACK' });

    // IT accepts the cache as it is: recorded in the trail, the anchor moves, the app starts.
    expect((await wsOn(dataDir)('audit', 'accept-rollback')).code).toBe(2); // needs --yes
    const accepted = await wsOn(dataDir)('audit', 'accept-rollback', '--yes');
    expect(accepted.code).toBe(0);
    expect(await vaultStateOf(dataDir)).toMatchObject({ state: 'ready' });
    expect((await wsOn(dataDir)('audit', 'verify')).code).toBe(0);
    const exported = await wsOn(dataDir)('audit', 'export');
    const actions = exported.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { subtype?: { code: string }[] })
      .map((event) => event.subtype?.[0]?.code);
    expect(actions).toContain('audit-rollback-detected');
    expect(actions).toContain('audit-rollback-accepted');
  });

  const damages: [string, ((wal: string) => void) | null][] = [
    ['left as the crash left it', null],
    ['cut in half', (wal) => fs.truncateSync(wal, Math.floor(fs.statSync(wal).size / 2))],
    [
      'a flipped byte in a frame',
      (wal) => {
        const bytes = fs.readFileSync(wal);
        const at = 32 + Math.floor((bytes.length - 32) / 3);
        bytes[at] = (bytes[at] ?? 0) ^ 0xff;
        fs.writeFileSync(wal, bytes);
      },
    ],
    [
      'a damaged header',
      (wal) => {
        const bytes = fs.readFileSync(wal);
        bytes[9] = (bytes[9] ?? 0) ^ 0x5a;
        fs.writeFileSync(wal, bytes);
      },
    ],
  ];
  for (const [name, damage] of damages) {
    const title = damage
      ? `a write-ahead log ${name} after a crash rolls committed entries back: detected, never a silent start`
      : 'a crash alone is no rollback: the cache opens with every anchored entry (no false alarm)';
    it(title, async () => {
      expect(await vaultStateOf(dataDir)).toMatchObject({ state: 'ready' });
      const child = spawnTs('tests/support/audit-child.ts', [dataDir, '30']);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('child did not anchor')), 30_000);
        child.stdout?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('anchored ')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await killHard(child);
      const wal = `${vaultFiles(dataDir).db}-wal`;
      expect(fs.statSync(wal).size).toBeGreaterThan(4096);
      if (!damage) {
        expect(await vaultStateOf(dataDir)).toMatchObject({ state: 'ready' });
        expect((await wsOn(dataDir)('audit', 'verify')).code).toBe(0);
        return;
      }
      damage(wal);
      expect(await vaultStateOf(dataDir)).toMatchObject({ state: 'error', code: 'ROLLED_BACK' });
      expect((await wsOn(dataDir)('audit', 'verify')).code).toBe(1);
    });
  }
});
