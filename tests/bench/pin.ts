/**
 * PIN check budget (issue 4): one verifyPin must cost between 100 and 300 ms on this machine,
 * too fast being too weak against guessing from a stolen cache. Median of 15 checks after one
 * warm-up, alternating right and wrong PINs (a wrong PIN must cost the same). Run on its own:
 * `node --import tsx tests/bench/pin.ts`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CURRENT_SCRYPT_PARAMS, hashPin, verifyPin } from '../../src-main/identity/pin.ts';
import { median, percentile, printTable, type BenchRow } from './stats.ts';

export async function benchPin(checks = 15): Promise<BenchRow[]> {
  const stored = await hashPin('480137');
  await verifyPin('480137', stored); // warm-up: thread pool, allocator
  const right: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < checks; i++) {
    const pin = i % 2 === 0 ? '480137' : '480173';
    const start = performance.now();
    const { ok } = await verifyPin(pin, stored);
    (ok ? right : wrong).push(performance.now() - start);
  }
  const all = [...right, ...wrong];
  const m = median(all);
  const { N, r, p, keylen } = CURRENT_SCRYPT_PARAMS;
  return [
    {
      name: `PIN check (scrypt N=${N} r=${r} p=${p} keylen=${keylen}), median of ${all.length}`,
      figure: `${m.toFixed(0)} ms`,
      budget: '100-300 ms',
      pass: m >= 100 && m <= 300,
    },
    {
      name: 'PIN check right / wrong median, p95',
      figure: `${median(right).toFixed(0)} / ${median(wrong).toFixed(0)} ms, ${percentile(all, 95).toFixed(0)} ms`,
      budget: '(reference)',
      pass: true,
    },
  ];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${printTable(await benchPin())}\n`);
}
