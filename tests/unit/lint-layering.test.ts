// The floors of src-main are enforced by the repository's own ESLint config: lint virtual files
// under src-main with it and look for the architecture rules' reports.
import path from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: repoRoot });
});

interface Report {
  ruleId: string | null;
  message: string;
}

/** The architecture rules' reports for `code` as if it were the file src-main/<file>. */
async function lint(file: string, code: string): Promise<Report[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, 'src-main', file) });
  const fatal = result!.messages.filter((m) => m.fatal);
  expect(fatal).toEqual([]);
  return result!.messages
    .filter((m) => m.ruleId?.startsWith('architecture/'))
    .map((m) => ({ ruleId: m.ruleId, message: m.message }));
}

describe('the floors of src-main, as ESLint enforces them', () => {
  it('are switched on for every file of src-main', async () => {
    const config = await eslint.calculateConfigForFile(path.join(repoRoot, 'src-main/vault/any.ts'));
    expect(config.rules['architecture/floors']).toEqual([2]);
    expect(config.rules['architecture/public-face']).toEqual([2]);
  });

  it('report an import from a higher floor, saying which floors and why', async () => {
    const reports = await lint('vault/x.ts', "import { trail } from '../audit/index.ts';\nexport const t = trail;\n");
    expect(reports).toEqual([
      {
        ruleId: 'architecture/floors',
        message: 'vault (floor 1) may not import audit (floor 2): lower floors know nothing of higher ones',
      },
    ]);
  });

  it('report an upward import that is only a type, a re-export or a dynamic import', async () => {
    const code = [
      "import type { Router } from '../ipc/index.ts';",
      "export { chart } from '../chart/index.ts';",
      'export type R = Router;',
      "export const load = () => import('../session/index.ts');",
    ].join('\n');
    const reports = await lint('access/x.ts', code);
    expect(reports.map((r) => r.ruleId)).toEqual(['architecture/floors', 'architecture/floors', 'architecture/floors']);
    expect(reports.map((r) => r.message)).toEqual([
      'access (floor 3) may not import ipc (floor 4): lower floors know nothing of higher ones',
      'access (floor 3) may not import chart (floor 7): lower floors know nothing of higher ones',
      'access (floor 3) may not import session (floor 5): lower floors know nothing of higher ones',
    ]);
  });

  it('report a deep import into another capability', async () => {
    const reports = await lint(
      'sync/x.ts',
      "import { openDb } from '../vault/sqlcipher.ts';\nexport const o = openDb;\n",
    );
    expect(reports).toEqual([
      {
        ruleId: 'architecture/public-face',
        message:
          'sync may import vault only through its public face vault/index.ts, not vault/sqlcipher.ts: the rest of a capability is its own business',
      },
    ]);
  });

  it('report an import between two capabilities of one floor that is not listed', async () => {
    const reports = await lint(
      'sync/x.ts',
      "import { grants } from '../break-glass/index.ts';\nexport const g = grants;\n",
    );
    expect(reports.map((r) => r.ruleId)).toEqual(['architecture/floors']);
    expect(reports[0]!.message).toMatch(/^sync \(floor 6\) may not import break-glass, which shares its floor/);
  });

  it('report a single-file capability importing upward, and a folder that is on no floor', async () => {
    expect(await lint('ports.ts', "import type { Vault } from './vault/index.ts';\nexport type V = Vault;\n")).toEqual([
      {
        ruleId: 'architecture/floors',
        message: 'ports.ts (floor 0) may not import vault (floor 1): lower floors know nothing of higher ones',
      },
    ]);
    const reports = await lint('gadgets/x.ts', 'export const x = 1;\n');
    expect(reports.map((r) => r.ruleId)).toEqual(['architecture/floors']);
    expect(reports[0]!.message).toMatch(/^src-main\/gadgets is on no floor/);
  });

  it('allow an import of a lower capability through its index.ts, and any import inside one capability', async () => {
    const code = [
      "import { vault } from '../vault/index.ts';",
      "import { log } from '../log/index.ts';",
      "import type { Ports } from '../ports.ts';",
      "import { pull } from './pull.ts';",
      "import { page } from './pages/page.ts';",
      "import { roles } from '../../src-shared/access/roles.ts';",
      "import { z } from 'zod';",
      "const worker = new URL('./page-worker.ts', import.meta.url);",
      'export const all = [vault, log, pull, page, roles, z, worker];',
      'export type P = Ports;',
    ].join('\n');
    expect(await lint('sync/x.ts', code)).toEqual([]);
  });

  it('allow the listed same-floor imports and the ground floor among itself', async () => {
    expect(await lint('electron/x.ts', "import { run } from '../cli/index.ts';\nexport const r = run;\n")).toEqual([]);
    expect(
      await lint(
        'log/x.ts',
        "import { fetch } from '../net/index.ts';\nimport type { Ports } from '../ports.ts';\nexport const f = fetch;\nexport type P = Ports;\n",
      ),
    ).toEqual([]);
    expect(
      await lint(
        'core.ts',
        "import { schemas } from './migrations.ts';\nimport { chart } from './chart/index.ts';\nexport const s = [schemas, chart];\n",
      ),
    ).toEqual([]);
    expect(
      (await lint('cli/x.ts', "import { main } from '../electron/index.ts';\nexport const m = main;\n")).map(
        (r) => r.ruleId,
      ),
    ).toEqual(['architecture/floors']);
  });
});
