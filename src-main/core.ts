/**
 * Composition root: createCore(ports) wires the capabilities together and returns the single
 * entry a window (through the Electron shell or the dev web host) uses: invoke a channel of the
 * contract, and listen to the core's events.
 */
import { APP_NAME, APP_VERSION } from '../src-shared/app-info.ts';
import type { EventName, EventPayload, WorkstationStatus } from '../src-shared/ipc/contract.ts';
import type { IpcResult } from '../src-shared/ipc/errors.ts';
import type { VaultStatus } from '../src-shared/vault/status.ts';
import { authorizeSession } from './access/index.ts';
import { createChartHandlers } from './chart/index.ts';
import { describePolicy } from './policy/index.ts';
import { createRouter, type RequestOutcome, requestAuditInput } from './ipc/index.ts';
import { systemTimers } from './ports.ts';
import { noPowerEvents, type Ports } from './ports.ts';
import { createSessionManager, type SessionAuditEvent } from './session/index.ts';
import { createBreakGlass, type BreakGlass, type GrantEndReason, createBreakGlassHandlers } from './break-glass/index.ts';
import { createAuditShipper, purgeAuditTrail, loadAuditKey, createAuditTrail, type AuditTrail } from './audit/index.ts';
import { VaultError, vaultErrorGuide, openVault, type Vault } from './vault/index.ts';
import { channels, isChannelName } from '../src-shared/ipc/contract.ts';
import { createSyncEngine, unenrolledSyncEngine, type SyncEngine, createSyncHandlers, releaseHeldOf, createTokenSource } from './sync/index.ts';
import { centralFetchFor } from './net/index.ts';
import { errorName } from './base/index.ts';
import { workstationMigrations } from './migrations.ts';

export type EventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export interface Core {
  /** Validate, authorize and answer one request from a window. Never throws. */
  invoke(channel: unknown, request: unknown): Promise<IpcResult<unknown>>;
  /** Subscribe to the core's events; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void;
  /** Close the vault and release every resource. */
  close(): Promise<void>;
}

type VaultState = { vault: Vault; trail: AuditTrail; auditKey: Buffer } | { error: VaultError };

