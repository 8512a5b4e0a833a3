/**
 * The side effects the core needs, passed in by whoever builds it (the Electron shell, the web
 * host, the CLI, a test). Tests pass real implementations where they exist on this machine
 * (keychain, SQLCipher files, HTTP) and a controllable clock.
 */
import type { AuthBrowser } from './identity/oidc.ts';
import type { PowerEvents, Timers } from './lock/ports.ts';
import type { KeyStore } from './vault/key-store.ts';
import type { Logger } from './log/logger.ts';
import type { Policy } from '../src-shared/policy/schema.ts';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface Paths {
  /** Machine-wide folder holding the encrypted cache and its sidecar files. */
  dataDir: string;
}

export interface Ports {
  keyStore: KeyStore;
  clock: Clock;
  paths: Paths;
  policy: Policy;
  /** Where the policy came from (a file path, "the registry (Group Policy)", ...): audited and shown. */
  policySource?: string;
  logger: Logger;
  /** Default: the real setTimeout/clearTimeout. */
  timers?: Timers;
  /** OS lock, suspend, user switch and OS idle time; default: none known (window input only). */
  power?: PowerEvents;
  /** Opens the identity provider's page; absent: nobody can sign in here (the IT command line). */
  authBrowser?: AuthBrowser;
}

/** For hosts that cannot see the OS: no events, idle time unknown, so window input alone counts. */
export const noPowerEvents: PowerEvents = {
  subscribe: () => () => undefined,
  getSystemIdleSeconds: () => null,
};
