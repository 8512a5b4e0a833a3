/**
 * The fuse configuration (build/after-pack.mjs), with @electron/fuses' writer replaced by a
 * recording mock: no Electron binary can be downloaded here. The enum is the real one, so a fuse
 * renumbered or renamed upstream fails these tests. That electron-builder.yml points afterPack at
 * this hook is checked in electron-builder-config.test.ts.
 */
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FuseState, FuseV1Options, FuseVersion } from '@electron/fuses';
import type * as Fuses from '@electron/fuses';
import { Arch } from 'electron-builder';
import type { PackedApp } from '../../build/after-pack.mjs';

const mocks = vi.hoisted(() => ({
  flipFuses: vi.fn(async (_binary: string, _config: unknown) => 1),
  getCurrentFuseWire: vi.fn(async (_binary: string): Promise<Record<string, unknown>> => ({})),
}));

vi.mock('@electron/fuses', async (importOriginal) => ({
  ...(await importOriginal<typeof Fuses>()),
  flipFuses: mocks.flipFuses,
  getCurrentFuseWire: mocks.getCurrentFuseWire,
}));

const { FUSES, afterPack, electronBinaryPath, fuseConfig } = await import('../../build/after-pack.mjs');

const EXPECTED_FUSES = {
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

/** What the binary reports after a successful flip: each configured fuse in its state. */
const flippedWire = () =>
  Object.fromEntries(
    Object.entries(EXPECTED_FUSES).map(([option, on]) => [option, on ? FuseState.ENABLE : FuseState.DISABLE]),
  );

const appOutDir = path.join('/dist', 'unpacked');
const packed = (electronPlatformName: string, arch: number = Arch.x64): PackedApp => ({
  appOutDir,
  electronPlatformName,
  arch,
  packager: { appInfo: { productFilename: 'Clinic Workstation' }, executableName: 'clinic-workstation' },
});

beforeEach(() => {
  mocks.flipFuses.mockClear();
  mocks.getCurrentFuseWire.mockReset().mockResolvedValue(flippedWire());
});

describe('fuse configuration', () => {
  it('sets exactly the seven fuses of PRODUCT.md capability 9, to these values', () => {
    expect(FUSES).toStrictEqual(EXPECTED_FUSES);
    expect(Object.isFrozen(FUSES)).toBe(true);
  });

  it('is a V1 wire that resets the ad-hoc signature only for Apple silicon builds', () => {
    expect(fuseConfig('win32', Arch.x64)).toStrictEqual({
      version: FuseVersion.V1,
      resetAdHocDarwinSignature: false,
      ...EXPECTED_FUSES,
    });
    expect(fuseConfig('linux', Arch.arm64).resetAdHocDarwinSignature).toBe(false);
    expect(fuseConfig('darwin', Arch.x64).resetAdHocDarwinSignature).toBe(false);
    expect(fuseConfig('darwin', Arch.arm64).resetAdHocDarwinSignature).toBe(true);
    expect(fuseConfig('darwin', Arch.universal).resetAdHocDarwinSignature).toBe(true);
  });
});

describe('packaged Electron binary', () => {
  it('is the .exe on Windows, inside the .app on macOS, the executable name on Linux', () => {
    expect(electronBinaryPath(packed('win32'))).toBe(path.join(appOutDir, 'Clinic Workstation.exe'));
    expect(electronBinaryPath(packed('darwin'))).toBe(
      path.join(appOutDir, 'Clinic Workstation.app', 'Contents', 'MacOS', 'Clinic Workstation'),
    );
    expect(electronBinaryPath(packed('mas'))).toBe(
      path.join(appOutDir, 'Clinic Workstation.app', 'Contents', 'MacOS', 'Clinic Workstation'),
    );
    expect(electronBinaryPath(packed('linux'))).toBe(path.join(appOutDir, 'clinic-workstation'));
  });

  it('is refused for a platform the hook does not know, so no unfused binary ships', () => {
    expect(() => electronBinaryPath(packed('freebsd'))).toThrow(/freebsd/);
  });
});

describe('afterPack hook', () => {
  it.each([
    ['win32', Arch.x64, path.join(appOutDir, 'Clinic Workstation.exe')],
    ['darwin', Arch.arm64, path.join(appOutDir, 'Clinic Workstation.app', 'Contents', 'MacOS', 'Clinic Workstation')],
    ['linux', Arch.x64, path.join(appOutDir, 'clinic-workstation')],
  ])('%s: flips the fuses of the packaged binary with the configuration', async (platform, arch, binary) => {
    await afterPack(packed(platform, arch));
    expect(mocks.flipFuses).toHaveBeenCalledExactlyOnceWith(binary, fuseConfig(platform, arch));
    expect(mocks.getCurrentFuseWire).toHaveBeenCalledExactlyOnceWith(binary);
  });

  it('fails the build when a fuse did not take (e.g. marked removed in a newer Electron)', async () => {
    mocks.getCurrentFuseWire.mockResolvedValue({ ...flippedWire(), [FuseV1Options.RunAsNode]: FuseState.REMOVED });
    await expect(afterPack(packed('linux'))).rejects.toThrow(/fuses not set .*RunAsNode/);
  });

  it('fails the build when @electron/fuses cannot flip (no sentinel, wrong wire version)', async () => {
    mocks.flipFuses.mockRejectedValueOnce(new Error('Could not find sentinel in the provided Electron binary'));
    await expect(afterPack(packed('win32'))).rejects.toThrow(/sentinel/);
    expect(mocks.getCurrentFuseWire).not.toHaveBeenCalled();
  });
});