async function openVaultState(ports: Ports): Promise<VaultState> {
  let vault: Vault | null = null;
  try {
    vault = await openVault({ migrations: workstationMigrations, dataDir: ports.paths.dataDir, keyStore: ports.keyStore, policy: ports.policy.vault, logger: ports.logger });
    const key = await loadAuditKey(ports.keyStore, ports.paths.dataDir, vault.db, ports.policy.vault.recoveryPublicKeyPem);
    return { vault, trail: createAuditTrail(vault.db, key, ports.clock), auditKey: key };
  } catch (error) {
    vault?.close();
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
  const { logger } = ports;

  const emit: EventListener = (event, payload) => {
    for (const listener of [...listeners]) {
      try {
        listener(event, payload);
      } catch (error) {
        logger.log('error', 'core.listener-failed', { errorName: errorName(error) });
      }
    }
  };

  const requireVault = (): Vault => {
    if ('vault' in state) return state.vault;
    throw state.error;
  };

  const trail = (): AuditTrail => {
    if ('trail' in state) return state.trail;
    throw state.error;
  };
  // Set once the sync engine exists (sessions are created before it).
  let onSignIn = (_userId: string) => undefined as void;
  /** A session event: into the audit trail, and to break-glass (a session's grants end with it). */
  const onSessionEvent = (event: SessionAuditEvent) => {
    try {
      trail().append({ action: `session.${event.action}`, outcome: event.outcome, userId: event.userId, role: event.role, detail: event.detail });
    } catch (error) {
      // The session goes on (locking must never wait for a disk); the failure is loud in the log.
      logger.log('error', 'audit.append-failed', { reason: `session.${event.action}`, errorName: errorName(error) });
    }
    if (event.userId !== null && event.action === 'signIn') {
      try {
        onSignIn(event.userId);
      } catch (error) {
        logger.log('error', 'sync.sign-in-failed', { errorName: errorName(error) });
      }
    }
    if (!breakGlass || event.userId === null) return;
    try {
      if (event.action === 'lock') breakGlass.sessionLocked(event.userId);
      else if (event.action === 'unlock') breakGlass.sessionUnlocked(event.userId);
      else if (event.action === 'end') breakGlass.endAll(event.userId, event.detail as GrantEndReason);
    } catch (error) {
      logger.log('error', 'breakGlass.session-event-failed', { errorName: errorName(error) });
    }
  };
  // Throws when the entry cannot be written: the router then withholds the PHI.
  const auditRequest = (outcome: RequestOutcome) => {
    const phi = isChannelName(outcome.channel) && channels[outcome.channel].phi;
    const input = requestAuditInput(outcome, phi, (grantId) => breakGlass?.reasonOf(grantId) ?? null);
    if (input) trail().append(input);
    if (outcome.outcome === 'FORBIDDEN') logger.log('warn', 'access.denied', { channel: outcome.channel, reason: outcome.denial ?? null });
  };
  if ('trail' in state) {
    state.trail.append({ action: 'workstation.start', outcome: 'success', userId: null, role: null, detail: APP_VERSION });
    state.trail.append({ action: 'policy.load', outcome: 'success', userId: null, role: null, detail: ports.policySource ?? 'built-in defaults' });
  }

  const timers = ports.timers ?? systemTimers;
  // Announced through the session status (its emergencyAccess part), once the sessions exist.
  let announce = () => undefined as void;
  const breakGlass: BreakGlass | null =
    'trail' in state
      ? createBreakGlass({ db: () => requireVault().db, trail, policy: ports.policy.breakGlass, clock: ports.clock, timers, logger, onChange: () => announce() })
      : null;
  const requireBreakGlass = (): BreakGlass => {
    if (breakGlass) return breakGlass;
    requireVault(); // throws the vault's error, which is why there is no break-glass
    throw new Error('Break-glass is not available.');
  };
  const emergencyAccess = (user: { userId: string; role: string } | null) => ({
    allowed: user !== null && ports.policy.breakGlass.roles.some((role) => role === user.role),
    reasons: ports.policy.breakGlass.reasons,
    minJustificationLength: ports.policy.breakGlass.minJustificationLength,
    durationMinutes: ports.policy.breakGlass.durationMinutes,
    grants: user && breakGlass ? breakGlass.grantsOf(user.userId) : [],
  });

  const sessions = createSessionManager({
    db: () => requireVault().db,
    policy: ports.policy,
    clock: ports.clock,
    timers,
    power: ports.power ?? noPowerEvents,
    authBrowser: ports.authBrowser ?? null,
    logger,
    onChange: (status) => emit('session.changed', status),
    audit: onSessionEvent,
    emergencyAccess,
  });
  // Store-and-forward of the audit trail, under the signed-in user's token; break-glass first.
  const shipper =
    'trail' in state && ports.policy.central
      ? createAuditShipper({
          db: () => requireVault().db,
          fhirBaseUrl: ports.policy.central.fhirBaseUrl,
          allowLoopbackHttp: ports.policy.central.allowLoopbackHttp,
          fetch: centralFetchFor(ports.policy.central),
          accessToken: () => sessions.accessToken(),
          clock: ports.clock,
          timers,
          logger,
          afterRound: () => purgeAuditTrail(state.vault.db, state.auditKey, state.trail, ports.policy.audit.retentionDays, ports.clock),
        })
      : null;
  // Whose token sends a change (sync/tokens.ts); none before IT enrolls the workstation.
  const tokens =
    'vault' in state && ports.policy.central
      ? createTokenSource({
          db: () => requireVault().db,
          central: ports.policy.central,
          current: () => {
            const user = sessions.current();
            return user ? { userId: user.userId, accessToken: sessions.accessToken() } : null;
          },
          clock: ports.clock,
          logger,
        })
      : null;
  const syncEngine: SyncEngine =
    tokens && ports.policy.central
      ? createSyncEngine({
          db: () => requireVault().db,
          fhirBaseUrl: ports.policy.central.fhirBaseUrl,
          allowLoopbackHttp: ports.policy.central.allowLoopbackHttp,
          fetch: centralFetchFor(ports.policy.central),
          tlsPins: ports.policy.central.tlsPins,
          accessToken: () => sessions.accessToken(),
          tokenFor: tokens.tokenFor,
          clock: ports.clock,
          timers,
          logger,
          onChange: (status) => emit('sync.changed', status),
        })
      : unenrolledSyncEngine(() => requireVault().db);
  onSignIn = (userId) => {
    tokens?.forget(userId);
    if (releaseHeldOf(requireVault().db, userId) > 0) logger.log('info', 'sync.released-held', {});
    syncEngine.kick();
  };
  const displayNameOf = (userId: string) => {
    const user = sessions.status().user;
    return user?.userId === userId ? user.displayName : 'Unknown user';
  };
  announce = () => {
    sessions.announce();
    shipper?.kick(); // a grant started or ended: its events go out first, now
  };
  const grantsOf = (userId: string) => breakGlass?.activeGrants(userId) ?? [];

  const status = (): WorkstationStatus => ({
    appName: APP_NAME,
    appVersion: APP_VERSION,
    workstationId: 'trail' in state ? state.trail.workstationId : null,
    vault: vaultStatus(state),
  });

  const db = () => requireVault().db;
  const invoke = createRouter({
    logger,
    currentSession: () => sessions.current(),
    authorize: (session, action, patientId) => authorizeSession(db(), session, action, patientId, grantsOf(session.userId)),
    onOutcome: auditRequest,
    handlers: {
      'workstation.status': () => status(),
      'workstation.policy': () => ({ source: ports.policySource ?? 'built-in defaults', settings: describePolicy(ports.policy) }),
      'session.status': () => sessions.status(),
      'session.signIn': () => sessions.startSignIn(),
      'session.cancelSignIn': () => sessions.cancelSignIn(),
      'session.signInOffline': (request) => sessions.signInWithPin(request.username, request.pin),
      'session.setPin': (request) => sessions.setPin(request.pin),
      'session.unlock': (request) => sessions.unlock(request.pin),
      'session.lock': () => sessions.lock(),
      'session.end': (request) => sessions.end(request.reason),
      'session.activity': () => {
        sessions.activity();
        return {};
      },
      ...createChartHandlers({ db, activeGrants: grantsOf, displayNameOf, clock: ports.clock, changed: () => syncEngine.kick() }),
      ...createSyncHandlers({ db, engine: () => syncEngine, clock: ports.clock, displayNameOf }),
      ...createBreakGlassHandlers(requireBreakGlass, sessions),
    },
  });

  return {
    invoke,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      const user = sessions.current();
      if (user && breakGlass) breakGlass.endAll(user.userId, 'appClosed');
      breakGlass?.close();
      sessions.close();
      await shipper?.stop();
      await syncEngine.stop();
      listeners.clear();
      if ('vault' in state) state.vault.close();
    },
  };
}
