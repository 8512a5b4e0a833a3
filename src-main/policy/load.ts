import path from 'node:path';
import { Policy } from '../../src-shared/policy/schema.ts';
import { POLICY_LOCATIONS } from '../../src-shared/policy/locations.ts';
import { modeText, policyFileDistrust, type OwnedFile } from './file-trust.ts';
import { policyFromSettings, SettingValueError } from './settings.ts';
import { parseRecoveryPublicKey } from '../vault/index.ts';

/**
 * The managed policy, read from the OS's machine-wide location and validated against the one
 * schema. Fail closed: a missing policy, a file that is not JSON, an unknown setting, a wrong type
 * or an out-of-range value stops the app with a message naming the setting and where it came from;
 * nothing falls back to defaults silently (defaults apply only to settings IT left out).
 *
 * Exactly one source: the OS's policy (a file on Linux; a file or managed preferences on macOS;
 * a file or the registry on Windows, through Group Policy), or, only when the app is not packaged,
 * a development file named by CLINIC_POLICY_FILE. Two sources at once is an error: which one wins
 * would be a guess.
 *
 * Trust (issue 17): on Linux and macOS the OS policy file must be owned by root and writable by
 * nobody else (file-trust.ts), and a packaged app refuses central.allowLoopbackHttp, which exists
 * for development against dev central only.
 */
export type PolicyErrorCode =
  'POLICY_MISSING' | 'POLICY_UNREADABLE' | 'POLICY_INVALID' | 'POLICY_AMBIGUOUS' | 'POLICY_UNTRUSTED';

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly code: PolicyErrorCode,
    message: string,
    /** Where the policy came from (a path, "registry", "managed preferences"). */
    readonly source: string,
  ) {
    super(message);
  }
}

export interface PolicyReadPorts {
  platform: NodeJS.Platform;
  isPackaged: boolean;
  env: Readonly<Record<string, string | undefined>>;
  /** A file's text, or null when it does not exist. Throws for other read errors. */
  readFile(file: string): string | null;
  /** The OS policy file's text with its owner and mode (readFileWithOwner); null when absent. */
  readOwned(file: string): OwnedFile | null;
  /** Windows registry / macOS managed preferences (setting name -> value); null when none are set. */
  readManagedSettings?(): Readonly<Record<string, string | number | boolean>> | null;
}

export interface LoadedPolicy {
  policy: Policy;
  /** For the audit trail and the settings screen: where it came from. */
  source: string;
}

/** The OS file location for the platform (null where the OS keeps it elsewhere only). */
export function policyFileFor(platform: NodeJS.Platform, env: Readonly<Record<string, string | undefined>>): string {
  if (platform === 'win32')
    return path.win32.join(env['ProgramData'] ?? 'C:\\ProgramData', POLICY_LOCATIONS.windowsProgramDataFile);
  if (platform === 'darwin') return POLICY_LOCATIONS.macFile;
  return POLICY_LOCATIONS.linuxFile;
}

