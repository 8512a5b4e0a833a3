/**
 * KeyStore port: where the vault's secrets live. On a workstation it is the OS keychain
 * (keytar-key-store.ts); the vault never writes a key to a file.
 */
export interface KeyStore {
  /** The secret stored under this account, or null when there is none. Throws KeychainUnavailableError. */
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  /** True when an entry was removed. */
  delete(account: string): Promise<boolean>;
}

/** The OS keychain could not be reached (no D-Bus session, locked keyring, service not running). */
export class KeychainUnavailableError extends Error {
  override readonly name = 'KeychainUnavailableError';
}
