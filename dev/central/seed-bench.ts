/**
 * Measures seeding dev central with a large synthetic clinic (time and memory), plus one deep
 * search page and one _history scan:  npx tsx dev/central/seed-bench.ts [patients=100000]
 * Run with `node --expose-gc --import tsx` for a heap figure after garbage collection.
 */
import { startCentral } from './central.ts';

const patients = Number(process.argv[2] ?? 100_000);
const before = process.memoryUsage();
const central = await startCentral({ patients });
globalThis.gc?.();
const after = process.memoryUsage();
console.log(
  JSON.stringify({
    patients,
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
await central.close();
