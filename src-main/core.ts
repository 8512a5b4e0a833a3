/**
 * Composition root: createCore(ports) wires the capabilities together and returns the single
 * entry a window (through the Electron shell or the dev web host) uses: invoke a channel of the
 * contract, and listen to the core's events.
 */
import { APP_NAME, APP_VERSION } from '../src-shared/app-info.ts';
import type { EventName, EventPayload, WorkstationStatus } from '../src-shared/ipc/contract.ts';
import type { IpcResult } from '../src-shared/ipc/errors.ts';
import type { VaultStatus } from '../src-shared/vault/status.ts';
import { createRouter, type Session } from './ipc/router.ts';
import type { Ports } from './ports.ts';
import { searchPatients } from './records/repository.ts';
import { VaultError, vaultErrorGuide } from './vault/errors.ts';
import { openVault, type Vault } from './vault/vault.ts';

export type EventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export interface Core {
  /** Validate, authorize and answer one request from a window. Never throws. */
  invoke(channel: unknown, request: unknown): Promise<IpcResult<unknown>>;
  /** Subscribe to the core's events; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void;
  /** Close the vault and release every resource. */
  close(): Promise<void>;
}

type VaultState = { vault: Vault } | { error: VaultError };

async function openVaultState(ports: Ports): Promise<VaultState> {
  try {
    return { vault: await openVault({ dataDir: ports.paths.dataDir, keyStore: ports.keyStore, policy: ports.policy.vault, logger: ports.logger }) };
  } catch (error) {
    if (!(error instanceof VaultError)) throw error;
    // Fail closed: the core still answers, so the window can show IT what happened and what to do.
    ports.logger.log('error', 'vault.open-failed', { code: error.code });
    return { error };
  }
}

function vaultStatus(state: VaultState): VaultStatus {
  if ('vault' in state) return { state: 'ready', schemaVersion: state.vault.schemaVersion, escrowed: state.vault.escrowed };
  return { state: 'error', code: state.error.code, ...vaultErrorGuide[state.error.code] };
}

export async function createCore(ports: Ports): Promise<Core> {
  const state = await openVaultState(ports);
  const listeners = new Set<EventListener>();
  // Sign-in arrives with the identity capability; until then no one is signed in.
  const currentSession = (): Session | null => null;

  const requireVault = (): Vault => {
    if ('vault' in state) return state.vault;
    throw state.error;
  };

  const status = (): WorkstationStatus => ({
    appName: APP_NAME,
    appVersion: APP_VERSION,
    workstationId: null,
    vault: vaultStatus(state),
  });

  const invoke = createRouter({
    logger: ports.logger,
    currentSession,
    handlers: {
      'workstation.status': () => status(),
      'patients.search': (request) => ({ results: searchPatients(requireVault().db, request.query, request.limit) }),
    },
  });

  return {
    invoke,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      if ('vault' in state) state.vault.close();
    },
  };
}
