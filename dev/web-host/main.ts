/**
 * Starts the development web host:
 *
 *   tsx dev/web-host/main.ts --data-dir <dir> [--port N] [--renderer-dir <dir>] [--policy <file.json>]
 *
 * Prints one JSON line on stdout, `{"url":"http://127.0.0.1:N/#secret=...","port":N,"dataDir":"<abs>"}`,
 * and nothing else there (logs go to stderr, where the data folder is also said in words). Open the URL in Chromium: the secret in its fragment is
 * what lets the page talk to the core. SIGINT/SIGTERM close the core (and the vault) cleanly.
 * Needs a keychain: run it inside `bash scripts/with-keyring.sh` on a machine without a desktop.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { PolicyInput } from '../../src-shared/policy/schema.ts';
import { PolicyError, readPolicyFile } from '../../src-main/policy/load.ts';
import { readIfExists } from '../../src-main/base/atomic-file.ts';
import { startWebHost, type WebHost } from './server.ts';

const USAGE =
  'usage: tsx dev/web-host/main.ts --data-dir <dir> [--port N] [--renderer-dir <dir>] [--policy <file.json>]';

function fail(message: string, code: number): never {
  process.stderr.write(`web-host: ${message}\n`);
  process.exit(code);
}

let args;
try {
  args = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string', default: '0' },
      'renderer-dir': { type: 'string' },
      policy: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`, 2);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const dataDir = args['data-dir'];
if (!dataDir) fail(`--data-dir is required\n${USAGE}`, 2);
if (!/^\d{1,5}$/.test(args.port) || Number(args.port) > 65_535)
  fail(`--port must be a number from 0 to 65535\n${USAGE}`, 2);

/** A policy file as IT would write it, checked exactly as the app checks its managed policy. */
function readPolicy(file: string): PolicyInput {
  try {
    const policy = readPolicyFile(file, readIfExists);
    if (!policy) fail(`the policy file ${file} does not exist`, 2);
    return policy;
  } catch (error) {
    if (error instanceof PolicyError) fail(error.message, 2);
    throw error;
  }
}

let host: WebHost;
try {
  host = await startWebHost({
    dataDir,
    port: Number(args.port),
    ...(args['renderer-dir'] ? { rendererDir: args['renderer-dir'] } : {}),
    ...(args.policy ? { policy: readPolicy(args.policy), policySource: args.policy } : {}),
  });
} catch (error) {
  fail((error as Error).message, 1);
}

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) {
    process.stderr.write(`web-host: ${signal} again, exiting without waiting\n`);
    process.exit(1);
  }
  stopping = true;
  host.close().then(
    () => process.exit(0),
    (error: unknown) => fail(`could not close cleanly: ${(error as Error).message}`, 1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

// Where the cache is: a developer needs it for `ws status`, `ws vault wipe`, or to start afresh.
const dataDirAbsolute = path.resolve(dataDir);
process.stderr.write(`web-host: data folder ${dataDirAbsolute}\n`);
process.stdout.write(`${JSON.stringify({ url: host.url, port: host.port, dataDir: dataDirAbsolute })}\n`);
