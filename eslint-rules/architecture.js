// A local ESLint plugin in the manner of VS Code's code-layering and code-import-patterns rules:
// each relative import in src-main is resolved by path alone (no file system, so a file that the
// floors expect but that does not exist yet is judged all the same) and handed to the judge in
// scripts/architecture/floors.js, which the import-graph report uses too.
//   architecture/floors       no import from a higher floor or from a sibling on the same floor
//   architecture/public-face  another capability only through its index.ts
import path from 'node:path';
import { SRC_MAIN_DIR, judgeFile, judgeImport } from '../scripts/architecture/floors.js';

/** @param {string} file absolute path */
function relToSrcMain(file) {
  return path.relative(SRC_MAIN_DIR, file).split(path.sep).join('/');
}

/**
 * The specifier a worker reference names: new URL('./x.ts', import.meta.url), or the template form
 * new URL(`./x${ext}`, import.meta.url) that picks .ts or .js at run time (taken as ./x.ts).
 * @param {any} node a NewExpression
 * @returns {string | null}
 */
function workerSpecifier(node) {
  const [first, second] = node.arguments;
  const isMetaUrl =
    second?.type === 'MemberExpression' && second.object?.type === 'MetaProperty' && second.property?.name === 'url';
  if (node.callee.type !== 'Identifier' || node.callee.name !== 'URL' || !isMetaUrl) return null;
  if (first?.type === 'Literal' && typeof first.value === 'string') return first.value;
  if (first?.type === 'TemplateLiteral') {
    const head = first.quasis[0]?.value.cooked ?? '';
    return first.expressions.length === 0 || path.extname(head) ? head : `${head}.ts`;
  }
  return null;
}

/**
 * @param {Set<string>} kinds verdict kinds this rule reports
 * @param {string} description
 * @returns {import('eslint').Rule.RuleModule}
 */
function importRule(kinds, description) {
  return {
    meta: { type: 'problem', docs: { description }, schema: [] },
    create(context) {
      const fromRel = relToSrcMain(context.filename);
      const dir = path.dirname(context.filename);

      /** @param {any} node @param {unknown} specifier */
      function check(node, specifier) {
        if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
        const toRel = relToSrcMain(path.resolve(dir, specifier));
        const verdict = judgeImport(fromRel, toRel);
        if (verdict && kinds.has(verdict.kind)) context.report({ node, message: verdict.message });
      }

      return {
        Program(node) {
          const verdict = kinds.has('unmapped') ? judgeFile(fromRel) : null;
          if (verdict) context.report({ node, loc: { line: 1, column: 0 }, message: verdict.message });
        },
        ImportDeclaration: (node) => check(node.source, node.source.value),
        ExportAllDeclaration: (node) => check(node.source, node.source.value),
        ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
        ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
        NewExpression: (node) => {
          const specifier = workerSpecifier(node);
          if (specifier !== null) check(node, specifier);
        },
      };
    },
  };
}

export default {
  meta: { name: 'architecture' },
  rules: {
    floors: importRule(
      new Set(['upward', 'same-floor', 'unmapped']),
      'Modules of src-main import only from their own capability or a lower floor (scripts/architecture/floors.js)',
    ),
    'public-face': importRule(
      new Set(['deep']),
      "Modules of src-main reach another capability only through that capability's index.ts",
    ),
  },
};
