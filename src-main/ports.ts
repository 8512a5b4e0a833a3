/**
 * Every side effect the core needs, declared in one place and passed in by whoever builds it (the
 * Electron shell, the web host, the CLI, a test). Capabilities depend on these interfaces, never
 * on the OS: tests pass real implementations where they exist on this machine (keychain, SQLCipher
 * files, HTTP) and a controllable clock and timers, so every path is deterministic.
 */
import type { Policy } from '../src-shared/policy/schema.ts';
import type { Logger } from './log/index.ts';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Opaque handle returned by `Timers.setTimeout`. */
export type TimerHandle = unknown;

/** setTimeout/clearTimeout, measured on a monotonic clock as the real ones are. */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemTimers: Timers = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** OS events that lock at once. The shell maps Electron's names onto these. */
export type PowerEvent =
  /** powerMonitor 'lock-screen' (and the screen saver where the OS reports it as a lock). */
  | 'lock-screen'
  /** powerMonitor 'suspend': the machine is going to sleep; nobody is watching the screen. */
  | 'suspend'
  /**
   * Fast user switching: powerMonitor 'user-did-resign-active' (macOS). On Windows, switching user
   * locks the session first, which already arrives as 'lock-screen'.
   */
  | 'session-switch';

/**
 * OS lock, suspend, user switch and OS idle time. The Electron shell feeds them from
 * `powerMonitor`; the web host from the window's input; tests raise them by hand.
 */
export interface PowerEvents {
  /** Calls `listener` for every OS event until the returned function is called. */
  subscribe(listener: (event: PowerEvent) => void): () => void;
  /**
   * Whole seconds since the last input anywhere on the machine, rounded down as
   * powerMonitor.getSystemIdleTime does (the web host derives it from window input). Return null where the platform cannot tell:
   * Electron on Linux Wayland returns 0 forever (electron/electron#34826), and because OS input
   * can only postpone a lock, a stuck 0 would keep the session open for ever. null, a non-finite
   * or negative value, or a throw are all treated as "no information", which fails closed.
   */
  getSystemIdleSeconds(): number | null;
}

/** For hosts that cannot see the OS: no events, idle time unknown, so window input alone counts. */
export const noPowerEvents: PowerEvents = {
  subscribe: () => () => undefined,
  getSystemIdleSeconds: () => null,
};

/**
 * Where the vault's secrets live. On a workstation it is the OS keychain
 * (vault/keytar-key-store.ts); the vault never writes a key to a file.
 */
export interface KeyStore {
  /** The secret stored under this account, or null when there is none. Throws KeychainUnavailableError. */
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  /** True when an entry was removed. */
  delete(account: string): Promise<boolean>;
  /** Which keychain answers, for IT's messages ("the Secret Service on D-Bus unix:path=..."). */
  describe?(): string;
}

/** The OS keychain could not be reached (no D-Bus session, locked keyring, service not running). */
export class KeychainUnavailableError extends Error {
  override readonly name = 'KeychainUnavailableError';
}

/** Opens the provider's sign-in page: a dedicated window in Electron, a driven popup in tests. */
export interface AuthBrowser {
  /** Show `url`. Rejecting ends the sign-in with BROWSER (or CANCELLED if the user closed it). */
  open(url: URL): Promise<void>;
  /** Called once the sign-in has finished either way (e.g. to close the window). */
  close?(): void;
}

export interface Paths {
  /** Machine-wide folder holding the encrypted cache and its sidecar files. */
  dataDir: string;
  /**
   * The signed-in person's folder for exports the app writes for them (the review history): the
   * OS downloads folder in the shells. None: such exports are refused.
   */
  exportsDir?: string;
}

/** Whether the policy in force is IT's managed one (see Ports.policyManaged). */
export function policyIsManaged(ports: Pick<Ports, 'policyManaged' | 'policySource'>): boolean {
  return ports.policyManaged ?? ports.policySource !== undefined;
}

export interface Ports {
  keyStore: KeyStore;
  clock: Clock;
  paths: Paths;
  policy: Policy;
  /** Where the policy came from (a file path, "the registry (Group Policy)", ...): audited and shown. */
  policySource?: string;
  /**
   * Whether that policy is IT's managed one (the OS's policy location); default: a policySource
   * was given. The development web host's own policy is not.
   */
  policyManaged?: boolean;
  logger: Logger;
  /** Default: the real setTimeout/clearTimeout. */
  timers?: Timers;
  /** OS lock, suspend, user switch and OS idle time; default: none known (window input only). */
  power?: PowerEvents;
  /** Opens the identity provider's page; absent: nobody can sign in here (the IT command line). */
  authBrowser?: AuthBrowser;
}
