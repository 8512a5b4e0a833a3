/**
 * The OS's managed settings for the policy loader (src-main/policy/load.ts): the Windows registry
 * written by Group Policy, and macOS managed preferences (configuration profiles), read with
 * @vscode/policy-watcher, the reader VS Code uses for both. Linux keeps policy in a file only.
 *
 * The watcher answers once with the values at start (and would again on every change); the app
 * reads policy once at start, so it takes that first answer and stops watching. A change of
 * policy takes effect at the next start, which is when IT's deployment tools restart the app.
 */
import { createWatcher } from '@vscode/policy-watcher';
import { POLICY_LOCATIONS } from '../../src-shared/policy/locations.ts';
import { loadManagedPolicy, PolicyError, type LoadedPolicy, type PolicyReadPorts } from './load.ts';
import { POLICY_SETTINGS } from './settings.ts';

export type ManagedSettings = Record<string, string | number | boolean>;

const FIRST_ANSWER_TIMEOUT_MS = 5_000;

/** The registry path under HKLM / HKCU the watcher reads (it takes it without the hive). */
export const REGISTRY_PATH = POLICY_LOCATIONS.windowsRegistryKey.replace(/^HKLM\\/, '');

export function readManagedPolicySettings(platform: NodeJS.Platform): Promise<ManagedSettings | null> {
  if (platform !== 'win32' && platform !== 'darwin') return Promise.resolve(null);
  // Lists and maps are JSON text in the registry and in preferences.
  const policies = Object.fromEntries(
    POLICY_SETTINGS.map((s) => [s.name, { type: s.kind === 'json' ? 'string' : s.kind }] as const),
  );
  return new Promise((resolve, reject) => {
    let settled = false;
    let watcher: { dispose(): void } | null = null;
    const timer = setTimeout(() => finish(() => reject(new Error('the OS did not answer'))), FIRST_ANSWER_TIMEOUT_MS);
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Disposed after the callback returns: the watcher calls us from its own thread's hand-off.
      setImmediate(() => watcher?.dispose());
      settle();
    };
    try {
      watcher = createWatcher(
        platform === 'darwin' ? POLICY_LOCATIONS.macPreferenceDomain : POLICY_LOCATIONS.windowsProductName,
        policies as Parameters<typeof createWatcher>[1],
        (update) => {
          const values: ManagedSettings = {};
          for (const [name, value] of Object.entries(update)) if (value !== undefined) values[name] = value;
          finish(() => resolve(Object.keys(values).length > 0 ? values : null));
        },
        platform === 'win32' ? { registryPath: REGISTRY_PATH } : undefined,
      );
    } catch (error) {
      finish(() => reject(error instanceof Error ? error : new Error('the policy reader failed')));
    }
  });
}

/**
 * The managed policy as the app and `ws` load it: the OS's managed settings asked first (Windows,
 * macOS), then the loader's rules (one source; the file; the development override).
 */
export async function loadOsPolicy(ports: Omit<PolicyReadPorts, 'readManagedSettings'>): Promise<LoadedPolicy> {
  let managed: ManagedSettings | null;
  try {
    managed = await readManagedPolicySettings(ports.platform);
  } catch (error) {
    const where = ports.platform === 'win32' ? 'the registry (Group Policy)' : 'managed preferences';
    throw new PolicyError(
      'POLICY_UNREADABLE',
      `The managed policy in ${where} could not be read (${(error as Error).message}).`,
      where,
    );
  }
  return loadManagedPolicy({ ...ports, ...(managed === null ? {} : { readManagedSettings: () => managed }) });
}
