// The import graph of src-main, judged by the floors of ./floors.js (the same judge the lint uses):
// module- and folder-level cycles, imports from a lower floor up to a higher one, imports that
// bypass another capability's index.ts, and the ten longest functions.
//   npx tsx scripts/architecture/import-graph.ts [--json]
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import {
  SRC_MAIN_DIR,
  WORKER_FILES,
  capabilityOf,
  floorOf,
  judgeFile,
  judgeImport,
  publicFaceOf,
  type Verdict,
} from './floors.js';

interface Edge {
  from: string; // paths relative to src-main, '/' separators
  to: string;
  specifier: string;
  line: number;
  typeOnly: boolean;
}

interface Finding extends Edge {
  message: string;
}

interface FunctionLength {
  name: string;
  file: string;
  line: number;
  lines: number;
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

function listTsFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => toPosix(path.relative(dir, path.join(e.parentPath, e.name))))
    .sort();
}

/** `new URL('./x.ts', import.meta.url)`, or the template form that picks .ts/.js at run time. */
function workerSpecifier(node: ts.NewExpression): string | null {
  const [first, second] = node.arguments ?? [];
  const isMetaUrl =
    second !== undefined &&
    ts.isPropertyAccessExpression(second) &&
    second.name.text === 'url' &&
    ts.isMetaProperty(second.expression);
  if (!ts.isIdentifier(node.expression) || node.expression.text !== 'URL' || !isMetaUrl || first === undefined)
    return null;
  if (ts.isStringLiteralLike(first)) return first.text;
  if (ts.isTemplateExpression(first)) return path.extname(first.head.text) ? first.head.text : `${first.head.text}.ts`;
  return null;
}

function collect(
  rel: string,
  sf: ts.SourceFile,
): { specifiers: Omit<Edge, 'from' | 'to'>[]; functions: FunctionLength[] } {
  const specifiers: Omit<Edge, 'from' | 'to'>[] = [];
  const functions: FunctionLength[] = [];
  const lineOf = (pos: number): number => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const add = (node: ts.Node, specifier: string, typeOnly: boolean): void => {
    specifiers.push({ specifier, line: lineOf(node.getStart(sf)), typeOnly });
  };

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        !!clause &&
        (clause.isTypeOnly ||
          (!clause.name &&
            !!clause.namedBindings &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node, node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node, node.moduleSpecifier.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) add(node, arg.text, false);
    } else if (ts.isNewExpression(node)) {
      const specifier = workerSpecifier(node);
      if (specifier !== null) add(node, specifier, false);
    }
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = lineOf(node.getStart(sf));
      functions.push({
        name: functionName(node),
        file: `src-main/${rel}`,
        line: start,
        lines: lineOf(node.getEnd()) - start + 1,
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { specifiers, functions };
}

function functionName(node: ts.SignatureDeclaration): string {
  const owner = (n: ts.Node): string => (ts.isClassLike(n.parent) && n.parent.name ? `${n.parent.name.text}.` : '');
  if (ts.isConstructorDeclaration(node)) return `${owner(node)}constructor`;
  if (node.name && !ts.isComputedPropertyName(node.name)) return `${owner(node)}${node.name.getText()}`;
  const parent = node.parent;
  if (
    (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) &&
    !ts.isComputedPropertyName(parent.name)
  ) {
    return `${ts.isPropertyDeclaration(parent) ? owner(parent) : ''}${parent.name.getText()}`;
  }
  if (ts.isCallExpression(parent)) return `(callback of ${parent.expression.getText().slice(0, 40)})`;
  return '(anonymous)';
}

/** Strongly connected components with more than one node (Tarjan). */
function cycles(nodes: Iterable<string>, next: (n: string) => Iterable<string>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!indexOf.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
      }
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const n of nodes) if (!indexOf.has(n)) connect(n);
  return found.sort((a, b) => b.length - a.length || a[0]!.localeCompare(b[0]!));
}

