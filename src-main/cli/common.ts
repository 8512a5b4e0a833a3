/** What every IT command shares: the usage error, printing, the policy it reads, its context. */
import { Policy } from '../../src-shared/policy/schema.ts';
import { readIfExists } from '../base/index.ts';
import type { Logger } from '../log/index.ts';
import type { KeyStore } from '../ports.ts';
import { PolicyError, readFileWithOwner, readPolicyFile, loadOsPolicy, type LoadedPolicy } from '../policy/index.ts';
import { vaultErrorGuide, type VaultError } from '../vault/index.ts';

export class UsageError extends Error {}

/** What IT reads for a vault error: what happened, the particulars where they help, what to do. */
export function vaultErrorText(error: VaultError): string {
  const guide = vaultErrorGuide[error.code];
  const particulars = ['IN_USE', 'KEY_MISSING', 'ROLLED_BACK', 'DISK_FULL', 'DATABASE_MISSING'].includes(error.code);
  return particulars ? `${guide.title} ${error.message} ${guide.action}` : `${guide.title} ${guide.action}`;
}

export function print(json: boolean, value: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

/** `--policy <file>`: checked exactly as a managed policy is; a bad one is a usage error (exit 2). */
export function readPolicy(file: string | undefined): Policy {
  if (!file) return Policy.parse({});
  try {
    const policy = readPolicyFile(file, readIfExists);
    if (!policy) throw new UsageError(`Policy file ${file} does not exist.`);
    return policy;
  } catch (error) {
    if (error instanceof PolicyError) throw new UsageError(error.message);
    throw error;
  }
}

/** The OS's managed policy as the app loads it (file, Group Policy, managed preferences; CLINIC_POLICY_FILE in development). */
export function managedPolicy(): Promise<LoadedPolicy> {
  return loadOsPolicy({
    platform: process.platform,
    isPackaged: false,
    env: process.env,
    readFile: readIfExists,
    readOwned: readFileWithOwner,
  });
}

export type CliContext = {
  dataDir: string;
  keyStore: KeyStore;
  logger: Logger;
  json: boolean;
};
