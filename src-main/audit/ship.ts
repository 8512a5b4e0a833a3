import { hostname } from 'node:os';
import type { Logger } from '../log/index.ts';
import type { Clock } from '../ports.ts';
import { durably, type Database } from '../vault/index.ts';
import { isAllowedTransport } from '../net/index.ts';
import { toAuditEvent, type AuditEventContext } from './audit-event.ts';
import { AUDIT_COLUMNS, rowToEntry, type AuditEntry } from './entry.ts';
import { checkAtCentral, postBatch, type CentralCall } from './ship-http.ts';

/**
 * Store-and-forward of the audit trail to the central FHIR API. Unshipped entries go as
 * AuditEvents in batch Bundles of PUTs by their own id (update-as-create), break-glass first, then
 * in order. A round goes on while a backlog remains: each batch takes as many entries as are
 * waiting, up to an entry and a byte cap per request, so a trickle goes at once in small requests
 * and a backlog in full ones. An entry is marked shipped only when central answered 200/201 for it.
 *
 * Exactly once at central, through a crash: before a batch leaves, its entries are durably noted
 * as sent (audit_sending). A batch that got no answer (the process died, the network dropped the
 * answer) stays in doubt: central may have written any part of it. Its entries are not sent again
 * until the request is surely over on central's side too (`settleMs` after it left), and then only
 * those that a search by `_id` finds missing at central; a PUT of an AuditEvent central already
 * holds would write it a second version. R4 AuditEvent has no `identifier` to make a conditional
 * create on, and the ids are already the entries' own UUIDs, so the look is a plain `_id` search,
 * which every FHIR server supports.
 * Entries are never removed here: shipping changes only its own tables.
 */
export interface ShipOptions {
  db: Database;
  fhirBaseUrl: string;
  /** Policy central.allowLoopbackHttp (dev central); otherwise HTTPS only. */
  allowLoopbackHttp?: boolean;
  accessToken: string;
  clock: Clock;
  logger: Logger;
  /** Most entries in one request (default 1,000). */
  batchSize?: number;
  /** Most bytes of one request body (default 4 MiB); one entry always goes. */
  maxBatchBytes?: number;
  /** Stop after this many batches (tests); a round otherwise goes on while a backlog remains. */
  maxBatches?: number;
  /** How long an unanswered request stays in doubt before its entries are looked for (default 60 s). */
  settleMs?: number;
  /** Give up waiting for an answer after this long (default 30 s). */
  requestTimeoutMs?: number;
  /** Asked between batches: false ends the round (the shipper is stopping). */
  shouldContinue?: () => boolean;
  fetch?: typeof fetch;
}

export interface ShipResult {
  shipped: number;
  /** Entries still waiting (in doubt and refused ones included). */
  pending: number;
  /** Of those, entries central refused one by one, set aside until IT sends them again. */
  refused: number;
  /** Why the round stopped early (network, HTTP status), when it did. */
  stoppedBy: string | null;
}

export const DEFAULT_BATCH_SIZE = 1000;
export const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Twice the request timeout: by then central has finished, or dropped, what it was sent. */
export const DEFAULT_SETTLE_MS = 60_000;

const SELECT = `SELECT ${AUDIT_COLUMNS.map((c) => `a.${c}`).join(', ')} FROM audit_log a`;
const WAITING = `NOT EXISTS (SELECT 1 FROM audit_shipped s WHERE s.seq = a.seq)
   AND NOT EXISTS (SELECT 1 FROM audit_sending d WHERE d.seq = a.seq)
   AND NOT EXISTS (SELECT 1 FROM audit_refused r WHERE r.seq = a.seq)`;

/**
 * Central's status for one entry of a batch, when it refuses that entry for good: a 4xx that
 * sending the same entry again would meet again (not 408, 409 or 429, which are of the moment).
 * Null for anything else (accepted, 5xx, unreadable: sent again).
 */
function definiteRefusal(status: string | undefined): number | null {
  const code = Number(/^\s*(\d{3})\b/.exec(status ?? '')?.[1]);
  return code >= 400 && code < 500 && ![408, 409, 429].includes(code) ? code : null;
}

/** Entries central refused one by one and that wait for IT (`ws audit retry-refused`). */
export function refusedAuditCount(db: Database): number {
  return (db.prepare('SELECT count(*) AS n FROM audit_refused').get() as { n: number }).n;
}

/** IT's retry: the refused entries go again from the next round. How many there were. */
export function retryRefusedAudit(db: Database): number {
  return db.transaction(() => db.prepare('DELETE FROM audit_refused').run().changes).immediate();
}

