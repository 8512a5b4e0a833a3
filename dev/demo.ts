/**
 * The demo: dev central (the clinic's identity provider and FHIR API) with a synthetic clinic,
 * and a workstation whose fresh encrypted cache (real SQLCipher, key in the real OS keychain)
 * holds the same clinic, served with the real renderer by the dev web host. Run through
 * `bash scripts/demo.sh`, which sets the machine up, builds the renderer and starts a keychain.
 *
 *   tsx dev/demo.ts [--patients N] [--seed N] [--port N]
 *
 * The cache lives in a temporary folder and is crypto-erased when the demo stops (Ctrl+C).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCentral, workstationPolicyFor } from './central/central.ts';
import { generateResources } from './synthetic/clinic.ts';
import { startWebHost } from './web-host/server.ts';
import { createJsonLogger } from '../src-main/log/logger.ts';
import { bulkStoreResources } from '../src-main/records/repository.ts';
import { createKeytarKeyStore } from '../src-main/vault/keytar-key-store.ts';
import { eraseVault, openVault } from '../src-main/vault/vault.ts';
import { workstationMigrations } from '../src-main/migrations.ts';

const USAGE = 'usage: tsx dev/demo.ts [--patients N (default 2000)] [--seed N] [--port N (default 0: any free port)]';
const say = (text: string) => process.stdout.write(`${text}\n`);

function integerOption(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    process.stderr.write(`demo: --${name} must be an integer from ${min} to ${max}\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      patients: { type: 'string', default: '2000' },
      seed: { type: 'string', default: '1' },
      port: { type: 'string', default: '0' },
    },
  }));
} catch (error) {
  process.stderr.write(`demo: ${(error as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
const patients = integerOption(values.patients, 'patients', 1, 200_000);
const seed = integerOption(values.seed, 'seed', 0, 0xffffffff);
const port = integerOption(values.port, 'port', 0, 65_535);

const central = await startCentral({ patients, seed });
const keyStore = createKeytarKeyStore();
const logger = createJsonLogger();
const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'clinic-demo-')), 'cache');

const vault = await openVault({ migrations: workstationMigrations, dataDir, keyStore, policy: {}, logger });
const started = performance.now();
function* batches() {
  let batch: unknown[] = [];
  for (const resource of generateResources({ seed, patients })) {
    batch.push(resource);
    if (batch.length === 5000) {
      yield batch;
      batch = [];
    }
  }
  yield batch;
}
const { stored } = bulkStoreResources(vault.db, batches());
vault.close();
say(
  `Demo clinic: ${patients} synthetic patients, ${stored} FHIR resources in the encrypted cache (${Math.round(performance.now() - started)} ms).`,
);

const host = await startWebHost({ dataDir, port, logger, policy: { central: workstationPolicyFor(central) } });
const onePerRole = central.users.filter(
  (user, i) => central.users.findIndex((other) => other.role === user.role) === i,
);
say('');
say('Dev central (synthetic data only):');
say(`  Identity provider  ${central.issuer}`);
say(`  FHIR R4 API        ${central.fhirBaseUrl}  (${central.seeding.resources} resources)`);
say(`  Demo users         ${onePerRole.map((u) => `${u.username} / ${u.password} (${u.role})`).join(', ')}`);
say('');
say('Clinic Workstation is running. Open this address in a browser (it carries a one-time secret):');
say(`  ${host.url}`);
say(`Its data folder (the encrypted cache): ${dataDir}`);
say('A reload of the page reconnects; the session stays as it was (signed in, locked or signed out).');
say('');
say('The workstation cache holds the same clinic. Press "Sign in": the provider\'s page opens as a popup');
say('(allow popups for this address); sign in as one of the demo users, then set a PIN.');
say('Press Ctrl+C to stop: the demo cache is crypto-erased on the way out.');

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await host.close();
  await central.close();
  await eraseVault({ dataDir, keyStore });
  fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
