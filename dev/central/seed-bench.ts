/**
 * Measures seeding dev central with a large synthetic clinic (time and memory), plus one deep
 * search page and one _history scan, and one scoped search page (`Encounter?patient=<100 ids>`,
 * answered from the patient index):
 *   npx tsx dev/central/seed-bench.ts [patients=100000] [chartEvery=1]
 * Run with `node --expose-gc --import tsx` for a heap figure after garbage collection, and with
 * `--max-old-space-size=12288` above some 200,000 charted patients (or a million uncharted).
 */
import { parseSearchRequest } from '@medplum/core';
import { syntheticPatientId } from '../synthetic/clinic.ts';
import { startCentral } from './central.ts';

const patients = Number(process.argv[2] ?? 100_000);
const chartEvery = Number(process.argv[3] ?? 1);
const before = process.memoryUsage();
const central = await startCentral({ patients, chartEvery });
globalThis.gc?.();
const after = process.memoryUsage();
console.log(
  JSON.stringify({
    patients,
    chartEvery,
    ...central.seeding,
    heapUsedMB: Math.round((after.heapUsed - before.heapUsed) / 1e6),
    rssMB: Math.round(after.rss / 1e6),
  }),
);
let started = performance.now();
const page = await central.repository.search({ resourceType: 'Patient', count: 50, offset: Math.floor(patients / 2) });
console.log(
  `search page at offset ${Math.floor(patients / 2)}: ${Math.round(performance.now() - started)} ms, ${page.entry?.length ?? 0} of ${page.total}`,
);
started = performance.now();
const history = central.repository.changes({
  resourceType: 'Patient',
  sinceMs: Date.parse('1900-01-01T00:00:00Z'),
  count: 100,
});
console.log(`Patient/_history first page: ${Math.round(performance.now() - started)} ms, ${history.total} versions`);
started = performance.now();
const batch = Array.from({ length: 100 }, (_, i) => `Patient/${syntheticPatientId(Math.floor((i * patients) / 100))}`);
const scoped = await central.repository.search(
  parseSearchRequest(`Encounter?patient=${batch.join(',')}&_sort=_lastUpdated&_count=100`),
);
console.log(
  `Encounter?patient=<100 ids> first page: ${Math.round(performance.now() - started)} ms, ${scoped.entry?.length ?? 0} of ${scoped.total}`,
);
await central.close();
