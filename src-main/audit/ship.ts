import type { Logger } from '../log/index.ts';
import type { Clock } from '../ports.ts';
import type { Database } from '../vault/index.ts';
import { isAllowedTransport } from '../net/index.ts';
import { toAuditEvent } from './audit-event.ts';
import { AUDIT_COLUMNS, rowToEntry } from './entry.ts';

/**
 * Store-and-forward of the audit trail to the central FHIR API: entries not yet shipped go as
 * AuditEvents in batch Bundles of PUTs by their own id (a retry rewrites the same resources, never
 * duplicates), break-glass events first, then in order. An entry is marked shipped only when the
 * server answered 200/201 for it; anything else stays for the next round. Entries are never
 * removed here: shipping changes only the audit_shipped table.
 */
export interface ShipOptions {
  db: Database;
  fhirBaseUrl: string;
  /** Policy central.allowLoopbackHttp (dev central); otherwise HTTPS only. */
  allowLoopbackHttp?: boolean;
  accessToken: string;
  clock: Clock;
  logger: Logger;
  batchSize?: number;
  /** Stop after this many batches (one round of the background loop). */
  maxBatches?: number;
  fetch?: typeof fetch;
}

export interface ShipResult {
  shipped: number;
  /** Entries still waiting. */
  pending: number;
  /** Why the round stopped early (network, HTTP status), when it did. */
  stoppedBy: string | null;
}

const UNSHIPPED = `
  SELECT ${AUDIT_COLUMNS.join(', ')} FROM audit_log a
   WHERE NOT EXISTS (SELECT 1 FROM audit_shipped s WHERE s.seq = a.seq)
   ORDER BY (a.action LIKE 'breakGlass.%') DESC, a.seq
   LIMIT ?`;

export function pendingAuditCount(db: Database): number {
  return (
    db
      .prepare(
        'SELECT count(*) AS n FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM audit_shipped s WHERE s.seq = a.seq)',
      )
      .get() as { n: number }
  ).n;
}

export async function shipAuditTrail(options: ShipOptions): Promise<ShipResult> {
  const { db, logger } = options;
  const doFetch = options.fetch ?? fetch;
  const batchSize = options.batchSize ?? 100;
  const select = db.prepare(UNSHIPPED).raw();
  const mark = db.prepare('INSERT INTO audit_shipped (seq, shipped_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
  const base = options.fhirBaseUrl.replace(/\/+$/, '');
  if (!isAllowedTransport(new URL(base), options.allowLoopbackHttp === true)) {
    logger.log('error', 'audit.ship-refused', { reason: 'insecure-transport' });
    return { shipped: 0, pending: pendingAuditCount(db), stoppedBy: 'insecure-transport' };
  }
  let shipped = 0;
  let stoppedBy: string | null = null;

  for (let batch = 0; batch < (options.maxBatches ?? Number.POSITIVE_INFINITY); batch++) {
    const entries = (select.all(batchSize) as unknown[][]).map(rowToEntry);
    if (entries.length === 0) break;
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: entries.map((entry) => ({
        resource: toAuditEvent(entry),
        request: { method: 'PUT', url: `AuditEvent/${entry.id}` },
      })),
    };
    let response: Response;
    try {
      response = await doFetch(`${base}/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/fhir+json',
          accept: 'application/fhir+json',
          authorization: `Bearer ${options.accessToken}`,
        },
        body: JSON.stringify(bundle),
        signal: AbortSignal.timeout(30_000),
      });
    } catch {
      stoppedBy = 'network';
      break;
    }
    if (!response.ok) {
      await response.body?.cancel();
      stoppedBy = `http-${response.status}`;
      break;
    }
    let answer: { entry?: { response?: { status?: string } }[] };
    try {
      answer = (await response.json()) as typeof answer;
    } catch {
      stoppedBy = 'malformed-response';
      break;
    }
    const at = options.clock.now();
    let accepted = 0;
    db.transaction(() => {
      entries.forEach((entry, i) => {
        const status = answer.entry?.[i]?.response?.status ?? '';
        if (/^20[01]\b/.test(status)) {
          mark.run(entry.seq, at);
          accepted++;
        }
      });
    }).immediate();
    shipped += accepted;
    if (accepted < entries.length) {
      stoppedBy = 'rejected-entries';
      break;
    }
  }
  const pending = pendingAuditCount(db);
  logger.log(stoppedBy ? 'warn' : 'info', 'audit.shipped', { count: shipped, reason: stoppedBy });
  return { shipped, pending, stoppedBy };
}
