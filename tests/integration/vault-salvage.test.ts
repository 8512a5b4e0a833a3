/**
 * The salvage path (issue 13): before anything is wiped, `ws vault salvage` exports what can
 * still be read of a damaged cache (the unsynced outbox first, then the records and the audit
 * trail), sealed for IT's recovery key so nothing readable reaches the disk; `ws vault
 * read-salvage` opens it with IT's private key. A damaged table is skipped and counted, the rest
 * comes out whole.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore } from '../../src-main/core.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { workstationMigrations } from '../../src-main/migrations.ts';
import { storeResources } from '../../src-main/records/repository.ts';
import { recordLocalChange } from '../../src-main/sync/outbox.ts';
import { openVault } from '../../src-main/vault/vault.ts';
import type { FhirResource } from '../../src-shared/fhir/index.ts';
import { Policy } from '../../src-shared/policy/schema.ts';
import { runTs } from '../support/child.ts';
import { testNote, testPatient } from '../support/fhir.ts';
import { keyStore } from '../support/keychain.ts';
import { tempVaultDir } from '../support/vault-fixture.ts';
import { damageRootPageOf, wsOn } from '../support/faults.ts';

let dataDir: string;
let remove: () => Promise<void>;
const recovery = generateKeyPairSync('x25519');
const publicPem = recovery.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const files = () => {
  const dir = path.dirname(dataDir);
  fs.writeFileSync(path.join(dir, 'policy.json'), JSON.stringify({ vault: { recoveryPublicKeyPem: publicPem } }));
  fs.writeFileSync(path.join(dir, 'it.pem'), recovery.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return {
    policy: path.join(dir, 'policy.json'),
    privateKey: path.join(dir, 'it.pem'),
    out: path.join(dir, 'salvage.jwe'),
  };
};

beforeEach(async () => {
  ({ dataDir, remove } = tempVaultDir({ prefix: 'clinic-salvage-', subdir: 'cache' }));
  const core = await createCore({
    keyStore,
    clock: { now: () => Date.now() },
    paths: { dataDir },
    policy: Policy.parse({}),
    logger: createMemoryLogger(),
  });
  await core.close();
  const vault = await openVault({
    migrations: workstationMigrations,
    dataDir,
    keyStore,
    policy: {},
    logger: createMemoryLogger(),
  });
  storeResources(
    vault.db,
    Array.from({ length: 300 }, (_, i) => testPatient(`p-${i}`, `Salvgiven${i}`, `Salvfamily${i}`, `S-${i}`)),
  );
  recordLocalChange(vault.db, testNote('n-unsynced', 'p-1', 'Unsynced salvage note') as FhirResource, 'nurse1', {
    now: () => Date.now(),
  });
  vault.close();
});
afterEach(() => remove());

async function readSalvage(f: ReturnType<typeof files>): Promise<{ label: string; row: Record<string, unknown> }[]> {
  const read = await runTs('src-main/cli/main.ts', [
    'vault',
    'read-salvage',
    '--private-key',
    f.privateKey,
    '--in',
    f.out,
  ]);
  expect(read.code, read.stderr).toBe(0);
  return read.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { label: string; row: Record<string, unknown> });
}

describe('ws vault salvage', () => {
  it('exports the outbox first, then records and the audit trail, sealed for IT: nothing readable on disk', async () => {
    const f = files();
    const result = await wsOn(dataDir)('vault', 'salvage', '--out', f.out, '--policy', f.policy);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: true,
      counts: expect.arrayContaining([expect.objectContaining({ label: 'outbox', read: 1, unreadable: 0 })]),
    });
    const sealed = fs.readFileSync(f.out, 'utf8');
    expect(sealed).not.toContain('Salvfamily');
    expect(sealed).not.toContain('Unsynced salvage note');
    const rows = await readSalvage(f);
    expect(rows[0]?.label).toBe('outbox');
    expect(String(rows[0]?.row['json'])).toContain('n-unsynced');
    expect(rows.filter((r) => r.label === 'records').length).toBeGreaterThanOrEqual(301);
    expect(rows.some((r) => r.label === 'audit')).toBe(true);
  });

  it('from a CORRUPT cache (a damaged outbox page): the damaged table is counted as unreadable, the rest comes out', async () => {
    await damageRootPageOf(dataDir, 'sync_outbox');
    const f = files();
    const result = await wsOn(dataDir)('vault', 'salvage', '--out', f.out, '--policy', f.policy);
    expect(result.code).toBe(0);
    const counts = (JSON.parse(result.stdout) as { counts: { label: string; read: number; unreadable: number }[] })
      .counts;
    expect(counts.find((c) => c.label === 'outbox')).toMatchObject({ read: 0 });
    expect(counts.find((c) => c.label === 'outbox')?.unreadable).toBeGreaterThan(0);
    expect(counts.find((c) => c.label === 'records')?.read).toBeGreaterThanOrEqual(301);
    const rows = await readSalvage(f);
    expect(rows.some((r) => r.label === 'records' && String(r.row['json']).includes('Salvfamily7'))).toBe(true);
  });

  it('refuses without IT’s recovery key: nothing in clear is written', async () => {
    const out = path.join(path.dirname(dataDir), 'clear.ndjson');
    const result = await wsOn(dataDir)('vault', 'salvage', '--out', out);
    expect(result.code).toBe(1);
    expect(fs.existsSync(out)).toBe(false);
  });
});
