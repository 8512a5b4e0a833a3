/**
 * Crash safety and "no plaintext on disk", with real process death: a child process works on the
 * cache and is killed with SIGKILL at a random moment; the cache must then open with the right
 * key and hold everything that was committed, and no file may hold a patient's name, MRN or note
 * text in clear.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { generatePatientRecord } from '../../dev/synthetic/clinic.ts';
import { countResources, searchPatients, storeResources } from '../../src-main/records/repository.ts';
import { vaultFiles } from '../../src-main/vault/files.ts';
import { openVault } from '../../src-main/vault/vault.ts';
import { workstationMigrations } from '../../src-main/migrations.ts';
import { killHard, spawnTs, waitForLine } from '../support/child.ts';
import { testNote, testPatient } from '../support/fhir.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { filesContaining } from '../support/temp.ts';
import { tempVaultDir } from '../support/vault-fixture.ts';

let dataDir: string;
let remove: () => Promise<void>;
const logger = createMemoryLogger();
const open = () => openVault({ migrations: workstationMigrations, dataDir, keyStore, policy: {}, logger });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(() => {
  ({ dataDir, remove } = tempVaultDir({ prefix: 'clinic-crash-', subdir: 'cache' }));
});
afterEach(() => remove());

function fillerPatients(count: number) {
  return Array.from({ length: count }, (_, i) =>
    testPatient(`fill-${i}`, `Filler${i % 97}`, `Padding${i % 89}`, `F-${i}`),
  );
}

describe('key rotation survives a crash at any point', () => {
  it('SIGKILL during rotation, at random moments: the cache always reopens with all its data', async () => {
    const vault = await open();
    // Enough pages that a rekey takes a while, so kills land inside it.
    storeResources(vault.db, fillerPatients(6000));
    const expected = countResources(vault.db);
    vault.close();

    const rounds = 10;
    let killedMidRotation = 0;
    let keyChanged = 0;
    for (let round = 0; round < rounds; round++) {
      const keyBefore = await keyStore.get(accountsFor(dataDir).current);
      const child = spawnTs('tests/support/vault-child.ts', ['rotate', dataDir]);
      await waitForLine(child, 'ready');
      await sleep(20 + Math.floor(Math.random() * 1500));
      await killHard(child);
      if (fs.existsSync(vaultFiles(dataDir).rotation)) killedMidRotation++;

      const reopened = await open();
      if ((await keyStore.get(accountsFor(dataDir).current)) !== keyBefore) keyChanged++;
      expect(countResources(reopened.db)).toBe(expected);
      expect(reopened.db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(searchPatients(reopened.db, 'F-4242', 5).map((p) => p.id)).toEqual(['fill-4242']);
      reopened.close();
      // After a settled open there is exactly one key, and no half-rotation is left behind.
      expect(await keyStore.get(accountsFor(dataDir).next)).toBeNull();
      expect(fs.existsSync(vaultFiles(dataDir).rotation)).toBe(false);
    }
    // Both sides of the swap were hit: kills inside a rotation, and rotations that completed.
    expect(killedMidRotation).toBeGreaterThan(0);
    expect(keyChanged).toBeGreaterThan(0);
  });
});

describe('no plaintext PHI in any file of the data folder', () => {
  const marker = 'Vorquistel';
  const needles = (m: string) => [`${m}given`, `${m}family`, `${m}-`, `${m} note text`];

  it('after writes, after a checkpoint, and after closing', async () => {
    const vault = await open();
    const batch = [];
    for (let i = 0; i < 300; i++) {
      batch.push(testPatient(`pt-${i}`, `${marker}given`, `${marker}family`, `${marker}-${i}`));
      batch.push(testNote(`nt-${i}`, `pt-${i}`, `${marker} note text ${i}`));
    }
    storeResources(vault.db, batch);
    // The WAL holds the new pages now: they must be encrypted too.
    expect(fs.statSync(`${vaultFiles(dataDir).db}-wal`).size).toBeGreaterThan(0);
    for (const needle of needles(marker)) expect(filesContaining(dataDir, needle)).toEqual([]);

    vault.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const needle of needles(marker)) expect(filesContaining(dataDir, needle)).toEqual([]);

    // Freed pages are zeroed (secure_delete) and re-encrypted: deleting leaves nothing behind.
    vault.db.prepare(`DELETE FROM resources WHERE type = 'DocumentReference'`).run();
    vault.close();
    for (const needle of needles(marker)) expect(filesContaining(dataDir, needle)).toEqual([]);
    // Sanity: the needle search itself works on a plaintext file.
    fs.writeFileSync(path.join(path.dirname(dataDir), 'control.txt'), `${marker}given`);
    expect(filesContaining(path.dirname(dataDir), `${marker}given`)).toEqual(['control.txt']);
  });

  it('after a crash in the middle of writing (SIGKILL), WAL and journals included', async () => {
    (await open()).close();
    const child = spawnTs('tests/support/vault-child.ts', ['write', dataDir, marker]);
    await waitForLine(child, 'ready');
    await sleep(700);
    await killHard(child);
    const leftovers = fs.readdirSync(dataDir);
    expect(leftovers.some((name) => name.endsWith('-wal'))).toBe(true);
    for (const needle of needles(marker)) expect(filesContaining(dataDir, needle)).toEqual([]);

    const vault = await open();
    expect(searchPatients(vault.db, `${marker}given`, 1)).toHaveLength(1);
    vault.close();
    for (const needle of needles(marker)) expect(filesContaining(dataDir, needle)).toEqual([]);
  });

  it('after a crash during a bulk import of the synthetic clinic (rollback journal)', async () => {
    (await open()).close();
    const seed = 31;
    const child = spawnTs('tests/support/vault-child.ts', ['bulk', dataDir, String(seed)]);
    await waitForLine(child, 'ready');
    await sleep(1500);
    await killHard(child);
    // A synthetic patient from the first batches: name, MRN and the text of a note.
    const patient = Array.from({ length: 20 }, (_, i) => generatePatientRecord({ seed, patients: 400 }, i)).find(
      (p) => p.noteTexts.length > 0,
    )!;
    const secrets = [patient.family, patient.given[0]!, patient.mrn, patient.noteTexts[0]!];
    for (const secret of secrets) expect(filesContaining(dataDir, secret)).toEqual([]);

    const vault = await open();
    expect(vault.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(searchPatients(vault.db, patient.mrn, 1).map((p) => p.id)).toEqual([patient.id]);
    vault.close();
    for (const secret of secrets) expect(filesContaining(dataDir, secret)).toEqual([]);
  });
});
