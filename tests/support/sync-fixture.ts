/**
 * A signed-in sync set-up: dev central started (./central.ts: a small clinic unless told), a
 * user signed in for a real access token, temp vaults with types pulled from central, and the
 * options the sync engine takes, ready made (this central, this token, loopback HTTP allowed).
 *
 *   let sync: SignedInSync;
 *   let vault: Vault;
 *   let close: () => Promise<void>;
 *   beforeAll(async () => {
 *     sync = await startSignedInSync({ central: { patients: 6, seed: 23 }, user: 'nurse1' });
 *   });
 *   afterAll(() => sync?.close());
 *   beforeEach(async () => {
 *     ({ vault, close } = await sync.openTempVault({ prefix: 'clinic-sync-push-', pull: ['Patient'] }));
 *   });
 *   afterEach(() => close());
 *   ...
 *   await pushOutbox(sync.pushOptions(vault.db));
 */
import { createMemoryLogger, type Logger } from '../../src-main/log/logger.ts';
import { systemClock, type Clock } from '../../src-main/ports.ts';
import { pullAll, type PulledType, type PullOptions } from '../../src-main/sync/pull.ts';
import type { PushOptions } from '../../src-main/sync/push.ts';
import type { Database } from '../../src-main/vault/sqlcipher.ts';
import type { CentralOptions } from '../../dev/central/central.ts';
import { signIn, startTestCentral, type Central } from './central.ts';
import { openTempVault, type TempVault, type TempVaultOptions } from './vault-fixture.ts';

export interface SignedInSyncOptions {
  /** Dev central's options (patients, seed, ...), over startTestCentral's small clinic. */
  central?: CentralOptions;
  /** Who signs in for the token: nurse1 unless told. */
  user?: string;
  /** The clock in the options: the system clock unless told. */
  clock?: Clock;
  /** The logger in the options: a fresh memory logger for each unless told. */
  logger?: Logger;
}

export interface SignedInSync {
  readonly central: Central;
  /** The signed-in user's access token. */
  readonly token: string;
  /** A temp vault (./vault-fixture.ts) with the `pull` types, if any, pulled in with pullAll. */
  openTempVault(options?: TempVaultOptions & { pull?: readonly PulledType[] }): Promise<TempVault>;
  /** For pullAll and pullType. */
  pullOptions(db: Database, extra?: Partial<PullOptions>): PullOptions;
  /** For pushOutbox: the token for every user's changes. */
  pushOptions(db: Database, extra?: Partial<PushOptions>): PushOptions;
  /** Stops central. */
  close(): Promise<void>;
}

export async function startSignedInSync(options: SignedInSyncOptions = {}): Promise<SignedInSync> {
  const central = await startTestCentral(options.central);
  let token: string;
  try {
    token = (await signIn(central, options.user ?? 'nurse1')).accessToken;
  } catch (error) {
    await central.close();
    throw error;
  }
  const clock = options.clock ?? systemClock;
  const logger = () => options.logger ?? createMemoryLogger();
  const fixture: SignedInSync = {
    central,
    token,
    async openTempVault({ pull, ...vaultOptions } = {}) {
      const temp = await openTempVault(vaultOptions);
      try {
        if (pull) await pullAll(fixture.pullOptions(temp.vault.db, { types: pull }));
      } catch (error) {
        await temp.close();
        throw error;
      }
      return temp;
    },
    pullOptions: (db, extra = {}) => ({
      db,
      fhirBaseUrl: central.fhirBaseUrl,
      accessToken: token,
      allowLoopbackHttp: true,
      clock,
      logger: logger(),
      ...extra,
    }),
    pushOptions: (db, extra = {}) => ({
      db,
      fhirBaseUrl: central.fhirBaseUrl,
      tokenFor: async () => ({ token }),
      allowLoopbackHttp: true,
      clock,
      logger: logger(),
      ...extra,
    }),
    close: () => central.close(),
  };
  return fixture;
}
