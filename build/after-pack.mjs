/**
 * electron-builder afterPack hook (electron-builder.yml `afterPack`): flips Electron's fuses in the
 * packaged binary. afterPack runs after the app is copied into the Electron bundle and before
 * anything is signed, so the signature covers the flipped fuses and the OS refuses a binary whose
 * fuses were flipped back (https://www.electronjs.org/docs/latest/tutorial/fuses).
 *
 * This module is the one place the fuse configuration lives; tests/unit/electron-fuses.test.ts
 * checks it. electron-builder also has a built-in `electronFuses` option; the hook is used instead
 * so the fuse set is pinned to our own @electron/fuses version (electron-builder bundles an older
 * one), unit-tested, and read back after flipping. Do not set `electronFuses` as well.
 */
import path from 'node:path';
import { FuseState, FuseV1Options, FuseVersion, flipFuses, getCurrentFuseWire } from '@electron/fuses';
import { Arch } from 'electron-builder';

/**
 * Exactly the fuses PRODUCT.md capability 9 asks for. The others are left at Electron's default on
 * purpose: LoadBrowserProcessSpecificV8Snapshot (off by default; we ship no custom snapshot) and
 * WasmTrapHandlers (on by default; a V8 hardening). tests/unit/electron-security-checklist.test.ts
 * fails when @electron/fuses learns a fuse that is neither set here nor listed as left alone.
 */
export const FUSES = Object.freeze({
  // ELECTRON_RUN_AS_NODE would turn the signed app into a general-purpose Node.js interpreter.
  [FuseV1Options.RunAsNode]: false,
  // Cookies are encrypted with an OS-keychain key (the session is in memory anyway).
  [FuseV1Options.EnableCookieEncryption]: true,
  // NODE_OPTIONS could preload arbitrary code into the main process (--require).
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  // --inspect and friends would open a debugger on the process that holds the vault key.
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // app.asar is checked against the hash electron-builder embeds (Info.plist on macOS, a resource
  // on Windows; Linux has no embedded-integrity support yet, the fuse is then inert).
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  // Without this, a folder named app/ next to app.asar would be loaded instead, unchecked.
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  // The renderer is served from app://, never file://; file:// pages get no extra powers.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
});

/**
 * The configuration handed to flipFuses. On Apple silicon flipping a fuse invalidates the ad-hoc
 * signature Electron ships with; resetting it keeps an unsigned (development) arm64 build
 * launchable. Release builds are signed with the real identity right after this hook anyway.
 */
export function fuseConfig(electronPlatformName, arch) {
  return {
    version: FuseVersion.V1,
    resetAdHocDarwinSignature: electronPlatformName === 'darwin' && (arch === Arch.arm64 || arch === Arch.universal),
    ...FUSES,
  };
}

/**
 * Where the packaged Electron binary is, per platform: electron-builder renames Electron to the
 * product file name (Windows, macOS) or to the executable name (Linux, lower-case by default).
 */
export function electronBinaryPath(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  const productFilename = packager.appInfo.productFilename;
  switch (electronPlatformName) {
    case 'win32':
      return path.join(appOutDir, `${productFilename}.exe`);
    case 'darwin':
    case 'mas':
      return path.join(appOutDir, `${productFilename}.app`, 'Contents', 'MacOS', productFilename);
    case 'linux':
      return path.join(appOutDir, packager.executableName);
    default:
      // Fail the build rather than ship a binary whose fuses were never flipped.
      throw new Error(`after-pack: no Electron binary location known for platform "${electronPlatformName}"`);
  }
}

/** Flips the fuses, then reads the wire back: a fuse Electron marks as removed would not stick. */
export async function afterPack(context) {
  const binary = electronBinaryPath(context);
  await flipFuses(binary, fuseConfig(context.electronPlatformName, context.arch));
  const wire = await getCurrentFuseWire(binary);
  const wrong = Object.entries(FUSES)
    .filter(([option, enabled]) => wire[option] !== (enabled ? FuseState.ENABLE : FuseState.DISABLE))
    .map(([option]) => FuseV1Options[option]);
  if (wrong.length > 0) throw new Error(`after-pack: fuses not set in ${binary}: ${wrong.join(', ')}`);
}

export default afterPack;
