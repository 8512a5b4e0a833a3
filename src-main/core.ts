/**
 * Composition root: createCore(ports) builds each capability and wires them together, and returns
 * the single entry a window (through the Electron shell or the dev web host) uses: invoke a
 * channel of the contract, and listen to the core's events. It holds no policy of its own: each
 * capability reacts to the session itself (break-glass ends grants, sync sends held changes).
 */
import type { Permission } from '../src-shared/access/roles.ts';
import type { EventName, EventPayload } from '../src-shared/ipc/contract.ts';
import type { IpcResult } from '../src-shared/ipc/errors.ts';
import { authorizeSession } from './access/index.ts';
import { createAccessAlerts, createAlertHandlers } from './alerts/index.ts';
import { errorName } from './base/index.ts';
import { createBreakGlass, createBreakGlassHandlers } from './break-glass/index.ts';
import { createChartHandlers, createChartsOnDemand } from './chart/index.ts';
import { createDraftHandlers, createDrafts } from './drafts/index.ts';
import { startFleetReporting } from './fleet/index.ts';
import { pendingAuditCount } from './audit/index.ts';
import { centralFetchFor } from './net/index.ts';
import { APP_NAME, APP_VERSION } from '../src-shared/app-info.ts';
import { createOutcomeAuditor, createRouter, type Session } from './ipc/index.ts';
import { noPowerEvents, systemTimers, type Ports, type TimerHandle } from './ports.ts';
import { createSessionHandlers, createSessionManager } from './session/index.ts';
import { createSyncHandlers, createWorkstationSync, outboxCounts, startCacheRetention } from './sync/index.ts';
import { openWorkstation, startAuditShipping, workstationHandlers, type Workstation } from './workstation.ts';
import { carryOutRemoteWipe } from './remote-wipe.ts';
import { DEFAULT_POLICY_SOURCE, workstationHealth } from './workstation-health.ts';
import type { WipeTask } from '../src-shared/fleet/wipe-order.ts';

export type EventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export interface Core {
  /** Validate, authorize and answer one request from a window. Never throws. */
  invoke(channel: unknown, request: unknown): Promise<IpcResult<unknown>>;
  /** Subscribe to the core's events; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void;
  /** Close the vault and release every resource. */
  close(): Promise<void>;
}

/** How often a workstation that started on a full disk tries its cache again. */
export const REOPEN_AFTER_DISK_FULL_MS = 10_000;

export async function createCore(ports: Ports): Promise<Core> {
  const { logger } = ports;
  const timers = ports.timers ?? systemTimers;
  const listeners = new Set<EventListener>();
  const emit: EventListener = (event, payload) => {
    for (const listener of [...listeners]) {
      try {
        listener(event, payload);
      } catch (error) {
        logger.log('error', 'core.listener-failed', { errorName: errorName(error) });
      }
    }
  };

  const first = await openWorkstation(ports);
  let closed = false;
  let reopening: Promise<void> | null = null;
  let wiping: Promise<void> | null = null;
  let timer: TimerHandle | null = null;

  // After a remote wipe the workstation is built anew over what is left: it opens as WIPED (the
  // marker), so the window shows "This workstation was wiped by IT", now and after a restart.
  const onWipe = (wipe: Promise<unknown>) => {
    wiping = wipe
      .catch((error: unknown) => logger.log('error', 'workstation.remote-wipe-failed', { errorName: errorName(error) }))
      .then(async () => {
        const next = await openWorkstation(ports);
        if (closed) return next.close();
        const previous = current;
        current = assemble(ports, next, emit, onWipe);
        await previous.close();
        emit('workstation.statusChanged', next.status());
        emit('session.changed', current.sessionStatus());
      })
      .catch((error: unknown) => logger.log('error', 'vault.reopen-failed', { errorName: errorName(error) }));
  };
  let current = assemble(ports, first, emit, onWipe);

  // A full disk is the one failure that mends itself: the cache is whole and opens once there is
  // room. Until then the window shows DISK_FULL; then the workstation starts as if launched anew.
  const waitsForSpace = (ws: Workstation) => {
    const vault = ws.status().vault;
    return vault.state === 'error' && vault.code === 'DISK_FULL';
  };
  const scheduleReopen = () => {
    timer = timers.setTimeout(() => {
      timer = null;
      reopening = reopen()
        .catch((error: unknown) => {
          logger.log('error', 'vault.reopen-failed', { errorName: errorName(error) });
          if (!closed) scheduleReopen();
        })
        .finally(() => (reopening = null));
    }, REOPEN_AFTER_DISK_FULL_MS);
  };
  async function reopen(): Promise<void> {
    const next = await openWorkstation(ports);
    if (closed) return next.close();
    if (waitsForSpace(next)) return scheduleReopen();
    const previous = current;
    current = assemble(ports, next, emit, onWipe);
    await previous.close();
    logger.log('info', 'vault.reopened', { state: next.status().vault.state });
    emit('workstation.statusChanged', next.status());
    emit('session.changed', current.sessionStatus());
  }
  if (waitsForSpace(first)) scheduleReopen();

  return {
    invoke: (channel, request) => current.invoke(channel, request),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      if (timer) timers.clearTimeout(timer);
      await reopening;
      await wiping;
      listeners.clear();
      await current.close();
    },
  };
}

