import { completedWipeTask, wipeOrderSearch, wipeOrdersIn, type WipeTask } from '../../src-shared/fleet/wipe-order.ts';
import { errorName } from '../base/index.ts';
import { isAllowedTransport } from '../net/index.ts';
import type { Logger } from '../log/index.ts';

/**
 * IT's wipe order at central (src-shared/fleet/wipe-order.ts), asked for after each sync round
 * that reached central, over the same connection as sync: HTTPS only (plain HTTP to loopback in
 * development), policy's TLS pins (deps.fetch), under the signed-in user's token.
 *
 * What stops a forged order: a network attacker cannot answer for central without a certificate
 * the OS trusts for central's host and, when policy pins central, its key (central.tlsPins); a
 * stranger cannot create a Task at central without signing in there. What does not stop it:
 * anyone central lets write a Task (a compromised account or central itself) can order a wipe.
 * Central's own access control must keep `wipe` Tasks to IT; the workstation cannot tell.
 * The worst such an order does is erase one workstation's cache (the audit backlog ships first).
 */

const ORDER_TIMEOUT_MS = 10_000;

/** Central as sync reaches it (the fleet report's deps have these too). */
export interface WipeOrderDeps {
  fhirBaseUrl: string;
  allowLoopbackHttp: boolean;
  /** Central's fetch (policy central.tlsPins); the global fetch unless given. */
  fetch?: typeof fetch;
  logger: Logger;
}

const headers = (accessToken: string) => ({
  accept: 'application/fhir+json',
  authorization: `Bearer ${accessToken}`,
});

/** The order for this workstation, or null (none, central unreachable, or nothing valid). */
export async function findWipeOrder(
  deps: WipeOrderDeps,
  accessToken: string,
  workstationId: string,
): Promise<WipeTask | null> {
  const base = deps.fhirBaseUrl.replace(/\/+$/, '');
  if (!isAllowedTransport(new URL(base), deps.allowLoopbackHttp)) return null;
  let body: unknown;
  try {
    const response = await (deps.fetch ?? fetch)(`${base}/${wipeOrderSearch(workstationId)}`, {
      // The same search every round: a server that answers repeated searches from held results
      // (HAPI's search result caching, a minute by default) would hide a new order without this.
      headers: { ...headers(accessToken), 'cache-control': 'no-cache' },
      signal: AbortSignal.timeout(ORDER_TIMEOUT_MS),
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      deps.logger.log('warn', 'fleet.wipe-check-failed', { reason: `http-${response.status}` });
      return null;
    }
    body = await response.json();
  } catch (error) {
    deps.logger.log('warn', 'fleet.wipe-check-failed', { reason: 'network', errorName: errorName(error) });
    return null;
  }
  const { order, refused } = wipeOrdersIn(body, workstationId);
  // Counts and coded reasons only: what a refused Task said is central's, and may be anything.
  if (refused.malformed + refused.otherWorkstation > 0)
    deps.logger.log('warn', 'fleet.wipe-order-refused', { ...refused });
  return order;
}

/**
 * Tells central the order was carried out. Best effort: the wipe has happened and cannot be
 * undone whatever central answers; a failure is logged, and IT sees the Task still requested
 * beside a Device that no longer reports.
 */
export async function completeWipeOrder(
  deps: WipeOrderDeps,
  accessToken: string,
  order: WipeTask,
  at: number,
  unsyncedDestroyed: number,
): Promise<boolean> {
  const base = deps.fhirBaseUrl.replace(/\/+$/, '');
  if (!isAllowedTransport(new URL(base), deps.allowLoopbackHttp)) return false;
  const versionId = order.meta?.versionId;
  try {
    const response = await (deps.fetch ?? fetch)(`${base}/Task/${encodeURIComponent(order.id)}`, {
      method: 'PUT',
      headers: {
        ...headers(accessToken),
        'content-type': 'application/fhir+json',
        ...(versionId ? { 'if-match': `W/"${versionId}"` } : {}),
      },
      body: JSON.stringify(completedWipeTask(order, at, unsyncedDestroyed)),
      signal: AbortSignal.timeout(ORDER_TIMEOUT_MS),
    });
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 200 || response.status === 201) return true;
    deps.logger.log('warn', 'fleet.wipe-complete-failed', { reason: `http-${response.status}` });
  } catch (error) {
    deps.logger.log('warn', 'fleet.wipe-complete-failed', { reason: 'network', errorName: errorName(error) });
  }
  return false;
}
