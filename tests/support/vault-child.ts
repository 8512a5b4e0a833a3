/**
 * A separate process that works on a cache until the test kills it (SIGKILL), so crash safety is
 * tested with real process death, not a simulated one. Prints "ready" once the cache is open.
 *   rotate <dataDir>          rotate the key again and again
 *   write <dataDir> <marker>  store batches of patients whose names contain the marker
 *   bulk <dataDir> <seed>     bulk-import a synthetic clinic (rollback-journal mode), then again
 *   open <dataDir>            print the vault's status as JSON and exit
 *   notes <dataDir> <marker>  store one note at a time, printing "committed <id>" after each commit
 */
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { generateResources } from '../../dev/synthetic/clinic.ts';
import { bulkStoreResources, storeResources } from '../../src-main/records/repository.ts';
import { VaultError } from '../../src-main/vault/errors.ts';
import { createKeytarKeyStore } from '../../src-main/vault/keytar-key-store.ts';
import { openVault } from '../../src-main/vault/vault.ts';
import { testNote, testPatient } from './fhir.ts';
import { workstationMigrations } from '../../src-main/migrations.ts';

const [mode, dataDir, marker = 'Zed'] = process.argv.slice(2);
if (!mode || !dataDir) throw new Error('usage: vault-child <mode> <dataDir> [marker]');

try {
  const vault = await openVault({
    migrations: workstationMigrations,
    dataDir,
    keyStore: createKeytarKeyStore(),
    policy: {},
    logger: createMemoryLogger(),
  });
  if (mode === 'open') {
    process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
    vault.close();
    process.exit(0);
  }
  process.stdout.write('ready\n');
  if (mode === 'notes') {
    storeResources(vault.db, [testPatient(`${marker}-patient`, `${marker}given`, `${marker}family`, `${marker}-MRN`)]);
    for (let i = 0; ; i++) {
      const id = `${marker}-note-${i}`;
      storeResources(vault.db, [testNote(id, `${marker}-patient`, `${marker} note text`)]);
      process.stdout.write(`committed ${id}\n`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  for (let round = 0; ; round++) {
    if (mode === 'rotate') await vault.rotateKey();
    else if (mode === 'write') {
      const batch = [];
      for (let i = 0; i < 200; i++) {
        const id = `crash-${round}-${i}`;
        batch.push(testPatient(id, `${marker}given`, `${marker}family`, `${marker}-${round}-${i}`));
        batch.push(testNote(`note-${round}-${i}`, id, `${marker} note text`));
      }
      storeResources(vault.db, batch);
    } else if (mode === 'bulk') {
      const resources = [...generateResources({ seed: Number(marker), patients: 400 })];
      const batches = [];
      for (let i = 0; i < resources.length; i += 500) batches.push(resources.slice(i, i + 500));
      bulkStoreResources(vault.db, batches);
    } else throw new Error(`unknown mode ${mode}`);
  }
} catch (error) {
  if (error instanceof VaultError) {
    process.stdout.write(`${JSON.stringify({ ok: false, code: error.code })}\n`);
    process.exit(1);
  }
  throw error;
}
