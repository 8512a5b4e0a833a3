/**
 * `npm run bench`: the performance budgets of the issues, on this repository's synthetic clinic:
 * the vault (SQLCipher measured side by side with the same library unencrypted), the PIN check,
 * the authorization decision, the audit trail, sync with dev central (and the first pull scoped
 * to 5,000 patients of a central holding 1,000,000, scope-budgets.ts), and the lock and chart in
 * Chromium. Prints a table; exits 0 whatever the figures (a benchmark, not a test).
 *
 *   --patients N   patients in the clinic (default 100000; about 10 other resources each)
 *   --seed N       synthetic clinic seed (default 1)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generatePatientRecord } from '../../dev/synthetic/clinic.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { readPatientRecord, searchPatients } from '../../src-main/records/repository.ts';
import { createKeytarKeyStore } from '../../src-main/vault/keytar-key-store.ts';
import { applyConnectionSettings, openDatabase, type Database } from '../../src-main/vault/sqlcipher.ts';
import { openVault, quickCheck } from '../../src-main/vault/vault.ts';
import { checkAnchor, readAnchor } from '../../src-main/audit/anchor.ts';
import { openWorkstation } from '../../src-main/workstation.ts';
import { eraseWorkstation } from '../../src-main/workstation-keys.ts';
import { Policy } from '../../src-shared/policy/schema.ts';
import { benchAuthorization } from './access.ts';
import { benchAudit } from './audit.ts';
import { benchAuditShipping } from './audit-ship.ts';
import { benchChartRender } from './chart-render.ts';
import { benchChartOnDemand } from './chart-on-demand.ts';
import { benchLock } from './lock.ts';
import { benchPin } from './pin.ts';
import { benchScopedPull } from './scope-budgets.ts';
import { benchSync } from './sync-budgets.ts';
import { median, percentile, printTable, time, type BenchRow } from './stats.ts';
import { largeTables, workstationMigrations } from '../../src-main/migrations.ts';

const { values } = parseArgs({
  options: { patients: { type: 'string', default: '100000' }, seed: { type: 'string', default: '1' } },
});
const patients = Number(values.patients);
const seed = Number(values.seed);
if (!Number.isInteger(patients) || patients < 100 || !Number.isInteger(seed) || seed < 0) {
  process.stderr.write('bench: --patients must be an integer >= 100 and --seed a non-negative integer\n');
  process.exit(2);
}

const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'clinic-bench-'));
const encryptedDir = path.join(root, 'encrypted');
const plainFile = path.join(root, 'plain', 'cache.db');
fs.mkdirSync(path.dirname(plainFile), { recursive: true });
const keyStore = createKeytarKeyStore();
const logger = createMemoryLogger();

// 1. Bulk load: the same clinic into both caches through the product's import path, each in a
//    fresh process (tests/bench/load.ts), with the OS's dirty pages flushed in between so the
//    second load does not pay for the first one's writes.
const loadMs = { encrypted: 0, plain: 0 };
let loaded = 0;
for (const [kind, target] of [
  ['encrypted', encryptedDir],
  ['plain', plainFile],
] as const) {
  progress(`loading ${patients} patients and their records into the ${kind} cache`);
  const child = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(import.meta.dirname, 'load.ts'),
      '--kind',
      kind,
      '--target',
      target,
      '--patients',
      String(patients),
      '--seed',
      String(seed),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (child.status !== 0) throw new Error(`bench: loading the ${kind} cache failed`);
  const answer = JSON.parse(child.stdout.trim()) as { stored: number; loadMs: number };
  loadMs[kind] = answer.loadMs;
  loaded = answer.stored;
  if (process.platform === 'linux') spawnSync('sync');
}

const vault = await openVault({
  migrations: workstationMigrations,
  largeTables,
  dataDir: encryptedDir,
  keyStore,
  policy: {},
  logger,
});
const plain = openDatabase(plainFile, null);
applyConnectionSettings(plain);
const dbs: Record<'encrypted' | 'plain', Database> = { encrypted: vault.db, plain };

// 2. Search and open chart: the same random patients' names, MRNs and birth dates in both.
const sampleCount = 1000;
const sample = Array.from({ length: sampleCount }, (_, i) =>
  generatePatientRecord({ seed, patients }, Math.floor(((i * 7919) % sampleCount) * (patients / sampleCount))),
);
const queries = {
  name: sample.map((r, i) =>
    i % 2 === 0 ? r.family.slice(0, 2 + (i % 3)) : `${r.given[0]!.slice(0, 3)} ${r.family.slice(0, 2)}`,
  ),
  mrn: sample.map((r) => r.mrn),
  birthDate: sample.map((r) => r.birthDate),
};
type Kind = 'encrypted' | 'plain';
/** Runs the same operation on both caches in alternation, so drift hits both alike. */
function measurePair(run: (db: Database, i: number) => void, warmup = 50): Record<Kind, number[]> {
  for (let i = 0; i < warmup; i++) for (const kind of ['encrypted', 'plain'] as const) run(dbs[kind], i); // statements, JIT
  const out: Record<Kind, number[]> = { encrypted: [], plain: [] };
  sample.forEach((_, i) => {
    for (const kind of (i % 2 === 0 ? ['encrypted', 'plain'] : ['plain', 'encrypted']) as Kind[])
      out[kind].push(time(() => run(dbs[kind], i)).ms);
  });
  return out;
}
const search: Record<string, Record<Kind, number[]>> = {};
for (const [kind, list] of Object.entries(queries))
  search[kind] = measurePair((db, i) => searchPatients(db, list[i]!, 50));
