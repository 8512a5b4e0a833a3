// Types for after-pack.mjs (electron-builder loads the .mjs itself; TypeScript tests import it).
import type { FuseConfig, FuseV1Options } from '@electron/fuses';

/** The part of electron-builder's AfterPackContext the hook reads. */
export interface PackedApp {
  appOutDir: string;
  electronPlatformName: string;
  /** builder-util's Arch enum (x64 = 1, arm64 = 3, universal = 4, ...). */
  arch: number;
  packager: { appInfo: { productFilename: string }; executableName?: string };
}

export declare const FUSES: Readonly<Partial<Record<FuseV1Options, boolean>>>;
export declare function fuseConfig(electronPlatformName: string, arch: number): FuseConfig;
export declare function electronBinaryPath(context: PackedApp): string;
export declare function afterPack(context: PackedApp): Promise<void>;
export default afterPack;
