/**
 * `ws compliance report [--format html|md|json] [--test-reports <dir>]`: the HIPAA evidence
 * report on stdout. Exit 0 when every control is met, 1 when any needs attention (so a
 * scheduled run can alert), 2 for bad usage.
 */
import path from 'node:path';
import { UsageError, managedPolicy, type CliContext } from '../common.ts';
import { controlRows } from './controls.ts';
import { gatherEvidence } from './evidence.ts';
import { buildReport, renderHtml, renderJson, renderMarkdown } from './render.ts';
import { readFuses } from './fuses.ts';
import { readTestRuns } from './test-runs.ts';

export interface ShellFacts {
  packaged: boolean;
  execPath: string;
}

const FORMATS = { html: renderHtml, md: renderMarkdown, json: renderJson } as const;

export async function runComplianceCommand(
  command: string,
  context: Omit<CliContext, 'json'> & {
    format: string | undefined;
    testReports: string | undefined;
    /** Set by the Electron shell (`--ws`) in a packaged app: where its binary is. */
    shell?: ShellFacts;
  },
): Promise<number> {
  if (command !== 'report') throw new UsageError(`Unknown command: compliance ${command}`);
  const format = context.format ?? 'html';
  if (!Object.hasOwn(FORMATS, format)) throw new UsageError(`--format must be html, md or json (not "${format}").`);
  const folder = path.resolve(context.testReports ?? process.env.CLINIC_TEST_REPORTS ?? 'test-reports');
  const evidence = await gatherEvidence({
    dataDir: context.dataDir,
    keyStore: context.keyStore,
    logger: context.logger,
    loadPolicy: managedPolicy,
    now: () => new Date(),
    ...(context.shell?.packaged ? { packaged: { fuses: readFuses(context.shell.execPath) } } : {}),
  });
  const runs = readTestRuns(folder);
  const report = buildReport(evidence, runs, controlRows(evidence, runs));
  process.stdout.write(FORMATS[format as keyof typeof FORMATS](report));
  return report.summary.attention.length === 0 ? 0 : 1;
}
