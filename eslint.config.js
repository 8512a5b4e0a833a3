// Lint rules encode the boundaries of ARCHITECTURE.md so that a wrong import fails CI, not review.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import architecture from './eslint-rules/architecture.js';

const nodeBuiltins = ['node:*', 'fs', 'path', 'crypto', 'os', 'child_process', 'http', 'https', 'net', 'url'];

export default tseslint.config(
  { ignores: ['out/', 'dist/', 'node_modules/', 'test-results/', 'playwright-report/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Only the Electron shell may import electron; the core is plain Node.
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/electron/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'Only src-main/electron/ imports electron.' }] },
      ],
      // The core must log through the redacting logger, never console (PHI could leak).
      'no-console': ['error'],
    },
  },
  {
    files: ['src-main/cli/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // The floors of src-main (scripts/architecture/floors.js): nothing imports from a higher floor or
    // from a sibling on its own floor, and another capability is reached only through its index.ts.
    files: ['src-main/**/*.ts'],
    plugins: { architecture },
    rules: {
      'architecture/floors': 'error',
      'architecture/public-face': 'error',
    },
  },
  {
    // src-shared is pure: no Node, no DOM, no other tree.
    files: ['src-shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron'],
          patterns: [...nodeBuiltins, '**/src-main/**', '**/src-renderer/**', '**/dev/**'],
        },
      ],
    },
  },
  {
    // The renderer talks to the core only through window.clinic and the contract in src-shared.
    files: ['src-renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron'],
          patterns: [...nodeBuiltins, '**/src-main/**', '**/dev/**'],
        },
      ],
      'no-restricted-globals': ['error', 'localStorage', 'sessionStorage', 'indexedDB'],
    },
  },
);
