/**
 * The side effects the core needs, passed in by whoever builds it (the Electron shell, the web
 * host, the CLI, a test). Tests pass real implementations where they exist on this machine
 * (keychain, SQLCipher files, HTTP) and a controllable clock.
 */
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
  logger: Logger;
}