function analyse() {
  const files = listTsFiles(SRC_MAIN_DIR);
  const known = new Set(files);
  const edges: Edge[] = [];
  const unresolved: Edge[] = [];
  const findings: Record<Verdict['kind'], Finding[]> = { upward: [], 'same-floor': [], deep: [], unmapped: [] };
  const deepAll: Finding[] = [];
  const functions: FunctionLength[] = [];
  const unmappedFiles: string[] = [];

  for (const rel of files) {
    const text = fs.readFileSync(path.join(SRC_MAIN_DIR, rel), 'utf8');
    const sf = ts.createSourceFile(rel, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const found = collect(rel, sf);
    functions.push(...found.functions);
    if (judgeFile(rel)) unmappedFiles.push(rel);
    for (const s of found.specifiers) {
      if (!s.specifier.startsWith('.')) continue;
      const to = toPosix(path.relative(SRC_MAIN_DIR, path.resolve(SRC_MAIN_DIR, path.dirname(rel), s.specifier)));
      if (capabilityOf(to) === null) continue; // outside src-main (src-shared)
      const edge: Edge = { from: rel, to, ...s };
      if (known.has(to)) edges.push(edge);
      else unresolved.push(edge);
      const verdict = judgeImport(rel, to);
      if (verdict) findings[verdict.kind].push({ ...edge, message: verdict.message });
      const fromCap = capabilityOf(rel)!;
      const toCap = capabilityOf(to)!;
      if (fromCap !== toCap && to !== publicFaceOf(toCap)) deepAll.push({ ...edge, message: verdict?.message ?? '' });
    }
  }

  const out = new Map<string, Set<string>>(files.map((f) => [f, new Set<string>()]));
  for (const e of edges) if (e.from !== e.to) out.get(e.from)!.add(e.to);
  const moduleCycles = cycles(files, (n) => out.get(n)!);
  const valueOut = new Map<string, Set<string>>(files.map((f) => [f, new Set<string>()]));
  for (const e of edges) if (e.from !== e.to && !e.typeOnly) valueOut.get(e.from)!.add(e.to);
  const runtimeCycles = cycles(files, (n) => valueOut.get(n)!);

  const capabilities = [...new Set(files.map((f) => capabilityOf(f)!))].sort();
  const folderOut = new Map<string, Set<string>>(capabilities.map((c) => [c, new Set<string>()]));
  for (const e of edges) {
    const [a, b] = [capabilityOf(e.from)!, capabilityOf(e.to)!];
    if (a !== b) folderOut.get(a)!.add(b);
  }
  const folderCycles = cycles(capabilities, (n) => folderOut.get(n)!);

  functions.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file) || a.line - b.line);
  return {
    files: files.length,
    imports: edges.length,
    moduleCycles,
    runtimeCycles,
    folderCycles,
    upward: findings.upward,
    sameFloor: findings['same-floor'],
    deep: deepAll,
    unmapped: { files: unmappedFiles, imports: findings.unmapped },
    unresolved,
    longestFunctions: functions.slice(0, 10),
  };
}

function print(r: ReturnType<typeof analyse>): void {
  const at = (e: Edge): string => `src-main/${e.from}:${e.line}`;
  const section = (title: string, items: string[]): void => {
    console.log(`\n${title}: ${items.length}`);
    for (const item of items) console.log(`  ${item}`);
  };
  console.log(
    `src-main: ${r.files} files, ${r.imports} relative imports between them (floors: scripts/architecture/floors.js)`,
  );
  section(
    'Module-level import cycles (strongly connected components of more than one file)',
    r.moduleCycles.map((c, i) => `${i + 1}. [${c.length} files] ${c.join(', ')}`),
  );
  section(
    '  of which remain when type-only imports are left out',
    r.runtimeCycles.map((c, i) => `${i + 1}. [${c.length} files] ${c.join(', ')}`),
  );
  section(
    'Folder-level import cycles (between capabilities)',
    r.folderCycles.map((c, i) => `${i + 1}. ${c.map((n) => `${n} (floor ${floorOf(n) ?? '?'})`).join(', ')}`),
  );
  section(
    'Upward imports (a lower floor importing a higher one)',
    r.upward.map((e) => `${at(e)}  ${e.specifier}${e.typeOnly ? ' (type only)' : ''}  — ${e.message}`),
  );
  section(
    'Same-floor imports between capabilities that are not allowed',
    r.sameFloor.map((e) => `${at(e)}  ${e.specifier}  — ${e.message}`),
  );
  section(
    'Deep imports into another capability (not through its index.ts, whatever the direction)',
    r.deep.map((e) => `${at(e)}  ${e.specifier}${WORKER_FILES.includes(e.from) ? ' (a worker thread: allowed)' : ''}`),
  );
  section(
    'Files on no floor',
    r.unmapped.files.map((f) => `src-main/${f}`),
  );
  section(
    'Imports of capabilities on no floor',
    r.unmapped.imports.map((e) => `${at(e)}  ${e.specifier}`),
  );
  section(
    'Relative imports of files that do not exist',
    r.unresolved.map((e) => `${at(e)}  ${e.specifier}`),
  );
  section(
    'Longest functions',
    r.longestFunctions.map((f) => `${String(f.lines).padStart(4)} lines  ${f.name}  ${f.file}:${f.line}`),
  );
  console.log(
    `\nSummary: ${r.moduleCycles.length} module cycles (${r.runtimeCycles.length} without type-only imports), ` +
      `${r.folderCycles.length} folder cycles, ` +
      `${r.upward.length} upward imports, ${r.sameFloor.length} same-floor imports, ${r.deep.length} deep imports, ` +
      `longest function ${r.longestFunctions[0]?.lines ?? 0} lines`,
  );
}

const report = analyse();
if (process.argv.includes('--json')) console.log(JSON.stringify(report, null, 2));
else print(report);
