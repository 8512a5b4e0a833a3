/** Small statistics over timings in milliseconds. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);
export const mean = (samples: readonly number[]) => samples.reduce((sum, x) => sum + x, 0) / samples.length;

export function time<T>(operation: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = operation();
  return { ms: performance.now() - start, value };
}

export interface BenchRow {
  name: string;
  figure: string;
  budget: string;
  pass: boolean;
}

export function printTable(rows: readonly BenchRow[]): string {
  const header = ['benchmark', 'figure', 'budget', 'result'];
  const body = rows.map((r) => [r.name, r.figure, r.budget, r.pass ? 'pass' : 'FAIL']);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
