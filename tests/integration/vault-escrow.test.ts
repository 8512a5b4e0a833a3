/**
 * Escrow that works the day it is needed (issue 13): a damaged escrow file (a flipped byte) is
 * noticed at open and written again from the live key, and the repair is audited; `ws vault
 * recover` restores both keys or neither, with a typed error when the audit key's escrow is
 * damaged. Real files, the real keychain, IT's private key.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditKeyAccount } from '../../src-main/audit/key.ts';
import { createCore } from '../../src-main/core.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { unwrapCacheKey } from '../../src-main/vault/escrow.ts';
import { vaultFiles } from '../../src-main/vault/files.ts';
import { Policy } from '../../src-shared/policy/schema.ts';
import { runTs } from '../support/child.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { tempVaultDir } from '../support/vault-fixture.ts';

let dataDir: string;
let remove: () => Promise<void>;
const it_ = generateKeyPairSync('x25519');
const publicPem = it_.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const policy = Policy.parse({ vault: { recoveryPublicKeyPem: publicPem } });
const auditEscrow = () => path.join(dataDir, 'audit.key-escrow.jwe');

async function startAndStop(): Promise<void> {
  const core = await createCore({
    keyStore,
    clock: { now: () => Date.now() },
    paths: { dataDir },
    policy,
    logger: createMemoryLogger(),
  });
  const status = await core.invoke('workstation.status', {});
  await core.close();
  expect(status).toMatchObject({ ok: true, data: { vault: { state: 'ready', escrowed: true } } });
}

/** Flips one character in the middle of a compact JWE's ciphertext (its header still decodes). */
function damage(file: string): void {
  const parts = fs.readFileSync(file, 'utf8').trim().split('.');
  const text = parts[3]!;
  const at = Math.floor(text.length / 2);
  parts[3] = text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
  fs.writeFileSync(file, parts.join('.'));
}

async function exportedSubtypes(): Promise<string[]> {
  const policyFile = path.join(path.dirname(dataDir), 'policy.json');
  fs.writeFileSync(policyFile, JSON.stringify({ vault: { recoveryPublicKeyPem: publicPem } }));
  const out = await runTs('src-main/cli/main.ts', ['audit', 'export', '--data-dir', dataDir, '--policy', policyFile]);
  return out.stdout
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { subtype?: { code: string }[] }).subtype?.[0]?.code ?? '');
}

beforeEach(async () => {
  ({ dataDir, remove } = tempVaultDir({ prefix: 'clinic-escrow-', subdir: 'cache' }));
  await startAndStop();
});
afterEach(() => remove());

describe('164.312(a)(2)(iv) escrow that works the day it is needed', () => {
  it('a damaged cache-key escrow is noticed at open, written again from the live key, and the repair is audited', async () => {
    damage(vaultFiles(dataDir).escrow);
    await expect(unwrapCacheKey(fs.readFileSync(vaultFiles(dataDir).escrow, 'utf8'), it_.privateKey)).rejects.toThrow();
    await startAndStop();
    const key = await unwrapCacheKey(fs.readFileSync(vaultFiles(dataDir).escrow, 'utf8'), it_.privateKey);
    expect(key).toBe(await keyStore.get(accountsFor(dataDir).current));
    expect(await exportedSubtypes()).toContain('escrow-repaired');
  });

  it('a damaged audit-key escrow is noticed at open and written again', async () => {
    damage(auditEscrow());
    await startAndStop();
    const auditKey = await unwrapCacheKey(
      fs.readFileSync(auditEscrow(), 'utf8'),
      it_.privateKey,
      'clinic-workstation/audit-key/v1',
    );
    expect(auditKey).toBe(await keyStore.get(auditKeyAccount(dataDir)));
  });

  it('ws vault recover restores both keys or neither: a damaged audit-key escrow changes nothing and says so', async () => {
    await keyStore.delete(accountsFor(dataDir).current);
    await keyStore.delete(auditKeyAccount(dataDir));
    damage(auditEscrow());
    const keyFile = path.join(path.dirname(dataDir), 'it-recovery.pem');
    fs.writeFileSync(keyFile, it_.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const result = await runTs('src-main/cli/main.ts', [
      'vault',
      'recover',
      '--private-key',
      keyFile,
      '--data-dir',
      dataDir,
      '--json',
    ]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, code: 'ESCROW_DAMAGED' });
    expect(JSON.parse(result.stdout).message).toMatch(/audit key/);
    expect(await keyStore.get(accountsFor(dataDir).current)).toBeNull();
    expect(await keyStore.get(auditKeyAccount(dataDir))).toBeNull();
  });
});
