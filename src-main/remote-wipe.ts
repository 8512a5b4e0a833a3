/**
 * Remote wipe (issue 15): IT's order at central (fleet/wipe-order.ts) carried out. A wipe cannot
 * be undone, so each step is in the one order that keeps the most: nothing more is written or
 * fetched, the order itself goes into the audit trail, the session ends (its end and any
 * break-glass grant's close are audited too), the audit backlog ships for a bounded time with
 * the order's entry first, then the cache closes, the marker is written, both keys and the files
 * go, and central is told. A signed-in user's token was captured first: ending the session drops it.
 */
import type { WipeTask } from '../src-shared/fleet/wipe-order.ts';
import { pendingAuditCount, shipAuditTrail } from './audit/index.ts';
import { errorName } from './base/index.ts';
import { completeWipeOrder } from './fleet/index.ts';
import { centralFetchFor } from './net/index.ts';
import type { Ports } from './ports.ts';
import { outboxCounts } from './sync/index.ts';
import type { Workstation } from './workstation.ts';
import { eraseWorkstation, markWiped } from './workstation-keys.ts';

/** How long the audit backlog may take to ship before the erase goes ahead without the rest. */
export const WIPE_SHIP_BUDGET_MS = 30_000;
/** Each request of that shipping, so one slow answer cannot take the whole budget. */
const WIPE_SHIP_REQUEST_MS = 10_000;

export interface RemoteWipeDeps {
  workstation: Workstation;
  ports: Ports;
  order: WipeTask;
  /** The token the order was found under: the audit trail ships and the Task completes with it. */
  accessToken: string;
  /** Stops whatever could write to the cache or reach central meanwhile (sync, audit shipping). */
  stopBackground(): Promise<void>;
  /** Ends the session (audited) and every timer of it. */
  endSessions(): void;
}

export interface RemoteWipeResult {
  /** Audit entries that did not reach central in time (destroyed with the cache). */
  auditLeft: number;
  /** Changes not yet on central (destroyed with the cache; IT sees the count on the Task). */
  unsyncedDestroyed: number;
  /** Whether central took the Task as completed (the wipe happened either way). */
  completed: boolean;
}

export async function carryOutRemoteWipe(deps: RemoteWipeDeps): Promise<RemoteWipeResult> {
  const { workstation, ports, order, accessToken } = deps;
  const { clock, logger } = ports;
  const central = ports.policy.central;
  const dataDir = ports.paths.dataDir;
  const workstationId = workstation.status().workstationId ?? 'unknown';
  if (!central) throw new Error('A remote wipe needs central services in policy.');

  await deps.stopBackground();
  const db = workstation.db();
  const { pending, held, conflicts } = outboxCounts(db);
  const unsyncedDestroyed = pending + held + conflicts;
  workstation.trail().append({
    action: 'workstation.remoteWipe',
    outcome: 'success',
    userId: null,
    role: null,
    detail: `task:${order.id}:unsynced-${unsyncedDestroyed}`,
  });
  deps.endSessions();

  const fetch = centralFetchFor(central);
  const deadline = clock.now() + WIPE_SHIP_BUDGET_MS;
  try {
    await shipAuditTrail({
      db,
      fhirBaseUrl: central.fhirBaseUrl,
      allowLoopbackHttp: central.allowLoopbackHttp,
      fetch,
      accessToken,
      clock,
      logger,
      requestTimeoutMs: WIPE_SHIP_REQUEST_MS,
      shouldContinue: () => clock.now() < deadline,
    });
  } catch (error) {
    logger.log('error', 'workstation.wipe-ship-failed', { errorName: errorName(error) });
  }
  const auditLeft = pendingAuditCount(db);

  await workstation.close();
  // The marker before the keys: from here on the workstation only ever opens as wiped.
  markWiped(dataDir, { wipedAt: new Date(clock.now()).toISOString(), workstationId, taskId: order.id });
  await eraseWorkstation({ dataDir, keyStore: ports.keyStore });
  const completed = await completeWipeOrder(
    { fhirBaseUrl: central.fhirBaseUrl, allowLoopbackHttp: central.allowLoopbackHttp, fetch, logger },
    accessToken,
    order,
    clock.now(),
    unsyncedDestroyed,
  );
  logger.log('warn', 'workstation.remote-wiped', { auditLeft, unsyncedDestroyed, completed });
  return { auditLeft, unsyncedDestroyed, completed };
}
