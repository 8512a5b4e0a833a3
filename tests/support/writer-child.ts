/**
 * A second writer on a cache, bypassing the owner lock (as a foreign tool or an older build
 * would): it opens cache.db with the key from the keychain and makes `count` read-then-write
 * transactions through durably(), then prints how many failed and with which SQLite codes.
 *   writer-child <dataDir> <count> <marker>
 *   writer-child <dataDir> hold             take the write lock (BEGIN IMMEDIATE) and keep it
 */
import { storeResources } from '../../src-main/records/repository.ts';
import { keychainAccounts } from '../../src-main/vault/key-material.ts';
import { createKeytarKeyStore } from '../../src-main/vault/keytar-key-store.ts';
import { applyConnectionSettings, durably, openDatabase } from '../../src-main/vault/sqlcipher.ts';
import { vaultFiles } from '../../src-main/vault/files.ts';
import { testPatient } from './fhir.ts';

const [dataDir, count = '200', marker = 'Child'] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: writer-child <dataDir> <count> <marker>');
const key = await createKeytarKeyStore().get(keychainAccounts(dataDir).current);
if (!key) throw new Error('no key');
const db = openDatabase(vaultFiles(dataDir).db, key);
applyConnectionSettings(db);
if (count === 'hold') {
  db.exec('BEGIN IMMEDIATE');
  process.stdout.write('ready\n');
  setInterval(() => undefined, 60_000);
} else {
  process.stdout.write('ready\n');
  writeMany(Number(count));
}

function writeMany(n: number): void {
  const failures: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    try {
      durably(db, () => {
        db.prepare('SELECT count(*) FROM resources').get();
        storeResources(db, [testPatient(`${marker}-${i}`, `${marker}given`, `${marker}family`, `${marker}-${i}`)]);
      });
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? 'unknown');
      failures[code] = (failures[code] ?? 0) + 1;
    }
  }
  db.close();
  process.stdout.write(`${JSON.stringify({ failures })}\n`);
}
