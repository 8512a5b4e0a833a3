/**
 * A vault for tests in a fresh temp folder, on the real keychain (./keychain.ts), and its
 * teardown in one call: close the vault, crypto-erase it (its keys out of the keychain, then its
 * files) and remove the folder.
 *
 *   let vault: Vault;
 *   let close: () => Promise<void>;
 *   beforeEach(async () => {
 *     ({ vault, close } = await openTempVault({ prefix: 'clinic-records-', subdir: 'cache' }));
 *   });
 *   afterEach(() => close());
 *
 * `tempVaultDir` is the folder alone, for tests where something else opens the vault (the core, a
 * child process, fillCache) or where opening it is what is under test.
 */
import path from 'node:path';
import { createMemoryLogger, type Logger } from '../../src-main/log/logger.ts';
import { workstationMigrations } from '../../src-main/migrations.ts';
import { openVault, type Vault, type VaultOptions } from '../../src-main/vault/vault.ts';
import { eraseWorkstation } from '../../src-main/workstation-keys.ts';
import { keyStore } from './keychain.ts';
import { tempDir } from './temp.ts';

export interface TempVaultDirOptions {
  /** The start of the temp folder's name. */
  prefix?: string;
  /**
   * The data folder is this folder inside the temp folder, not made here (the vault makes it),
   * rather than the temp folder itself.
   */
  subdir?: string;
}

export interface TempVaultDir {
  readonly dataDir: string;
  /** Crypto-erases whatever vault is in the data folder, then removes the temp folder. */
  remove(): Promise<void>;
}

export function tempVaultDir(options: TempVaultDirOptions = {}): TempVaultDir {
  const { dir, cleanup } = tempDir(options.prefix);
  const dataDir = options.subdir ? path.join(dir, options.subdir) : dir;
  return {
    dataDir,
    async remove() {
      try {
        await eraseWorkstation({ dataDir, keyStore });
      } finally {
        cleanup();
      }
    },
  };
}

export interface TempVaultOptions extends TempVaultDirOptions {
  /** The vault policy: none (`{}`) unless told. */
  policy?: VaultOptions['policy'];
  /** A fresh memory logger unless told. */
  logger?: Logger;
}

export interface TempVault {
  /** The open vault: after `reopen`, the new one. */
  readonly vault: Vault;
  readonly dataDir: string;
  /** Closes the vault (if still open) and opens it again with the same options. */
  reopen(): Promise<Vault>;
  /** Closes the vault, crypto-erases it and removes the temp folder. */
  close(): Promise<void>;
}

export async function openTempVault(options: TempVaultOptions = {}): Promise<TempVault> {
  const dir = tempVaultDir(options);
  const vaultOptions: VaultOptions = {
    migrations: workstationMigrations,
    dataDir: dir.dataDir,
    keyStore,
    policy: options.policy ?? {},
    logger: options.logger ?? createMemoryLogger(),
  };
  let vault: Vault;
  try {
    vault = await openVault(vaultOptions);
  } catch (error) {
    await dir.remove();
    throw error;
  }
  return {
    get vault() {
      return vault;
    },
    dataDir: dir.dataDir,
    async reopen() {
      vault.close();
      vault = await openVault(vaultOptions);
      return vault;
    },
    async close() {
      vault.close();
      await dir.remove();
    },
  };
}
