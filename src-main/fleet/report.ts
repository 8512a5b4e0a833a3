import type { SyncStatus } from '../../src-shared/sync/status.ts';
import { errorName } from '../base/index.ts';
import type { Logger } from '../log/index.ts';
import { isAllowedTransport } from '../net/index.ts';
import type { Clock } from '../ports.ts';
import type { Database } from '../vault/index.ts';
import { workstationDevice, type FleetFacts, type WorkstationDevice } from '../../src-shared/fleet/device.ts';
import type { WipeTask } from '../../src-shared/fleet/wipe-order.ts';
import { findWipeOrder } from './wipe-order.ts';

/**
 * Fleet status (issue 15): after each sync round that reached central, the workstation updates its
 * own Device there (device.ts) under the signed-in user's token, a PUT by its id, so the first
 * round registers it and later ones update it. What central took is kept here (fleet_report), for
 * `ws status`. A report that fails changes nothing here and does not fail the round: the next
 * round reports again. Counts and versions only, never PHI.
 */
export interface FleetDeps {
  db(): Database;
  fhirBaseUrl: string;
  allowLoopbackHttp: boolean;
  /** Central's fetch (policy central.tlsPins); the global fetch unless given. */
  fetch?: typeof fetch;
  clock: Clock;
  logger: Logger;
}

/** How long a report may take before it is given up until the next round. */
const REPORT_TIMEOUT_MS = 10_000;

export interface FleetReport {
  reportedAt: number;
  device: WorkstationDevice;
}

/** What central was last told, or null before the first report it took. */
export function lastFleetReport(db: Database): FleetReport | null {
  const row = db.prepare('SELECT reported_at, device_json FROM fleet_report WHERE one = 1').get() as
    { reported_at: number; device_json: string } | undefined;
  return row ? { reportedAt: row.reported_at, device: JSON.parse(row.device_json) as WorkstationDevice } : null;
}

/** One report: true when central took it (and it is kept as the last report). */
export async function reportToCentral(
  deps: FleetDeps,
  accessToken: string,
  workstationId: string,
  facts: FleetFacts,
): Promise<boolean> {
  const base = deps.fhirBaseUrl.replace(/\/+$/, '');
  if (!isAllowedTransport(new URL(base), deps.allowLoopbackHttp)) return false;
  const at = deps.clock.now();
  const device = workstationDevice(workstationId, facts, at);
  let status: number;
  try {
    const response = await (deps.fetch ?? fetch)(`${base}/Device/${encodeURIComponent(workstationId)}`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/fhir+json',
        accept: 'application/fhir+json',
        authorization: `Bearer ${accessToken}`,
      },
      body: JSON.stringify(device),
      signal: AbortSignal.timeout(REPORT_TIMEOUT_MS),
    });
    status = response.status;
    await response.body?.cancel().catch(() => undefined); // what central made of it is not needed
  } catch (error) {
    deps.logger.log('warn', 'fleet.report-failed', { reason: 'network', errorName: errorName(error) });
    return false;
  }
  if (status !== 200 && status !== 201) {
    deps.logger.log('warn', 'fleet.report-failed', { reason: `http-${status}`, status });
    return false;
  }
  deps
    .db()
    .prepare(
      `INSERT INTO fleet_report (one, reported_at, device_json) VALUES (1, ?, ?)
       ON CONFLICT (one) DO UPDATE SET reported_at = excluded.reported_at, device_json = excluded.device_json`,
    )
    .run(at, JSON.stringify(device));
  return true;
}

/**
 * Reports after the sync rounds: each time a round ends having reached central (its
 * lastSyncedAt moved) while someone's token is at hand, one report, never two at once. First it
 * asks central for IT's wipe order (wipe-order.ts): with one, there is no report, the order goes
 * to `onWipeOrder` (once) and reporting stops.
 */
export function startFleetReporting(
  deps: FleetDeps & {
    workstationId: string;
    accessToken(): string | null;
    /** The facts of the moment (counts read from the cache). */
    facts(): FleetFacts;
    /** IT ordered this workstation wiped: carried out by the caller, outside this report. */
    onWipeOrder?(order: WipeTask, accessToken: string): void;
  },
): { afterRound(status: SyncStatus): void; settled(): Promise<void> } {
  let reportedRound: number | null = null;
  let inFlight: Promise<void> = Promise.resolve();
  let busy = false;
  let ordered = false;
  return {
    afterRound(status) {
      if (ordered || busy || status.syncing || status.lastSyncedAt === null || status.lastSyncedAt === reportedRound)
        return;
      const token = deps.accessToken();
      if (token === null) return;
      busy = true;
      reportedRound = status.lastSyncedAt;
      inFlight = (async () => {
        try {
          const order = deps.onWipeOrder ? await findWipeOrder(deps, token, deps.workstationId) : null;
          if (order) {
            ordered = true;
            // Not awaited: the wipe closes what this report belongs to (its settled() included).
            queueMicrotask(() => deps.onWipeOrder?.(order, token));
            return;
          }
          await reportToCentral(deps, token, deps.workstationId, deps.facts());
        } catch (error) {
          deps.logger.log('error', 'fleet.report-failed', { reason: 'unknown', errorName: errorName(error) });
        } finally {
          busy = false;
        }
      })();
    },
    settled: () => inFlight,
  };
}