/** Validates a policy object from `source`; every problem named by its setting. */
export function validatePolicy(value: unknown, source: string): Policy {
  const parsed = Policy.safeParse(value);
  if (parsed.success) {
    // What the schema (pure, shared with the window) cannot check: that the key is a usable key.
    const pem = parsed.data.vault.recoveryPublicKeyPem;
    if (pem !== undefined) {
      try {
        parseRecoveryPublicKey(pem);
      } catch (error) {
        throw new PolicyError(
          'POLICY_INVALID',
          `The managed policy in ${source} is not valid: vault.recoveryPublicKeyPem: ${(error as Error).message}`,
          source,
        );
      }
    }
    return parsed.data;
  }
  const problems = parsed.error.issues.slice(0, 10).map((issue) => {
    const where = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${where ? `${where}.` : ''}${key}: not a setting this version knows`).join('; ');
    }
    return `${where || '(policy)'}: ${issue.message}`;
  });
  throw new PolicyError(
    'POLICY_INVALID',
    `The managed policy in ${source} is not valid: ${problems.join('; ')}.`,
    source,
  );
}

const unreadable = (file: string, error: unknown) =>
  new PolicyError(
    'POLICY_UNREADABLE',
    `The managed policy file ${file} could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
    file,
  );

/** Reads and validates a policy file (`ws policy check`, the dev override). */
export function readPolicyFile(file: string, readFile: PolicyReadPorts['readFile']): Policy | null {
  let text: string | null;
  try {
    text = readFile(file);
  } catch (error) {
    throw unreadable(file, error);
  }
  return text === null ? null : parsePolicyText(file, text);
}

/** The OS policy file: read with its owner and mode, refused unless only root can change it. */
function readOsPolicyFile(file: string, ports: PolicyReadPorts): Policy | null {
  let owned: OwnedFile | null;
  try {
    owned = ports.readOwned(file);
  } catch (error) {
    throw unreadable(file, error);
  }
  if (owned === null) return null;
  const distrust = policyFileDistrust(ports.platform, owned);
  if (distrust !== null) {
    throw new PolicyError(
      'POLICY_UNTRUSTED',
      `The managed policy file ${file} (mode ${modeText(owned.mode)}) is ${distrust}: only root may be able to change it. Run \`chown root ${file} && chmod 644 ${file}\`.`,
      file,
    );
  }
  return parsePolicyText(file, owned.text);
}

/** A packaged app takes no development setting from any source. */
function refuseDevelopmentSettings(loaded: LoadedPolicy, ports: PolicyReadPorts): LoadedPolicy {
  if (ports.isPackaged && loaded.policy.central?.allowLoopbackHttp) {
    throw new PolicyError(
      'POLICY_INVALID',
      `The managed policy in ${loaded.source} is not valid: central.allowLoopbackHttp: development only; a packaged app never sends to central over plain HTTP. Remove the setting.`,
      loaded.source,
    );
  }
  return loaded;
}

function parsePolicyText(file: string, text: string): Policy {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PolicyError(
      'POLICY_INVALID',
      `The managed policy file ${file} is not valid JSON: ${(error as Error).message}.`,
      file,
    );
  }
  return validatePolicy(value, file);
}

export function loadManagedPolicy(ports: PolicyReadPorts): LoadedPolicy {
  return refuseDevelopmentSettings(loadFromOneSource(ports), ports);
}

function loadFromOneSource(ports: PolicyReadPorts): LoadedPolicy {
  const override = ports.env['CLINIC_POLICY_FILE'];
  if (override !== undefined && override !== '') {
    if (ports.isPackaged) {
      throw new PolicyError(
        'POLICY_AMBIGUOUS',
        'CLINIC_POLICY_FILE is set, but a packaged app reads only the managed policy IT installed. Remove the variable.',
        'CLINIC_POLICY_FILE',
      );
    }
    const policy = readPolicyFile(override, ports.readFile);
    if (!policy)
      throw new PolicyError(
        'POLICY_MISSING',
        `The development policy file ${override} (CLINIC_POLICY_FILE) does not exist.`,
        override,
      );
    return { policy, source: override };
  }

  const file = policyFileFor(ports.platform, ports.env);
  const fromFile = readOsPolicyFile(file, ports);
  let managed: Readonly<Record<string, string | number | boolean>> | null = null;
  const managedSource = ports.platform === 'win32' ? 'the registry (Group Policy)' : 'managed preferences';
  if (ports.readManagedSettings) {
    try {
      managed = ports.readManagedSettings();
    } catch (error) {
      throw new PolicyError(
        'POLICY_UNREADABLE',
        `The managed policy in ${managedSource} could not be read (${(error as Error).message}).`,
        managedSource,
      );
    }
  }
  if (fromFile && managed && Object.keys(managed).length > 0) {
    throw new PolicyError(
      'POLICY_AMBIGUOUS',
      `Managed policy is set both in ${file} and in ${managedSource}; keep one.`,
      file,
    );
  }
  if (managed && Object.keys(managed).length > 0) {
    let value;
    try {
      value = policyFromSettings(managed);
    } catch (error) {
      if (error instanceof SettingValueError)
        throw new PolicyError(
          'POLICY_INVALID',
          `The managed policy in ${managedSource} is not valid: ${error.message}`,
          managedSource,
        );
      throw error;
    }
    return { policy: validatePolicy(value, managedSource), source: managedSource };
  }
  if (fromFile) return { policy: fromFile, source: file };
  throw new PolicyError(
    'POLICY_MISSING',
    `No managed policy was found (${file}${ports.readManagedSettings ? ` or ${managedSource}` : ''}). IT must install the workstation's policy before it can be used.`,
    file,
  );
}
