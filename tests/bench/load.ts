/**
 * One bulk load for the bench, in a process of its own so that both caches are loaded under the
 * same conditions (fresh heap, the same JIT warm-up); the bench runs it once per cache.
 *   load.ts --kind encrypted|plain --target <dir or file> --patients N --seed N
 * Prints one JSON line: { stored, loadMs } where loadMs excludes generating the clinic.
 */
import { parseArgs } from 'node:util';
import { generateResources } from '../../dev/synthetic/clinic.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { bulkStoreResources } from '../../src-main/records/repository.ts';
import { createKeytarKeyStore } from '../../src-main/vault/keytar-key-store.ts';
import { runMigrations } from '../../src-main/vault/migrations.ts';
import { applyConnectionSettings, openDatabase, type Database } from '../../src-main/vault/sqlcipher.ts';
import { openVault } from '../../src-main/vault/vault.ts';
import { parseFhirResource } from '../../src-shared/fhir/index.ts';
import { workstationMigrations } from '../../src-main/migrations.ts';

const { values } = parseArgs({
  options: {
    kind: { type: 'string' },
    target: { type: 'string' },
    patients: { type: 'string' },
    seed: { type: 'string' },
  },
});
const patients = Number(values.patients);
const seed = Number(values.seed);
if (
  (values.kind !== 'encrypted' && values.kind !== 'plain') ||
  !values.target ||
  !Number.isInteger(patients) ||
  !Number.isInteger(seed)
) {
  process.stderr.write('usage: load.ts --kind encrypted|plain --target <path> --patients N --seed N\n');
  process.exit(2);
}

let db: Database;
let close: () => void;
if (values.kind === 'encrypted') {
  const vault = await openVault({
    migrations: workstationMigrations,
    dataDir: values.target,
    keyStore: createKeytarKeyStore(),
    policy: {},
    logger: createMemoryLogger(),
  });
  db = vault.db;
  close = () => vault.close();
} else {
  db = openDatabase(values.target, null);
  applyConnectionSettings(db);
  runMigrations(db, workstationMigrations);
  close = () => db.close();
}

// Warm the validator's JIT on another clinic first.
for (const resource of generateResources({ seed: seed + 1, patients: 2000 })) parseFhirResource(resource);

// The time spent inside the generator is measured and taken out of the figure.
const clock = { generateMs: 0 };
function* timedBatches(): Generator<unknown[]> {
  const source = generateResources({ seed, patients });
  for (;;) {
    const start = performance.now();
    const batch: unknown[] = [];
    let next = source.next();
    while (!next.done) {
      batch.push(next.value);
      if (batch.length === 5000) break;
      next = source.next();
    }
    clock.generateMs += performance.now() - start;
    if (batch.length > 0) yield batch;
    if (next.done) return;
  }
}
const start = performance.now();
const result = bulkStoreResources(db, timedBatches());
const loadMs = performance.now() - start - clock.generateMs;
close();
if (result.rejected.length > 0) {
  process.stderr.write(`bench: ${result.rejected.length} generated resources were rejected\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ stored: result.stored, loadMs })}\n`);