/** When central last took a batch of the trail (epoch ms), or null: the last contact that is proven. */
export function lastShippedAt(db: Database): number | null {
  return (db.prepare('SELECT max(shipped_at) FROM audit_shipped').pluck().get() as number | null) ?? null;
}

export function pendingAuditCount(db: Database): number {
  const below = shippedBelow(db);
  return (
    db
      .prepare(
        'SELECT count(*) AS n FROM audit_log a WHERE a.seq >= ? AND NOT EXISTS (SELECT 1 FROM audit_shipped s WHERE s.seq = a.seq)',
      )
      .get(below) as { n: number }
  ).n;
}

function shippedBelow(db: Database): number {
  const row = db.prepare('SELECT shipped_below FROM audit_ship_mark WHERE one = 1').get() as
    { shipped_below: number } | undefined;
  return row?.shipped_below ?? 0;
}

/** Moves the mark up to the first entry not shipped yet (every entry below it is shipped). */
function advanceMark(db: Database): void {
  const from = shippedBelow(db);
  const first = db
    .prepare(
      'SELECT min(a.seq) AS seq FROM audit_log a WHERE a.seq >= ? AND NOT EXISTS (SELECT 1 FROM audit_shipped s WHERE s.seq = a.seq)',
    )
    .get(from) as { seq: number | null };
  const next =
    first.seq ?? ((db.prepare('SELECT max(seq) AS seq FROM audit_log').get() as { seq: number | null }).seq ?? 0) + 1;
  if (next > from)
    db.prepare(
      'INSERT INTO audit_ship_mark (one, shipped_below) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET shipped_below = excluded.shipped_below',
    ).run(next);
}

/** Entries to send, break-glass (and a remote wipe) first, read once a round, then in order by a cursor. */
function* waitingEntries(db: Database, chunk: number): Generator<AuditEntry> {
  const below = shippedBelow(db);
  const urgent = (
    db
      // A remote wipe's own entry goes first too: the wipe may leave no time for the rest.
      .prepare(
        `${SELECT} WHERE a.seq >= ? AND (a.action LIKE 'breakGlass.%' OR a.action = 'workstation.remoteWipe') AND ${WAITING} ORDER BY a.seq`,
      )
      .raw()
      .all(below) as unknown[][]
  ).map(rowToEntry);
  const sent = new Set(urgent.map((e) => e.seq));
  yield* urgent;
  const next = db.prepare(`${SELECT} WHERE a.seq > ? AND ${WAITING} ORDER BY a.seq LIMIT ?`).raw();
  let after = below - 1;
  for (;;) {
    const rows = (next.all(after, chunk) as unknown[][]).map(rowToEntry);
    if (rows.length === 0) return;
    for (const entry of rows) if (!sent.has(entry.seq)) yield entry;
    after = rows.at(-1)!.seq;
  }
}