/** One workstation's capabilities, built over its cache (open, or failed with the IT screen). */
interface Assembled {
  invoke: Core['invoke'];
  sessionStatus(): EventPayload<'session.changed'>;
  close(): Promise<void>;
}

function assemble(
  ports: Ports,
  workstation: Workstation,
  emit: EventListener,
  onWipe: (wipe: Promise<unknown>) => void,
): Assembled {
  const { logger, clock, policy } = ports;
  const timers = ports.timers ?? systemTimers;
  const { db, trail } = workstation;
  // Unusual access alerts watch what the session, break-glass and the router append (sign-in and
  // PIN failures, chart opens); everything else writes to the trail as it is.
  const alerts = createAccessAlerts({ db, trail, policy: policy.alerts, clock, logger });
  const watchedTrail = () => alerts.watch(trail());

  const breakGlass = createBreakGlass({
    db,
    trail: watchedTrail,
    policy: policy.breakGlass,
    clock,
    timers,
    logger,
    exportsDir: ports.paths.exportsDir,
  });
  const sessions = createSessionManager({
    db,
    trail: watchedTrail,
    policy,
    clock,
    timers,
    power: ports.power ?? noPowerEvents,
    authBrowser: ports.authBrowser ?? null,
    logger,
    emergencyAccess: breakGlass.view,
  });
  breakGlass.follow(sessions.events);
  const shipper = startAuditShipping(workstation, ports, timers, () => sessions.accessToken());
  let wipeStarted = false; // for IT's status screen, until the workstation is built anew as WIPED
  const fleet = fleetReporting(
    ports,
    workstation,
    () => sessions.accessToken(),
    (order, accessToken) => {
      wipeStarted = true;
      onWipe(
        carryOutRemoteWipe({
          workstation,
          ports,
          order,
          accessToken,
          stopBackground: async () => {
            retention?.stop();
            await shipper?.stop();
            await sync.stop();
          },
          endSessions: () => {
            if (sessions.current()) sessions.end('remoteWipe');
            breakGlass.close();
            sessions.close();
          },
        }),
      );
    },
  );
  const sync = createWorkstationSync({
    db,
    central: workstation.ready ? policy.central : undefined,
    scope: policy.cache.scope,
    sessions,
    clock,
    timers,
    logger,
    onChange: (status) => {
      emit('sync.changed', status);
      fleet?.afterRound(status);
    },
  });

  // Out-of-scope patients past cache.retentionDays leave the cache: at start, then daily.
  const retention = workstation.ready
    ? startCacheRetention({
        db,
        trail: watchedTrail,
        scope: policy.cache.scope,
        retentionDays: policy.cache.retentionDays,
        clock,
        timers,
        logger,
      })
    : null;

  sessions.events.on('changed', (status) => emit('session.changed', status));
  breakGlass.events.on('changed', () => {
    sessions.announce(); // the banner and the chart follow the grants
    shipper?.kick(); // a grant started or ended: its events go out first, now
  });

  const displayNameOf = (userId: string) => {
    const user = sessions.status().user;
    return user?.userId === userId ? user.displayName : 'Unknown user';
  };
  const authorize = (session: Session, action: Permission, patientId: string | null) =>
    authorizeSession(db(), session, action, patientId, breakGlass.activeGrants(session.userId));
  // Drafts are kept only while their author may write the chart: the router's own decision.
  const drafts = createDrafts({
    db,
    trail: watchedTrail,
    policy: policy.drafts,
    clock,
    timers,
    logger,
    mayWrite: (session, patientId) => authorize(session, 'patient.clinical.write', patientId),
    purgeOnTimer: workstation.ready,
  });
  drafts.follow(sessions.events);
  const invoke = createRouter({
    logger,
    currentSession: () => sessions.current(),
    authorize,
    onOutcome: createOutcomeAuditor({
      trail: watchedTrail,
      purposeOfGrant: (grantId) => breakGlass.reasonOf(grantId),
      logger,
    }),
    handlers: {
      ...workstationHandlers(workstation, ports),
      'workstation.health': () => workstationHealth({ workstation, ports, wipeInProgress: () => wipeStarted }),
      ...createSessionHandlers(sessions),
      ...createChartHandlers({
        db,
        activeGrants: (userId) => breakGlass.activeGrants(userId),
        displayNameOf,
        clock,
        changed: () => sync.kick(),
        central: workstation.ready ? policy.central : undefined,
        accessToken: () => sessions.accessToken(),
        maxOfflineDays: policy.cache.maxOfflineDays,
        onDemand: createChartsOnDemand({
          db,
          trail: watchedTrail,
          clock,
          central: workstation.ready ? policy.central : undefined,
          accessToken: () => sessions.accessToken(),
          scopeIsAll: policy.cache.scope.kind === 'all',
        }),
      }),
      ...createSyncHandlers({
        db,
        engine: () => sync,
        clock,
        displayNameOf,
        authorize,
        trail: watchedTrail,
        activeGrants: (userId) => breakGlass.activeGrants(userId),
      }),
      ...createBreakGlassHandlers(() => breakGlass, sessions),
      ...createAlertHandlers(() => alerts),
      ...createDraftHandlers(() => drafts),
    },
  });

  return {
    invoke,
    sessionStatus: () => sessions.status(),
    async close() {
      drafts.close();
      breakGlass.close();
      sessions.close();
      retention?.stop();
      await shipper?.stop();
      await sync.stop();
      await fleet?.settled();
      await workstation.close();
    },
  };
}

/**
 * The workstation's own record at central, after each round that reached it (fleet/): none before
 * IT enrolls it, or without a cache.
 */
function fleetReporting(
  ports: Ports,
  workstation: Workstation,
  accessToken: () => string | null,
  onWipeOrder: (order: WipeTask, accessToken: string) => void,
) {
  const central = ports.policy.central;
  const workstationId = workstation.status().workstationId;
  if (!central || !workstation.ready || workstationId === null) return null;
  return startFleetReporting({
    db: workstation.db,
    fhirBaseUrl: central.fhirBaseUrl,
    allowLoopbackHttp: central.allowLoopbackHttp,
    fetch: centralFetchFor(central),
    clock: ports.clock,
    logger: ports.logger,
    workstationId,
    accessToken,
    onWipeOrder,
    facts: () => {
      const db = workstation.db();
      const { pending, held, conflicts } = outboxCounts(db);
      return {
        appName: APP_NAME,
        appVersion: APP_VERSION,
        policySource: ports.policySource ?? DEFAULT_POLICY_SOURCE,
        pendingChanges: pending + held + conflicts,
        auditBacklog: pendingAuditCount(db),
      };
    },
  });
}
