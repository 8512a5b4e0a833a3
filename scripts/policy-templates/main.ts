/**
 * Regenerates the policy templates, the sample policy and the IT guide's policy reference from
 * src-shared/policy/schema.ts:
 *
 *   npx tsx scripts/policy-templates/main.ts           write them
 *   npx tsx scripts/policy-templates/main.ts --check   exit 1 when a committed file is stale
 *
 * The unit test tests/unit/policy-templates.test.ts runs the same check in CI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePolicyFiles, POLICY_OUTPUTS } from './generate.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(path.join(root, file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function main(args: string[]): number {
  const unknown = args.filter((arg) => arg !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(
      `Unknown argument: ${unknown.join(' ')}\nUsage: npx tsx scripts/policy-templates/main.ts [--check]\n`,
    );
    return 2;
  }
  const check = args.includes('--check');
  const guide = readOrNull(POLICY_OUTPUTS.guide);
  if (guide === null) {
    process.stderr.write(
      `${POLICY_OUTPUTS.guide} is missing: it holds the hand-written guide around the generated reference.\n`,
    );
    return 1;
  }
  const files = generatePolicyFiles(guide);
  const stale = Object.entries(files).filter(([file, content]) => readOrNull(file) !== content);
  if (check) {
    if (stale.length === 0) {
      process.stdout.write('Policy templates, sample and IT guide reference are up to date.\n');
      return 0;
    }
    process.stderr.write(
      `Out of date with src-shared/policy/schema.ts:\n${stale.map(([file]) => `  ${file}`).join('\n')}\nRun: npx tsx scripts/policy-templates/main.ts\n`,
    );
    return 1;
  }
  for (const [file, content] of stale) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
    process.stdout.write(`wrote ${file}\n`);
  }
  if (stale.length === 0) process.stdout.write('Nothing to do: every file is up to date.\n');
  return 0;
}

process.exitCode = main(process.argv.slice(2));
