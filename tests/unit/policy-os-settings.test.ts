import { beforeEach, describe, expect, it, vi } from 'vitest';

const watcher = vi.hoisted(() => ({
  createWatcher: vi.fn(),
  dispose: vi.fn(),
}));
vi.mock('@vscode/policy-watcher', () => ({ createWatcher: watcher.createWatcher }));
const { readManagedPolicySettings, REGISTRY_PATH } = await import('../../src-main/policy/os-settings.ts');

beforeEach(() => {
  watcher.createWatcher.mockReset();
  watcher.dispose.mockReset();
});

describe('managed policy from the OS (Group Policy, configuration profiles)', () => {
  it('on Windows asks the registry under the policy key for every setting, typed, and keeps only what is set', async () => {
    watcher.createWatcher.mockImplementation(
      (_product: string, _policies: unknown, onChange: (update: Record<string, unknown>) => void) => {
        queueMicrotask(() =>
          onChange({
            'lock.idleSeconds': 240,
            'central.roleMap': '{"ws-nurse":"nurse"}',
            'updates.enabled': undefined,
          }),
        );
        return { dispose: watcher.dispose };
      },
    );
    expect(await readManagedPolicySettings('win32')).toEqual({
      'lock.idleSeconds': 240,
      'central.roleMap': '{"ws-nurse":"nurse"}',
    });
    const [product, policies, , options] = watcher.createWatcher.mock.calls[0]!;
    expect(product).toBe('ClinicWorkstation');
    expect(options).toEqual({ registryPath: 'SOFTWARE\\Policies\\ClinicWorkstation\\ClinicWorkstation' });
    expect(REGISTRY_PATH).toBe('SOFTWARE\\Policies\\ClinicWorkstation\\ClinicWorkstation');
    expect(policies).toMatchObject({
      'lock.idleSeconds': { type: 'number' },
      'central.roleMap': { type: 'string' },
      'updates.enabled': { type: 'boolean' },
      'central.fhirBaseUrl': { type: 'string' },
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(watcher.dispose).toHaveBeenCalledOnce(); // read once at start, then no more watching
  });

  it('on macOS reads the managed preference domain; nothing set is no managed policy', async () => {
    watcher.createWatcher.mockImplementation(
      (_p: string, _q: unknown, onChange: (update: Record<string, unknown>) => void) => {
        queueMicrotask(() => onChange({ 'lock.idleSeconds': undefined }));
        return { dispose: watcher.dispose };
      },
    );
    expect(await readManagedPolicySettings('darwin')).toBeNull();
    expect(watcher.createWatcher.mock.calls[0]?.[0]).toBe('org.clinicworkstation.app');
    expect(watcher.createWatcher.mock.calls[0]?.[3]).toBeUndefined();
  });

  it('on Linux there is nothing to ask (the policy file is the only source)', async () => {
    expect(await readManagedPolicySettings('linux')).toBeNull();
    expect(watcher.createWatcher).not.toHaveBeenCalled();
  });

  it('a reader that fails or never answers is an error, never "no policy"', async () => {
    watcher.createWatcher.mockImplementation(() => {
      throw new Error('Unsupported platform');
    });
    await expect(readManagedPolicySettings('win32')).rejects.toThrow('Unsupported platform');
    vi.useFakeTimers();
    try {
      watcher.createWatcher.mockImplementation(() => ({ dispose: watcher.dispose }));
      const pending = readManagedPolicySettings('win32');
      const assertion = expect(pending).rejects.toThrow('did not answer');
      await vi.advanceTimersByTimeAsync(5_000);
      await assertion;
    } finally {
      vi.useRealTimers();
    }
  });
});
