/**
 * The IT command line (PRODUCT.md capability 9): the same core, no window. This first part holds
 * the vault's key operations; status, policy and audit commands join it with their capabilities.
 * Output never contains PHI. Exit codes: 0 done, 1 the operation failed, 2 bad usage.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Policy } from '../../src-shared/policy/schema.ts';
import { createJsonLogger } from '../log/logger.ts';
import { VaultError, vaultErrorGuide } from '../vault/errors.ts';
import { EscrowKeyError } from '../vault/escrow.ts';
import { createKeytarKeyStore } from '../vault/keytar-key-store.ts';
import { eraseVault, openVault, recoverVault } from '../vault/vault.ts';

const USAGE = `Usage: ws <command> [options]

Commands:
  vault status                 open the cache and report its state
  vault recover --private-key <file.pem>
                               put the escrowed cache key back in the OS keychain
  vault rotate-key             re-encrypt the cache under a new key
  vault wipe --yes             crypto-erase: destroy the key, then the cache files

Options:
  --data-dir <dir>             the cache folder (or CLINIC_DATA_DIR)
  --policy <file.json>         policy file naming the IT recovery public key (for escrow)
  --json                       machine-readable output
`;

class UsageError extends Error {}

function print(json: boolean, value: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

function readPolicy(file: string | undefined): Policy {
  if (!file) return Policy.parse({});
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not valid JSON';
    throw new UsageError(`Policy file ${file} ${reason}.`);
  }
  const parsed = Policy.safeParse(json);
  if (!parsed.success) throw new UsageError(`Policy file ${file} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export async function runCli(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'data-dir': { type: 'string' },
      'private-key': { type: 'string' },
      policy: { type: 'string' },
      yes: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const json = values.json;
  const [area, command] = positionals;
  if (values.help || !area) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  if (area !== 'vault' || !command) throw new UsageError(`Unknown command: ${positionals.join(' ')}`);
  const dataDir = values['data-dir'] ?? process.env.CLINIC_DATA_DIR;
  if (!dataDir) throw new UsageError('Name the cache folder with --data-dir or CLINIC_DATA_DIR.');
  const keyStore = createKeytarKeyStore();
  const logger = createJsonLogger(() => {});

  switch (command) {
    case 'status': {
      const vault = await openVault({ dataDir, keyStore, policy: readPolicy(values.policy).vault, logger });
      print(json, { ok: true, state: 'ready', schemaVersion: vault.schemaVersion, escrowed: vault.escrowed }, `Cache ready (schema ${vault.schemaVersion}, escrow ${vault.escrowed ? 'on' : 'off'}).`);
      vault.close();
      return 0;
    }
    case 'recover': {
      const file = values['private-key'];
      if (!file) throw new UsageError('vault recover needs --private-key <file.pem>.');
      await recoverVault({ dataDir, keyStore, privateKeyPem: fs.readFileSync(file, 'utf8'), logger });
      print(json, { ok: true, recovered: true }, 'The cache key was recovered and stored in the OS keychain.');
      return 0;
    }
    case 'rotate-key': {
      const vault = await openVault({ dataDir, keyStore, policy: readPolicy(values.policy).vault, logger });
      try {
        await vault.rotateKey();
      } finally {
        vault.close();
      }
      print(json, { ok: true, rotated: true }, 'The cache was re-encrypted under a new key.');
      return 0;
    }
    case 'wipe': {
      if (!values.yes) throw new UsageError('vault wipe destroys the cache and any unsynced changes; confirm with --yes.');
      const { removed } = await eraseVault({ dataDir, keyStore });
      print(json, { ok: true, removed }, `Key destroyed; removed ${removed.length} file(s).`);
      return 0;
    }
    default:
      throw new UsageError(`Unknown vault command: ${command}`);
  }
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  try {
    process.exitCode = await runCli(process.argv.slice(2));
  } catch (error) {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const message =
      error instanceof VaultError
        ? `${vaultErrorGuide[error.code].title} ${vaultErrorGuide[error.code].action}`
        : error instanceof EscrowKeyError || usage || (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? (error as Error).message
          : 'The command failed unexpectedly.';
    const code = error instanceof VaultError ? error.code : usage ? 'USAGE' : 'FAILED';
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, code, message })}\n`);
    else process.stderr.write(`${message}\n${usage ? `\n${USAGE}` : ''}`);
    process.exitCode = usage ? 2 : 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('cli/main.ts')) {
  await main();
}
