/**
 * A separate process that ships a cache's audit trail to central until nothing is pending, so
 * shipping is tested against real process death (SIGKILL mid-batch), not a simulated one.
 *   ship-child <dataDir> <fhirBaseUrl> <settleMs> <batchSize>   (the access token in CLINIC_TEST_TOKEN)
 * Prints "ready" once the cache is open and "done <pending>" at the end.
 */
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { shipAuditTrail } from '../../src-main/audit/ship.ts';
import { createKeytarKeyStore } from '../../src-main/vault/keytar-key-store.ts';
import { openVault } from '../../src-main/vault/vault.ts';
import { workstationMigrations } from '../../src-main/migrations.ts';

const [dataDir, fhirBaseUrl, settleMs = '1000', batchSize = '500'] = process.argv.slice(2);
const token = process.env['CLINIC_TEST_TOKEN'];
if (!dataDir || !fhirBaseUrl || !token)
  throw new Error('usage: CLINIC_TEST_TOKEN=... ship-child <dataDir> <fhirBaseUrl> <settleMs> <batchSize>');

const vault = await openVault({
  migrations: workstationMigrations,
  dataDir,
  keyStore: createKeytarKeyStore(),
  policy: {},
  logger: createMemoryLogger(),
});
process.stdout.write('ready\n');
const deadline = Date.now() + 60_000;
let pending = Number.POSITIVE_INFINITY;
while (pending > 0 && Date.now() < deadline) {
  const result = await shipAuditTrail({
    db: vault.db,
    fhirBaseUrl,
    allowLoopbackHttp: true,
    accessToken: token,
    clock: { now: () => Date.now() },
    logger: createMemoryLogger(),
    settleMs: Number(settleMs),
    batchSize: Number(batchSize),
  });
  pending = result.pending;
  // What is left is in doubt (sent, unanswered) until it settles: look again shortly.
  if (pending > 0) await new Promise((resolve) => setTimeout(resolve, 100));
}
vault.close();
process.stdout.write(`done ${pending}\n`);
