/**
 * electron-builder cannot package here (it downloads Electron), so its configuration is checked
 * offline: electron-builder.yml is loaded (with its parent, build/windows-signing.mjs) and
 * validated with app-builder-lib's own schema, and the settings the product depends on
 * (per-machine install, signing routes and the pinned publisher, hardened runtime and
 * notarization, native modules rebuilt for Electron, the fuses hook, the update metadata) are
 * asserted. A copy with an unknown property must be rejected, which proves the validation really
 * runs.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

type Configuration = Record<string, unknown> & {
  appId?: string;
  productName?: string;
  directories?: { output?: string; buildResources?: string };
  files?: unknown;
  asar?: boolean;
  asarUnpack?: string[];
  win?: {
    target?: { target: string }[];
    signtoolOptions?: { publisherName?: string[] };
    azureSignOptions?: Record<string, string>;
    forceCodeSigning?: boolean;
    verifyUpdateCodeSignature?: boolean;
  };
  nsis?: { oneClick?: boolean; perMachine?: boolean; allowElevation?: boolean; runAfterFinish?: boolean };
  mac?: {
    hardenedRuntime?: boolean;
    entitlements?: string;
    entitlementsInherit?: string;
    gatekeeperAssess?: boolean;
    target?: string[];
    notarize?: boolean;
    forceCodeSigning?: boolean;
  };
  linux?: { target?: string[]; category?: string };
  publish?: { provider?: string; url?: string } | null;
  afterPack?: string;
};

const require = createRequire(import.meta.url);
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: null): Promise<Configuration>;
  validateConfiguration(config: Configuration, debugLogger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (isEnabled?: boolean) => unknown };
// How electron-builder itself turns a hook path from the configuration into a function.
const { resolveFunction } = require('app-builder-lib/out/util/resolve') as {
  resolveFunction(type: string | undefined, executor: unknown, name: string, rootSearchDir: string): Promise<unknown>;
};

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const configFile = path.join(repoRoot, 'electron-builder.yml');

const validate = (config: Configuration) => validateConfiguration(config, new DebugLogger(false));

const PUBLISHER = 'CN=Clinic Workstation Placeholder Publisher, O=Clinic Workstation Placeholder Publisher';
const AZURE_ENV = {
  AZURE_ARTIFACT_SIGNING_ENDPOINT: 'https://eus.codesigning.azure.net/',
  AZURE_ARTIFACT_SIGNING_ACCOUNT: 'clinic-signing',
  AZURE_ARTIFACT_SIGNING_CERTIFICATE_PROFILE: 'clinic-public-trust',
};
/** Loads the configuration with exactly these Azure variables in the environment. */
async function configWithEnv(env: Partial<Record<keyof typeof AZURE_ENV, string>>): Promise<Configuration> {
  for (const name of Object.keys(AZURE_ENV)) vi.stubEnv(name, env[name as keyof typeof AZURE_ENV] ?? '');
  return getConfig(repoRoot, configFile, null);
}

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

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("validates against app-builder-lib's schema", async () => {
    await expect(validate(config)).resolves.toBeUndefined();
  });

  it('is rejected with an unknown property (the validation really runs)', async () => {
    const copy = path.join(scratch, 'electron-builder.yml');
    await writeFile(copy, `${await readFile(configFile, 'utf8')}\nlinux2:\n  target: deb\n`);
    // The parent configuration is resolved next to the copy.
    await mkdir(path.join(scratch, 'build'), { recursive: true });
    await copyFile(
      path.join(repoRoot, 'build', 'windows-signing.mjs'),
      path.join(scratch, 'build', 'windows-signing.mjs'),
    );
    const broken = await getConfig(scratch, copy, null);
    await expect(validate(broken)).rejects.toThrow(/unknown property 'linux2'/);
  });

  it('is rejected with a wrongly typed value', async () => {
    await expect(
      validate({ ...config, nsis: { ...config.nsis, perMachine: 'yes' as unknown as boolean } }),
    ).rejects.toThrow(/perMachine/);
  });

  it('identifies the app and packs what electron-vite built into an asar', () => {
    expect(config.appId).toBe('org.clinicworkstation.app');
    expect(config.productName).toBe('Clinic Workstation');
    expect(config.directories).toMatchObject({ output: 'dist', buildResources: 'build' });
    expect(JSON.stringify(config.files)).toContain('out/**/*');
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toContain('**/*.node');
  });

  it('installs per machine on Windows (silent with /S), never starting the app as the installer', () => {
    expect(config.win?.target?.map((t) => t.target)).toStrictEqual(['nsis']);
    // Assisted (not one-click) + perMachine: /S installs silently into Program Files for every user.
    expect(config.nsis).toStrictEqual({
      oneClick: false,
      perMachine: true,
      allowElevation: true,
      runAfterFinish: false,
    });
  });

  it('signs Windows with a certificate from the environment by default, with the publisher pinned', async () => {
    const fromCertificate = await configWithEnv({});
    expect(fromCertificate.win?.signtoolOptions?.publisherName).toStrictEqual([PUBLISHER]);
    expect(fromCertificate.win?.azureSignOptions).toBeUndefined();
    expect(fromCertificate.win?.forceCodeSigning).toBe(true);
    // The certificate itself is CSC_LINK/CSC_KEY_PASSWORD: nothing of it in the configuration.
    expect(JSON.stringify(fromCertificate)).not.toMatch(/certificateFile|certificatePassword|cscLink|cscKeyPassword/i);
  });

  it('signs Windows through Azure Artifact Signing when its three variables are set', async () => {
    const azure = await configWithEnv(AZURE_ENV);
    expect(azure.win?.azureSignOptions).toStrictEqual({
      endpoint: AZURE_ENV.AZURE_ARTIFACT_SIGNING_ENDPOINT,
      codeSigningAccountName: AZURE_ENV.AZURE_ARTIFACT_SIGNING_ACCOUNT,
      certificateProfileName: AZURE_ENV.AZURE_ARTIFACT_SIGNING_CERTIFICATE_PROFILE,
      // The same pin as the certificate route: updates verify against one publisher.
      publisherName: PUBLISHER,
    });
    await expect(validate(azure)).resolves.toBeUndefined();
  });

  it('refuses half an Azure configuration instead of silently signing another way', async () => {
    await expect(
      configWithEnv({ AZURE_ARTIFACT_SIGNING_ENDPOINT: AZURE_ENV.AZURE_ARTIFACT_SIGNING_ENDPOINT }),
    ).rejects.toThrow(/AZURE_ARTIFACT_SIGNING_ACCOUNT, AZURE_ARTIFACT_SIGNING_CERTIFICATE_PROFILE/);
    await expect(
      configWithEnv({ ...AZURE_ENV, AZURE_ARTIFACT_SIGNING_ENDPOINT: 'http://eus.codesigning.azure.net/' }),
    ).rejects.toThrow(/https/);
  });

  it('signs, hardens and notarizes on macOS: dmg and pkg to install, zip for updates', () => {
    expect(config.mac).toMatchObject({
      hardenedRuntime: true,
      entitlements: 'build/entitlements.mac.plist',
      entitlementsInherit: 'build/entitlements.mac.plist',
      forceCodeSigning: true,
      // notarytool, with APPLE_API_KEY/APPLE_API_KEY_ID/APPLE_API_ISSUER (or Apple ID) from the environment.
      notarize: true,
      gatekeeperAssess: false,
      target: ['dmg', 'pkg', 'zip'],
    });
    expect(JSON.stringify(config.mac)).not.toMatch(/identity|password|apple_?id|api_?key/i);
  });

  it('builds deb and AppImage on Linux', () => {
    expect(config.linux?.target).toStrictEqual(['deb', 'AppImage']);
    expect(config.linux?.category).toContain('MedicalSoftware');
  });

  it("rebuilds native modules for Electron's ABI from source at packaging", () => {
    expect(config).toMatchObject({
      npmRebuild: true,
      buildDependenciesFromSource: true,
      nativeRebuilder: 'sequential',
    });
  });

  it('flips the fuses in the afterPack hook of build/after-pack.mjs, and only there', async () => {
    expect(config.afterPack).toBe('./build/after-pack.mjs');
    // electron-builder's built-in fuse option would be a second, diverging source of truth.
    expect(config.electronFuses).toBeUndefined();
    const hook = await resolveFunction('module', config.afterPack, 'afterPack', repoRoot);
    expect(typeof hook).toBe('function');
    expect((hook as { name: string }).name).toBe('afterPack');
  });

  it('writes update metadata for a generic feed that the app never uses as its address', () => {
    // The app takes the feed from policy (src-main/electron/updater.ts); this only makes
    // electron-builder write latest*.yml and app-update.yml (with the pinned publisher).
    expect(config.publish).toStrictEqual({ provider: 'generic', url: 'https://updates.invalid/clinic-workstation' });
    expect(config.win?.verifyUpdateCodeSignature).toBe(true);
  });

  it('grants macOS only the JIT entitlement Electron needs', async () => {
    const plist = await readFile(path.join(repoRoot, 'build', 'entitlements.mac.plist'), 'utf8');
    const keys = [...plist.matchAll(/<key>([^<]+)<\/key>/g)].map((m) => m[1]);
    expect(keys).toStrictEqual(['com.apple.security.cs.allow-jit']);
    expect(plist).toMatch(/<key>com\.apple\.security\.cs\.allow-jit<\/key>\s*<true\/>/);
  });
});
