/**
 * A separate process that pushes a cache's outbox to central until done, so the push is tested
 * against real process death (SIGKILL at any moment), not a simulated one.
 *   push-child <dataDir> <fhirBaseUrl>   (the access token in CLINIC_TEST_TOKEN)
 * Prints "ready" once the cache is open and "done <pushed>" at the end.
 */
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { pushOutbox } from '../../src-main/sync/push.ts';
import { createKeytarKeyStore } from '../../src-main/vault/keytar-key-store.ts';
import { openVault } from '../../src-main/vault/vault.ts';
import { workstationMigrations } from '../../src-main/migrations.ts';

const [dataDir, fhirBaseUrl] = process.argv.slice(2);
const token = process.env['CLINIC_TEST_TOKEN'];
if (!dataDir || !fhirBaseUrl || !token)
  throw new Error('usage: CLINIC_TEST_TOKEN=... push-child <dataDir> <fhirBaseUrl>');

const vault = await openVault({
  migrations: workstationMigrations,
  dataDir,
  keyStore: createKeytarKeyStore(),
  policy: {},
  logger: createMemoryLogger(),
});
process.stdout.write('ready\n');
const result = await pushOutbox({
  db: vault.db,
  fhirBaseUrl,
  tokenFor: async () => ({ token }),
  allowLoopbackHttp: true,
  clock: { now: () => Date.now() },
  logger: createMemoryLogger(),
});
vault.close();
process.stdout.write(`done ${result.pushed}\n`);
