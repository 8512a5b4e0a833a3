/**
 * Build of the three Electron targets into out/ (`npx electron-vite build`; needs no Electron
 * binary). Layout relied on by src-main/electron/main.ts and package.json "main":
 *   out/main/main.js         ESM, Node target of the installed Electron
 *   out/preload/preload.cjs  CommonJS: a sandboxed preload cannot be an ES module
 *   out/renderer/index.html  served through app:// with relative asset URLs
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

const root = import.meta.dirname;

/**
 * Native modules: they load a .node binary at run time, so they can never be bundled. They are
 * runtime dependencies already (electron-vite externalizes those by default); listing them keeps
 * them external even if package.json is reorganized. electron-builder ships them in node_modules
 * and unpacks their *.node files from the asar (electron-builder.yml).
 */
const NATIVE_MODULES = ['better-sqlite3-multiple-ciphers', 'keytar', '@vscode/policy-watcher'];

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      externalizeDeps: { include: NATIVE_MODULES },
      rolldownOptions: {
        // The workers (audit verification, sync page reading) are files of their own: worker
        // threads load them by URL, next to main.js.
        input: {
          main: resolve(root, 'src-main/electron/main.ts'),
          'verify-worker': resolve(root, 'src-main/audit/verify-worker.ts'),
          'page-worker': resolve(root, 'src-main/sync/page-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // A sandboxed preload can require only 'electron' and a few built-ins, so everything it uses
      // (the contract and zod) is bundled into the one file.
      externalizeDeps: false,
      rolldownOptions: {
        input: { preload: resolve(root, 'src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    // Relative asset URLs: the page is served from app://clinic/, never from a dev server.
    base: './',
    plugins: [react()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      minify: true,
      // No source maps in the shipped app.
      sourcemap: false,
      rolldownOptions: {
        input: { index: resolve(root, 'src-renderer/index.html') },
      },
    },
  },
});