// A chart opened for the first time (its pages come from disk and are decrypted), then the same
// charts again (the clinician goes back to them; the pages are in the cache).
const chartFirst = measurePair((db, i) => readPatientRecord(db, sample[i]!.id), 0);
const chartAgain = measurePair((db, i) => readPatientRecord(db, sample[i]!.id), 0);
const resourceCount = loaded;
vault.close();
plain.close();

// 3. Open an existing cache as the app does (openWorkstation): keychain read, owner lock, open,
//    key check, schema check, the quick integrity check of the small tables, the audit key and
//    the audit anchor's check; and, side by side, what the two checks alone cost on that cache.
progress('opening the existing cache repeatedly');
const openMs: number[] = [];
const quickCheckMs: number[] = [];
const anchorCheckMs: number[] = [];
const ports = {
  keyStore,
  clock: { now: () => Date.now() },
  paths: { dataDir: encryptedDir },
  policy: Policy.parse({}),
  logger,
};
for (let i = 0; i < 30; i++) {
  const start = performance.now();
  const workstation = await openWorkstation(ports);
  openMs.push(performance.now() - start);
  const opened = workstation.opened();
  if (!opened) throw new Error(`bench: the cache did not open (${JSON.stringify(workstation.status().vault)})`);
  quickCheckMs.push(time(() => quickCheck(opened.vault.db, largeTables)).ms);
  const a0 = performance.now();
  checkAnchor(opened.trail, await readAnchor(keyStore, encryptedDir, opened.auditKey));
  anchorCheckMs.push(performance.now() - a0);
  await workstation.close();
}
await eraseWorkstation({ dataDir: encryptedDir, keyStore });
fs.rmSync(root, { recursive: true, force: true });

const allSearchEncrypted = Object.values(search).flatMap((s) => s.encrypted);
const allSearchPlain = Object.values(search).flatMap((s) => s.plain);
const ratio = (a: number, b: number) => a / b;
const fmt = (n: number, digits = 2) => n.toFixed(digits);
const rows: BenchRow[] = [
  {
    name: `bulk load, encrypted (${resourceCount} resources)`,
    figure: `${Math.round(resourceCount / (loadMs.encrypted / 1000))} resources/s`,
    budget: '>= 20000 resources/s',
    pass: resourceCount / (loadMs.encrypted / 1000) >= 20_000,
  },
  {
    name: 'bulk load, plaintext (same library, no key)',
    figure: `${Math.round(resourceCount / (loadMs.plain / 1000))} resources/s`,
    budget: '(reference)',
    pass: true,
  },
  {
    name: 'encrypted/plaintext: bulk load time',
    figure: fmt(ratio(loadMs.encrypted, loadMs.plain)),
    budget: '<= 1.25',
    pass: ratio(loadMs.encrypted, loadMs.plain) <= 1.25,
  },
  ...Object.entries(search).map(([kind, s]) => ({
    name: `search by ${kind}, p95`,
    figure: `${fmt(percentile(s.encrypted, 95))} ms`,
    budget: '<= 5 ms',
    pass: percentile(s.encrypted, 95) <= 5,
  })),
  {
    name: 'encrypted/plaintext: search (median)',
    figure: fmt(ratio(median(allSearchEncrypted), median(allSearchPlain))),
    budget: '<= 1.25',
    pass: ratio(median(allSearchEncrypted), median(allSearchPlain)) <= 1.25,
  },
  {
    name: 'open chart, first time, encrypted / plaintext median',
    figure: `${fmt(median(chartFirst.encrypted), 3)} / ${fmt(median(chartFirst.plain), 3)} ms`,
    budget: '(reference)',
    pass: true,
  },
  {
    name: 'encrypted/plaintext: open chart, first time (median)',
    figure: fmt(ratio(median(chartFirst.encrypted), median(chartFirst.plain))),
    budget: '<= 1.25',
    pass: ratio(median(chartFirst.encrypted), median(chartFirst.plain)) <= 1.25,
  },
  {
    name: 'encrypted/plaintext: open chart, again (median)',
    figure: fmt(ratio(median(chartAgain.encrypted), median(chartAgain.plain))),
    budget: '<= 1.25',
    pass: ratio(median(chartAgain.encrypted), median(chartAgain.plain)) <= 1.25,
  },
  {
    name: 'open existing cache with the integrity and anchor checks, median',
    figure: `${fmt(median(openMs))} ms`,
    budget: '<= 60 ms',
    pass: median(openMs) <= 60,
  },
  {
    name: 'the same without the checks (quick check / anchor check alone, medians)',
    figure: `${fmt(median(openMs) - median(quickCheckMs) - median(anchorCheckMs))} ms (${fmt(median(quickCheckMs))} / ${fmt(median(anchorCheckMs))} ms)`,
    budget: '(reference)',
    pass: true,
  },
];
progress('sign-in and access control budgets');
rows.push(...(await benchPin()), ...benchAuthorization());
progress('audit trail');
rows.push(...(await benchAudit()));
progress('sync: initial pull of about 100,000 resources and a push of 1,000 changes (dev central)');
rows.push(...(await benchSync()));
progress('scoped pull: 5,000 patients of a central holding 1,000,000 (seeding it takes about a minute)');
rows.push(...(await benchScopedPull()));
progress('audit shipping: a backlog of 60,000 entries to dev central');
rows.push(...(await benchAuditShipping()));
progress('screen lock in Chromium (dev central, web host)');
rows.push(...(await benchLock()));
progress('a chart of 500 observations and 50 notes in Chromium (dev central, web host)');
rows.push(...(await benchChartRender()));
rows.push(...(await benchChartOnDemand()));
process.stdout.write(
  `\nClinic Workstation bench: ${patients} patients, ${resourceCount} resources, seed ${seed}, node ${process.version}, ${os.cpus().length} cores\n\n`,
);
process.stdout.write(`${printTable(rows)}\n`);
