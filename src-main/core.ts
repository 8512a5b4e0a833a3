/**
 * Composition root: createCore(ports) builds each capability and wires them together, and returns
 * the single entry a window (through the Electron shell or the dev web host) uses: invoke a
 * channel of the contract, and listen to the core's events. It holds no policy of its own: each
 * capability reacts to the session itself (break-glass ends grants, sync sends held changes).
 */
import type { EventName, EventPayload } from '../src-shared/ipc/contract.ts';
import type { IpcResult } from '../src-shared/ipc/errors.ts';
import { authorizeSession } from './access/index.ts';
import { errorName } from './base/index.ts';
import { createBreakGlass, createBreakGlassHandlers } from './break-glass/index.ts';
import { createChartHandlers } from './chart/index.ts';
import { createOutcomeAuditor, createRouter } from './ipc/index.ts';
import { noPowerEvents, systemTimers, type Ports } from './ports.ts';
import { createSessionHandlers, createSessionManager } from './session/index.ts';
import { createSyncHandlers, createWorkstationSync } from './sync/index.ts';
import { openWorkstation, startAuditShipping, workstationHandlers } from './workstation.ts';

export type EventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export interface Core {
  /** Validate, authorize and answer one request from a window. Never throws. */
  invoke(channel: unknown, request: unknown): Promise<IpcResult<unknown>>;
  /** Subscribe to the core's events; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void;
  /** Close the vault and release every resource. */
  close(): Promise<void>;
}

export async function createCore(ports: Ports): Promise<Core> {
  const { logger, clock, policy } = ports;
  const timers = ports.timers ?? systemTimers;
  const workstation = await openWorkstation(ports);
  const { db, trail } = workstation;

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

  const breakGlass = createBreakGlass({ db, trail, policy: policy.breakGlass, clock, timers, logger });
  const sessions = createSessionManager({
    db,
    trail,
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
  const sync = createWorkstationSync({
    db,
    central: workstation.ready ? policy.central : undefined,
    sessions,
    clock,
    timers,
    logger,
    onChange: (status) => emit('sync.changed', status),
  });

  sessions.events.on('changed', (status) => emit('session.changed', status));
  breakGlass.events.on('changed', () => {
    sessions.announce(); // the banner and the chart follow the grants
    shipper?.kick(); // a grant started or ended: its events go out first, now
  });

  const displayNameOf = (userId: string) => {
    const user = sessions.status().user;
    return user?.userId === userId ? user.displayName : 'Unknown user';
  };
  const invoke = createRouter({
    logger,
    currentSession: () => sessions.current(),
    authorize: (session, action, patientId) =>
      authorizeSession(db(), session, action, patientId, breakGlass.activeGrants(session.userId)),
    onOutcome: createOutcomeAuditor({ trail, purposeOfGrant: (grantId) => breakGlass.reasonOf(grantId), logger }),
    handlers: {
      ...workstationHandlers(workstation, ports),
      ...createSessionHandlers(sessions),
      ...createChartHandlers({
        db,
        activeGrants: (userId) => breakGlass.activeGrants(userId),
        displayNameOf,
        clock,
        changed: () => sync.kick(),
      }),
      ...createSyncHandlers({ db, engine: () => sync, clock, displayNameOf }),
      ...createBreakGlassHandlers(() => breakGlass, sessions),
    },
  });

  return {
    invoke,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      breakGlass.close();
      sessions.close();
      await shipper?.stop();
      await sync.stop();
      listeners.clear();
      await workstation.close();
    },
  };
}
