/**
 * Sync budgets (issue 6): dev central with about 100,000 resources in this process, the pull and
 * push measured in a child process (tests/bench/sync.ts) so client and server each have a core
 * and the client's memory growth is its own. Run alone: `bash scripts/with-keyring.sh tsx tests/bench/sync-budgets.ts`.
 */
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startCentral } from '../../dev/central/central.ts';
import { signIn } from '../support/central.ts';
import type { BenchRow } from './stats.ts';

/** About 11 resources per synthetic patient: 9,100 patients make about 100,000 resources. */
const PATIENTS = 9_100;

/** One run of sync.ts in a child process while this one serves central; its JSON line. */
async function measure(fhirBaseUrl: string, accessToken: string, extra: string[] = []): Promise<unknown> {
  const child = await new Promise<{ status: number | null; stdout: string }>((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', path.join(import.meta.dirname, 'sync.ts'), '--fhir', fhirBaseUrl, ...extra],
      { env: { ...process.env, CLINIC_BENCH_TOKEN: accessToken }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let stdout = '';
    proc.stdout.on('data', (chunk) => (stdout += chunk));
    proc.on('error', reject);
    proc.on('close', (status) => resolve({ status, stdout }));
  });
  if (child.status !== 0) throw new Error('bench: the sync measurement failed');
  return JSON.parse(child.stdout.trim()) as unknown;
}

export async function benchSync(): Promise<BenchRow[]> {
  const central = await startCentral({ patients: PATIENTS, seed: 5, idpPort: 0, fhirPort: 0 });
  try {
    const { accessToken } = await signIn(central, 'nurse1');
    const m = (await measure(central.fhirBaseUrl, accessToken)) as {
      resources: number;
      served: number;
      pullMs: number;
      plainPullMs: number;
      rssGrowthMB: number;
      pushed: number;
      pushMs: number;
      plainPushMs: number;
    };
    // After the first: central now holds 42 notes of 1 MB, all on one page of their search.
    const big = (await measure(central.fhirBaseUrl, accessToken, ['--big-page'])) as {
      resources: number;
      served: number;
      largestPageMB: number;
      rssGrowthMB: number;
    };
    const pullRate = m.resources / (m.pullMs / 1000);
    const plainRate = m.served / (m.plainPullMs / 1000);
    const pushRatio = m.pushMs / m.plainPushMs;
    return [
      {
        name: `initial pull of ${m.resources} resources into the encrypted cache`,
        figure: `${Math.round(pullRate)} resources/s (${(m.pullMs / 1000).toFixed(1)} s)`,
        budget: '(reference)',
        pass: m.resources === m.served,
      },
      {
        name: 'plain paged fetch loop, same server and pages, stores nothing',
        figure: `${Math.round(plainRate)} resources/s`,
        budget: '(reference)',
        pass: true,
      },
      {
        name: 'pull throughput / plain fetch loop',
        figure: `${((pullRate / plainRate) * 100).toFixed(0)}%`,
        budget: '>= 80%',
        pass: pullRate / plainRate >= 0.8,
      },
      {
        name: 'resident memory growth during the pull',
        figure: `${m.rssGrowthMB.toFixed(0)} MB`,
        budget: '<= 250 MB',
        pass: m.rssGrowthMB <= 250,
      },
      {
        name: `push of ${m.pushed} changes / plain sequential PUT loop`,
        figure: `${(m.pushMs / 1000).toFixed(2)} s / ${(m.plainPushMs / 1000).toFixed(2)} s = ${pushRatio.toFixed(2)}`,
        budget: '<= 1.5',
        pass: m.pushed === 1000 && pushRatio <= 1.5,
      },
      {
        name: `resident memory growth during a pull of ${big.resources} resources, one page ${big.largestPageMB.toFixed(0)} MB`,
        figure: `${big.rssGrowthMB.toFixed(0)} MB`,
        budget: '<= 300 MB',
        pass: big.resources === big.served && big.largestPageMB >= 40 && big.rssGrowthMB <= 300,
      },
    ];
  } finally {
    await central.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { printTable } = await import('./stats.ts');
  process.stdout.write(`${printTable(await benchSync())}\n`);
}
