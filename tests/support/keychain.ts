import { createKeytarKeyStore } from '../../src-main/vault/keytar-key-store.ts';
import { keychainAccounts } from '../../src-main/vault/key-material.ts';
import path from 'node:path';

/** The real OS keychain (gnome-keyring under dbus-run-session in CI), as the app uses it. */
export const keyStore = createKeytarKeyStore();

export function accountsFor(dataDir: string) {
  return keychainAccounts(path.resolve(dataDir));
}
