/**
 * The vault against real parts: SQLCipher files on disk and the real OS keychain
 * (gnome-keyring under dbus-run-session on Linux). Every fail-closed case must leave the files
 * exactly as they were.
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { countResources, searchPatients, storeResources } from '../../src-main/records/repository.ts';
import { VaultError } from '../../src-main/vault/errors.ts';
import { vaultFiles } from '../../src-main/vault/files.ts';
import { generateCacheKey } from '../../src-main/vault/key-material.ts';
import { runMigrations } from '../../src-main/vault/migrations.ts';
import { LATEST_SCHEMA_VERSION, workstationMigrations as migrations } from '../../src-main/migrations.ts';
import { openDatabase } from '../../src-main/vault/sqlcipher.ts';
import { eraseVault, openVault, recoverVault, type VaultOptions } from '../../src-main/vault/vault.ts';
import { testPatient } from '../support/fhir.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { auditKeyAccount, loadAuditKey } from '../../src-main/audit/key.ts';
import { createAuditTrail } from '../../src-main/audit/trail.ts';
import { verifyAuditTrail } from '../../src-main/audit/verify.ts';
import { runTs } from '../support/child.ts';
import { snapshotDir } from '../support/temp.ts';
import { tempVaultDir } from '../support/vault-fixture.ts';

let dataDir: string;
let remove: () => Promise<void>;
const logger = createMemoryLogger();
const options = (extra: Partial<VaultOptions> = {}): VaultOptions => ({
  dataDir,
  keyStore,
  policy: {},
  logger,
  migrations,
  ...extra,
});

async function expectVaultError(promise: Promise<unknown>, code: VaultError['code']): Promise<void> {
  await expect(promise).rejects.toSatisfy((error) => error instanceof VaultError && error.code === code);
}

async function seededVault(extra: Partial<VaultOptions> = {}) {
  const vault = await openVault(options(extra));
  storeResources(vault.db, [
    testPatient('p1', 'Quorva', 'Zentrell', 'MRN-1001'),
    testPatient('p2', 'Bexley', 'Zentrell', 'MRN-1002'),
  ]);
  return vault;
}

beforeEach(() => {
  ({ dataDir, remove } = tempVaultDir({ prefix: 'clinic-vault-', subdir: 'cache' }));
});
afterEach(() => remove());

describe('164.312(a)(2)(iv) creating and opening the cache', () => {
  it('creates a SQLCipher cache keyed from the keychain and reopens it with its data', async () => {
    const vault = await seededVault();
    expect(vault.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(vault.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(vault.db.pragma('secure_delete', { simple: true })).toBe(1);
    expect(vault.db.pragma('temp_store', { simple: true })).toBe(2);
    expect(vault.db.pragma('cipher', { simple: true })).toBe('sqlcipher');
    vault.close();

    const key = await keyStore.get(accountsFor(dataDir).current);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    // The key is nowhere on disk.
    for (const file of fs.readdirSync(dataDir))
      expect(fs.readFileSync(path.join(dataDir, file)).includes(Buffer.from(key!))).toBe(false);

    const again = await openVault(options());
    expect(
      searchPatients(again.db, 'Zentrell', 10)
        .map((p) => p.id)
        .sort(),
    ).toEqual(['p1', 'p2']);
    again.close();
  });

  it('cannot be opened without the key, nor read as a plain SQLite file', async () => {
    (await seededVault()).close();
    const header = fs.readFileSync(vaultFiles(dataDir).db).subarray(0, 16).toString('latin1');
    expect(header).not.toContain('SQLite format 3');
    expect(() => openDatabase(vaultFiles(dataDir).db, null)).toThrow(/not a database/);
    expect(() => openDatabase(vaultFiles(dataDir).db, generateCacheKey())).toThrow(/not a database/);
  });
});

describe('fails closed, changing nothing', () => {
  it('KEY_MISSING: the database exists but the keychain entry is gone', async () => {
    (await seededVault()).close();
    await keyStore.delete(accountsFor(dataDir).current);
    const before = snapshotDir(dataDir);
    await expectVaultError(openVault(options()), 'KEY_MISSING');
    expect(snapshotDir(dataDir)).toEqual(before);
  });

  it('DATABASE_MISSING: the key is present but the database file is gone', async () => {
    (await seededVault()).close();
    fs.rmSync(vaultFiles(dataDir).db);
    const before = snapshotDir(dataDir);
    await expectVaultError(openVault(options()), 'DATABASE_MISSING');
    expect(snapshotDir(dataDir)).toEqual(before);
    expect(fs.existsSync(vaultFiles(dataDir).db)).toBe(false);
  });

  it('WRONG_KEY: the keychain holds a key that does not open this cache', async () => {
    (await seededVault()).close();
    await keyStore.set(accountsFor(dataDir).current, generateCacheKey());
    const before = snapshotDir(dataDir);
    await expectVaultError(openVault(options()), 'WRONG_KEY');
    expect(snapshotDir(dataDir)).toEqual(before);
  });

  it('CORRUPT: the right key, but page 1 of the file is damaged', async () => {
    (await seededVault()).close();
    const file = vaultFiles(dataDir).db;
    const bytes = fs.readFileSync(file);
    bytes.fill(0x5a, 100, 600);
    fs.writeFileSync(file, bytes);
    const before = snapshotDir(dataDir);
    await expectVaultError(openVault(options()), 'CORRUPT');
    expect(snapshotDir(dataDir)).toEqual(before);
  });

  it('SCHEMA_TOO_NEW: a cache written by a newer app is refused, not touched', async () => {
    (await seededVault()).close();
    const key = await keyStore.get(accountsFor(dataDir).current);
    const db = openDatabase(vaultFiles(dataDir).db, key);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    const before = snapshotDir(dataDir);
    await expectVaultError(openVault(options()), 'SCHEMA_TOO_NEW');
    expect(snapshotDir(dataDir)).toEqual(before);
  });

  it('KEYCHAIN_UNAVAILABLE: no Secret Service reachable (a real process without D-Bus)', async () => {
    (await seededVault()).close();
    const before = snapshotDir(dataDir);
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', DISPLAY: '' };
    const result = await runTs('tests/support/vault-child.ts', ['open', dataDir], env);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toEqual({ ok: false, code: 'KEYCHAIN_UNAVAILABLE' });
    expect(snapshotDir(dataDir)).toEqual(before);
  });

  it('never creates a new empty cache over an existing file', async () => {
    (await seededVault()).close();
    await keyStore.delete(accountsFor(dataDir).current);
    await expectVaultError(openVault(options()), 'KEY_MISSING');
    await expectVaultError(openVault(options()), 'KEY_MISSING');
    // The old key is gone for good here, but the data is still in the file for IT to recover.
    expect(fs.statSync(vaultFiles(dataDir).db).size).toBeGreaterThan(4096);
  });

  it('an interrupted first creation is discarded and built again', async () => {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(vaultFiles(dataDir).staging, 'half-written');
    const vault = await openVault(options());
    expect(fs.existsSync(vaultFiles(dataDir).staging)).toBe(false);
    vault.close();
  });
});

describe('migrations', () => {
  it('run in one transaction each: a failing migration leaves the previous version intact', async () => {
    const vault = await seededVault();
    const broken = [
      ...migrations,
      {
        version: LATEST_SCHEMA_VERSION + 1,
        name: 'adds a table then fails',
        sql: 'CREATE TABLE half_done (x); SELECT no_such_function();',
      },
    ];
    expect(() => runMigrations(vault.db, broken)).toThrow();
    expect(vault.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(vault.db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'`).get()).toEqual({
      n: 0,
    });
    expect(countResources(vault.db)).toBe(2);
    vault.close();
  });
});

describe('164.312(a)(2)(iv) key escrow and IT recovery', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 3072 });
  const x25519 = generateKeyPairSync('x25519');
  const pem = (key: { export(o: object): string | Buffer }, type: string) =>
    key.export({ type, format: 'pem' }).toString();

  for (const [name, pair] of [
    ['RSA-3072', rsa],
    ['X25519', x25519],
  ] as const) {
    it(`${name}: a cache whose keychain entry is lost is recovered with the command and IT's private key`, async () => {
      const policy = { recoveryPublicKeyPem: pem(pair.publicKey, 'spki') };
      const vault = await seededVault({ policy });
      expect(vault.escrowed).toBe(true);
      // The audit trail, its key escrowed too.
      const auditKey = await loadAuditKey(keyStore, dataDir, vault.db, policy.recoveryPublicKeyPem);
      createAuditTrail(vault.db, auditKey, { now: () => 1_780_000_000_000 }).append({
        action: 'session.signIn',
        outcome: 'success',
        userId: 'nurse1',
        role: 'nurse',
      });
      expect(fs.existsSync(path.join(dataDir, 'audit.key-escrow.jwe'))).toBe(true);
      vault.close();
      // The whole keychain entry set is lost: cache key and audit key.
      await keyStore.delete(accountsFor(dataDir).current);
      await keyStore.delete(auditKeyAccount(dataDir));
      await expectVaultError(openVault(options({ policy })), 'KEY_MISSING');

      const keyFile = path.join(path.dirname(dataDir), 'it-recovery.pem');
      fs.writeFileSync(keyFile, pem(pair.privateKey, 'pkcs8'));
      const result = await runTs('src-main/cli/main.ts', [
        'vault',
        'recover',
        '--private-key',
        keyFile,
        '--data-dir',
        dataDir,
        '--json',
      ]);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ ok: true, recovered: true });

      const recovered = await openVault(options({ policy }));
      expect(searchPatients(recovered.db, 'MRN-1001', 5).map((p) => p.id)).toEqual(['p1']);
      // The audit key is back, the trail verifies, and the recovery is in it.
      const restored = await loadAuditKey(keyStore, dataDir, recovered.db);
      expect(restored.equals(auditKey)).toBe(true);
      expect(verifyAuditTrail(recovered.db, restored)).toMatchObject({ ok: true, checked: 2 });
      expect(recovered.db.prepare('SELECT action FROM audit_log ORDER BY seq').all()).toEqual([
        { action: 'session.signIn' },
        { action: 'key.recover' },
      ]);
      recovered.close();
    });
  }

  it('refuses a private key that does not fit, and changes nothing', async () => {
    (await seededVault({ policy: { recoveryPublicKeyPem: pem(rsa.publicKey, 'spki') } })).close();
    await keyStore.delete(accountsFor(dataDir).current);
    const before = snapshotDir(dataDir);
    const other = generateKeyPairSync('rsa', { modulusLength: 3072 });
    await expect(
      recoverVault({ dataDir, keyStore, logger, privateKeyPem: pem(other.privateKey, 'pkcs8') }),
    ).rejects.toThrow(/does not unwrap/);
    expect(snapshotDir(dataDir)).toEqual(before);
    expect(await keyStore.get(accountsFor(dataDir).current)).toBeNull();
  });

  it('refuses a recovery key weaker than RSA-3072 and creates no cache', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await expectVaultError(
      openVault(options({ policy: { recoveryPublicKeyPem: pem(weak.publicKey, 'spki') } })),
      'ESCROW_FAILED',
    );
    expect(fs.existsSync(vaultFiles(dataDir).db)).toBe(false);
    expect(await keyStore.get(accountsFor(dataDir).current)).toBeNull();
  });

  it('escrows an existing cache when IT adds a recovery key to policy later', async () => {
    (await seededVault()).close();
    expect(fs.existsSync(vaultFiles(dataDir).escrow)).toBe(false);
    const vault = await openVault(options({ policy: { recoveryPublicKeyPem: pem(x25519.publicKey, 'spki') } }));
    expect(vault.escrowed).toBe(true);
    vault.close();
    await keyStore.delete(accountsFor(dataDir).current);
    await recoverVault({ dataDir, keyStore, logger, privateKeyPem: pem(x25519.privateKey, 'pkcs8') });
    (await openVault(options())).close();
  });
});

describe('164.312(a)(2)(iv) key rotation and crypto-erase', () => {
  it('rotates to a new key: the old key no longer opens the file, the data is intact, escrow follows', async () => {
    const pair = generateKeyPairSync('x25519');
    const policy = { recoveryPublicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    const vault = await seededVault({ policy });
    const oldKey = await keyStore.get(accountsFor(dataDir).current);
    await vault.rotateKey();
    expect(countResources(vault.db)).toBe(2);
    vault.close();

    const newKey = await keyStore.get(accountsFor(dataDir).current);
    expect(newKey).not.toBe(oldKey);
    expect(await keyStore.get(accountsFor(dataDir).next)).toBeNull();
    expect(() => openDatabase(vaultFiles(dataDir).db, oldKey)).toThrow(/not a database/);
    const reopened = await openVault(options({ policy }));
    expect(countResources(reopened.db)).toBe(2);
    reopened.close();

    await keyStore.delete(accountsFor(dataDir).current);
    await recoverVault({
      dataDir,
      keyStore,
      logger,
      privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    expect(await keyStore.get(accountsFor(dataDir).current)).toBe(newKey);
  });

  it('crypto-erase destroys the keychain entry first, then every file of the cache', async () => {
    const vault = await seededVault();
    vault.close();
    const { removed } = await eraseVault({ dataDir, keyStore });
    expect(removed).toContain('cache.db');
    expect(await keyStore.get(accountsFor(dataDir).current)).toBeNull();
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });
});
