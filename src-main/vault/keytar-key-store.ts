import { createRequire } from 'node:module';
import { KeychainUnavailableError, type KeyStore } from '../ports.ts';

/**
 * The OS keychain through keytar: Windows Credential Manager, macOS Keychain, libsecret on Linux.
 * One service name identifies the app; the account names identify the cache and the purpose.
 */
export const KEYCHAIN_SERVICE = 'org.clinicworkstation.vault';

type Keytar = {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
};

// keytar is a native CommonJS module; loading it lazily lets the error be typed when the native
// library itself (libsecret) is missing on a machine.
function loadKeytar(): Keytar {
  try {
    return createRequire(import.meta.url)('keytar') as Keytar;
  } catch (error) {
    throw new KeychainUnavailableError(`The keychain library could not be loaded (${(error as Error).message})`);
  }
}

async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof KeychainUnavailableError) throw error;
    throw new KeychainUnavailableError(`The OS keychain did not answer: ${(error as Error).message}`);
  }
}

export function createKeytarKeyStore(service: string = KEYCHAIN_SERVICE): KeyStore {
  let keytar: Keytar | undefined;
  const lib = () => (keytar ??= loadKeytar());
  return {
    get: (account) => guarded(() => lib().getPassword(service, account)),
    set: (account, secret) => guarded(() => lib().setPassword(service, account, secret)),
    delete: (account) => guarded(() => lib().deletePassword(service, account)),
    describe: () => describeKeychain(),
  };
}

/** The keychain keytar talks to on this platform (on Linux, which session bus answered). */
function describeKeychain(): string {
  if (process.platform === 'darwin') return 'the macOS Keychain';
  if (process.platform === 'win32') return 'the Windows Credential Manager';
  return `the Secret Service on the D-Bus session bus ${process.env.DBUS_SESSION_BUS_ADDRESS ?? '(address unknown)'}`;
}
