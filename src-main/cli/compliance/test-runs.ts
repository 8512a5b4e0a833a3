/**
 * The automated evidence: the last test run's results, read from the JSON reports Vitest and
 * Playwright write (scripts/test-all.sh puts them in test-reports/), each test tied to the
 * 45 CFR 164.312 control its name carries ("164.312(b): ..."). The files are input like any
 * other: validated, and a file that is not a report is named as unreadable, never guessed at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export type TestStatus = 'passed' | 'failed' | 'skipped';

export interface TaggedTest {
  /** The control as named in the test ("164.312(a)(2)(iv)"). */
  control: string;
  name: string;
  status: TestStatus;
  report: string;
}

export interface TestRuns {
  folder: string;
  /** Each report read: its file, when it ran, how many tests it held. */
  reports: { file: string; runner: 'vitest' | 'playwright'; startedAt: string | null; tests: number }[];
  unreadable: { file: string; problem: string }[];
  tagged: TaggedTest[];
}

/** The longest control a name carries: "164.312(a)(2)(iv)" before "164.312(a)". */
const CONTROL = /164\.312\([a-e]\)(?:\(\d\))?(?:\((?:i|ii|iii|iv)\))?/g;

export function controlsIn(name: string): string[] {
  return [...new Set(name.match(CONTROL) ?? [])];
}

const VitestReport = z.object({
  startTime: z.number().optional(),
  testResults: z.array(
    z.object({
      assertionResults: z.array(z.object({ fullName: z.string(), status: z.string() })),
    }),
  ),
});

interface PlaywrightSuite {
  title: string;
  specs?: { title: string; tests: { status: string }[] }[];
  suites?: PlaywrightSuite[];
}
const PlaywrightSuiteSchema: z.ZodType<PlaywrightSuite> = z.lazy(() =>
  z.object({
    title: z.string(),
    specs: z.array(z.object({ title: z.string(), tests: z.array(z.object({ status: z.string() })) })).optional(),
    suites: z.array(PlaywrightSuiteSchema).optional(),
  }),
);
const PlaywrightReport = z.object({
  stats: z.object({ startTime: z.string() }).optional(),
  suites: z.array(PlaywrightSuiteSchema),
});

const vitestStatus = (status: string): TestStatus =>
  status === 'passed' ? 'passed' : status === 'failed' ? 'failed' : 'skipped';
// Playwright: expected passed, flaky passed on retry, unexpected failed, skipped skipped.
const playwrightStatus = (statuses: string[]): TestStatus =>
  statuses.includes('unexpected') ? 'failed' : statuses.every((s) => s === 'skipped') ? 'skipped' : 'passed';

function playwrightTests(suite: PlaywrightSuite, titles: string[]): { name: string; status: TestStatus }[] {
  const here = suite.title ? [...titles, suite.title] : titles;
  return [
    ...(suite.specs ?? []).map((spec) => ({
      name: [...here, spec.title].join(' '),
      status: playwrightStatus(spec.tests.map((t) => t.status)),
    })),
    ...(suite.suites ?? []).flatMap((child) => playwrightTests(child, here)),
  ];
}

function readReport(file: string): {
  runner: 'vitest' | 'playwright';
  startedAt: string | null;
  tests: { name: string; status: TestStatus }[];
} {
  const json: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  const vitest = VitestReport.safeParse(json);
  if (vitest.success)
    return {
      runner: 'vitest',
      startedAt: vitest.data.startTime ? new Date(vitest.data.startTime).toISOString() : null,
      tests: vitest.data.testResults.flatMap((r) =>
        r.assertionResults.map((a) => ({ name: a.fullName, status: vitestStatus(a.status) })),
      ),
    };
  const playwright = PlaywrightReport.safeParse(json);
  if (playwright.success)
    return {
      runner: 'playwright',
      startedAt: playwright.data.stats?.startTime ?? null,
      tests: playwright.data.suites.flatMap((suite) => playwrightTests(suite, [])),
    };
  throw new Error('not a Vitest or Playwright JSON report');
}

/** Every *.json report in the folder (a missing folder: no test run to show). */
export function readTestRuns(folder: string): TestRuns {
  const runs: TestRuns = { folder, reports: [], unreadable: [], tagged: [] };
  let names: string[];
  try {
    names = fs
      .readdirSync(folder)
      .filter((name) => name.endsWith('.json'))
      .sort();
  } catch {
    return runs;
  }
  for (const name of names) {
    try {
      const report = readReport(path.join(folder, name));
      runs.reports.push({ file: name, runner: report.runner, startedAt: report.startedAt, tests: report.tests.length });
      for (const test of report.tests)
        for (const control of controlsIn(test.name))
          runs.tagged.push({ control, name: test.name, status: test.status, report: name });
    } catch (error) {
      runs.unreadable.push({
        file: name,
        problem: error instanceof SyntaxError ? 'not JSON' : (error as Error).message,
      });
    }
  }
  return runs;
}
