/**
 * electron-builder cannot package here (it downloads Electron), so its configuration is checked
 * offline: electron-builder.yml is loaded and validated with app-builder-lib's own schema, and the
 * settings the product depends on (per-machine install, hardened runtime, unpacked native modules,
 * an asar for the fuses) are asserted. A copy with an unknown property must be rejected, which
 * proves the validation really runs.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Configuration = Record<string, unknown> & {
  appId?: string;
  productName?: string;
  directories?: { output?: string; buildResources?: string };
  files?: unknown;
  asar?: boolean;
  asarUnpack?: string[];
  win?: { target?: { target: string }[]; signtoolOptions?: { publisherName?: string[] } };
  nsis?: { oneClick?: boolean; perMachine?: boolean; allowElevation?: boolean };
  mac?: { hardenedRuntime?: boolean; entitlements?: string; gatekeeperAssess?: boolean; target?: string[] };
  linux?: { target?: string[]; category?: string };
};

const require = createRequire(import.meta.url);
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: null): Promise<Configuration>;
  validateConfiguration(config: Configuration, debugLogger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (isEnabled?: boolean) => unknown };

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const configFile = path.join(repoRoot, 'electron-builder.yml');

const validate = (config: Configuration) => validateConfiguration(config, new DebugLogger(false));

describe('electron-builder.yml', () => {
  let config: Configuration;
  let scratch: string;

  beforeAll(async () => {
    config = await getConfig(repoRoot, configFile, null);
    scratch = await mkdtemp(path.join(tmpdir(), 'clinic-builder-'));
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("validates against app-builder-lib's schema", async () => {
    await expect(validate(config)).resolves.toBeUndefined();
  });

  it('is rejected with an unknown property (the validation really runs)', async () => {
    const copy = path.join(scratch, 'electron-builder.yml');
    await writeFile(copy, `${await readFile(configFile, 'utf8')}\nlinux2:\n  target: deb\n`);
    const broken = await getConfig(scratch, copy, null);
    await expect(validate(broken)).rejects.toThrow(/unknown property 'linux2'/);
  });

  it('is rejected with a wrongly typed value', async () => {
    await expect(validate({ ...config, nsis: { ...config.nsis, perMachine: 'yes' as unknown as boolean } })).rejects.toThrow(
      /perMachine/,
    );
  });

  it('identifies the app and packs what electron-vite built into an asar', () => {
    expect(config.appId).toBe('org.clinicworkstation.app');
    expect(config.productName).toBe('Clinic Workstation');
    expect(config.directories).toMatchObject({ output: 'dist', buildResources: 'build' });
    expect(JSON.stringify(config.files)).toContain('out/**/*');
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toContain('**/*.node');
  });

  it('installs per machine on Windows, hardened on macOS, deb and AppImage on Linux', () => {
    expect(config.win?.target?.map((t) => t.target)).toStrictEqual(['nsis']);
    expect(config.win?.signtoolOptions?.publisherName?.length).toBeGreaterThan(0);
    expect(config.nsis).toMatchObject({ oneClick: false, perMachine: true, allowElevation: true });
    expect(config.mac).toMatchObject({
      hardenedRuntime: true,
      entitlements: 'build/entitlements.mac.plist',
      gatekeeperAssess: false,
      target: ['dmg', 'pkg'],
    });
    expect(config.linux?.target).toStrictEqual(['deb', 'AppImage']);
    expect(config.linux?.category).toContain('MedicalSoftware');
  });

  it('grants macOS only the JIT entitlement Electron needs', async () => {
    const plist = await readFile(path.join(repoRoot, 'build', 'entitlements.mac.plist'), 'utf8');
    const keys = [...plist.matchAll(/<key>([^<]+)<\/key>/g)].map((m) => m[1]);
    expect(keys).toStrictEqual(['com.apple.security.cs.allow-jit']);
    expect(plist).toMatch(/<key>com\.apple\.security\.cs\.allow-jit<\/key>\s*<true\/>/);
  });
});