export async function shipAuditTrail(options: ShipOptions): Promise<ShipResult> {
  const { db, logger, clock } = options;
  const base = options.fhirBaseUrl.replace(/\/+$/, '');
  if (!isAllowedTransport(new URL(base), options.allowLoopbackHttp === true)) {
    logger.log('error', 'audit.ship-refused', { reason: 'insecure-transport' });
    return {
      shipped: 0,
      pending: pendingAuditCount(db),
      refused: refusedAuditCount(db),
      stoppedBy: 'insecure-transport',
    };
  }
  const call: CentralCall = {
    base,
    accessToken: options.accessToken,
    fetch: options.fetch ?? fetch,
    timeoutMs: options.requestTimeoutMs ?? 30_000,
  };
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const maxBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const context: AuditEventContext = { fhirBaseUrl: base, hostName: hostname() };
  const keepGoing = options.shouldContinue ?? (() => true);

  const mark = db.prepare('INSERT INTO audit_shipped (seq, shipped_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
  const noteSent = db.prepare('INSERT OR REPLACE INTO audit_sending (seq, due_at) VALUES (?, ?)');
  const forget = db.prepare('DELETE FROM audit_sending WHERE seq = ?');
  const settle = db.prepare('UPDATE audit_sending SET due_at = ? WHERE seq = ?');
  const setAside = db.prepare('INSERT OR REPLACE INTO audit_refused (seq, status, refused_at) VALUES (?, ?, ?)');
  let shipped = 0;
  let stoppedBy: string | null = null;

  // 1. What an earlier request left in doubt, once that request is surely over: central keeps
  // what it has (marked shipped here), the rest goes again as any other entry.
  const now = clock.now();
  const doubtful = db
    .prepare(
      `SELECT a.seq, a.id FROM audit_sending d JOIN audit_log a ON a.seq = d.seq
        WHERE d.due_at <= ? OR d.due_at > ? ORDER BY a.seq`,
    )
    .all(now, now + settleMs) as { seq: number; id: string }[];
  // Sent entries that retention removed since (they were shipped) leave nothing to look for.
  db.prepare('DELETE FROM audit_sending WHERE seq NOT IN (SELECT seq FROM audit_log)').run();
  for (let i = 0; i < doubtful.length && stoppedBy === null; i += CHECK_CHUNK) {
    const chunk = doubtful.slice(i, i + CHECK_CHUNK);
    const found = await checkAtCentral(
      call,
      chunk.map((e) => e.id),
    );
    if (found.kind === 'failed') {
      stoppedBy = found.reason;
      break;
    }
    const at = clock.now();
    db.transaction(() => {
      for (const entry of chunk) {
        if (found.ids.has(entry.id)) {
          mark.run(entry.seq, at);
          shipped++;
        }
        forget.run(entry.seq);
      }
    }).immediate();
  }
  if (doubtful.length > 0)
    logger.log('info', 'audit.ship-doubt-resolved', {
      count: doubtful.length,
      reason: `${shipped}-already-at-central`,
    });

  // 2. Batches while a backlog remains.
  const waiting = waitingEntries(db, batchSize);
  type Item = { entry: AuditEntry; json: string; bytes: number };
  let carried: Item | null = null;
  for (let batch = 0; stoppedBy === null && batch < (options.maxBatches ?? Number.POSITIVE_INFINITY); batch++) {
    if (batch > 0 && !keepGoing()) break;
    const entries: AuditEntry[] = [];
    const parts: string[] = [];
    let bytes = 0;
    for (;;) {
      let item: Item | null = carried;
      carried = null;
      if (!item) {
        const next = waiting.next();
        if (next.done) break;
        const json = bundleEntry(next.value, context);
        item = { entry: next.value, json, bytes: Buffer.byteLength(json) };
      }
      if (entries.length > 0 && bytes + item.bytes > maxBytes) {
        carried = item;
        break;
      }
      entries.push(item.entry);
      parts.push(item.json);
      bytes += item.bytes + 1;
      if (entries.length >= batchSize) break;
    }
    if (entries.length === 0) break;

    // Noted as sent before it leaves, durably: a power cut must not forget a request in flight.
    const dueAt = clock.now() + settleMs;
    durably(db, () => {
      for (const entry of entries) noteSent.run(entry.seq, dueAt);
    });
    const answer = await postBatch(call, `{"resourceType":"Bundle","type":"batch","entry":[${parts.join(',')}]}`);
    const at = clock.now();
    if (answer.kind === 'not-sent') {
      // Nothing reached central (refused connection, unknown host): nothing in doubt.
      db.transaction(() => entries.forEach((entry) => forget.run(entry.seq))).immediate();
      stoppedBy = answer.reason;
      break;
    }
    if (answer.kind === 'no-answer') {
      stoppedBy = answer.reason; // in doubt until due
      break;
    }
    let accepted = 0;
    let setAsideNow = 0;
    db.transaction(() => {
      entries.forEach((entry, i) => {
        const refusal = answer.kind === 'answered' ? definiteRefusal(answer.statuses[i]) : null;
        if (answer.kind === 'answered' && /^20[01]\b/.test(answer.statuses[i] ?? '')) {
          mark.run(entry.seq, at);
          forget.run(entry.seq);
          accepted++;
        } else if (refusal !== null) {
          // Central read it and will not take it: kept here, set aside, the round goes on.
          setAside.run(entry.seq, refusal, at);
          forget.run(entry.seq);
          setAsideNow++;
        } else {
          // Central answered, so it is done with the request: look before sending again, at once.
          settle.run(at, entry.seq);
        }
      });
    }).immediate();
    shipped += accepted;
    if (setAsideNow > 0) logger.log('warn', 'audit.ship-entries-refused', { count: setAsideNow });
    if (answer.kind === 'refused') {
      stoppedBy = answer.reason;
      break;
    }
    if (accepted + setAsideNow < entries.length) {
      stoppedBy = 'rejected-entries';
      break;
    }
  }
  db.transaction(() => advanceMark(db)).immediate();
  const pending = pendingAuditCount(db);
  logger.log(stoppedBy ? 'warn' : 'info', 'audit.shipped', { count: shipped, reason: stoppedBy });
  return { shipped, pending, refused: refusedAuditCount(db), stoppedBy };
}

/** Ids per search when looking for entries in doubt: a URL of about 4 kB. */
const CHECK_CHUNK = 100;

function bundleEntry(entry: AuditEntry, context: AuditEventContext): string {
  return JSON.stringify({
    resource: toAuditEvent(entry, context),
    request: { method: 'PUT', url: `AuditEvent/${entry.id}` },
  });
}
