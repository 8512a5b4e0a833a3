import type { Logger } from '../log/index.ts';
import type { Clock } from '../ports.ts';
import type { Database } from '../vault/index.ts';
import { centralForPush, readJson, type CentralForPush, type Json } from './central-reads.ts';
import { recordConflict } from './conflicts.ts';
import { SyncHttpError, type HttpDeps } from './http.ts';
import { holdChange, markAttempted, settlePushed } from './outbox.ts';
import { pendingAfter, type OutboxRow } from './outbox-store.ts';

/**
 * Push of the outbox to central (PRODUCT.md capability 7). Each change is a PUT to its
 * client-assigned id, with `If-Match` on the version the edit was based on; central answers with
 * the version it now holds, which replaces the local copy. Exactly once, whatever happens:
 *
 * - a batch of rows is marked `attempted` (durably) before any of their PUTs leaves;
 * - an attempted row, and any PUT whose answer was lost (connection reset, 5xx), is first looked
 *   up in the resource's history on central: if a version there holds this very content, that is
 *   the answer, and nothing is sent again;
 * - a 412 (central moved on since the edit) becomes a conflict for a clinician, with both
 *   versions kept; a 404/410 on an update (central deleted it) too;
 * - central refusing the change itself (400, 403, 422...) holds the row for IT, never drops it.
 *
 * Rows of a user who signed out are sent with that user's own token (see tokenFor); without one
 * they are held. Different resources are pushed a few at a time; each resource has one row.
 *
 * What is read from central to settle a change is central-reads.ts's; the outbox's and the
 * conflicts' bookkeeping is outbox.ts's and conflicts.ts's.
 */
export interface PushOptions extends HttpDeps {
  db: Database;
  fhirBaseUrl: string;
  /** An access token for the user who made the change (see TokenAnswer). */
  tokenFor(userId: string): Promise<TokenAnswer>;
  clock: Clock;
  logger: Logger;
  /** Rows marked attempted per durable commit. */
  batchSize?: number;
  /** PUTs in flight at once (different resources). */
  concurrency?: number;
  /** Called after each row is settled (progress for the status). */
  onSettled?: () => void;
}

export interface PushResult {
  pushed: number;
  conflicts: number;
  held: number;
}

/**
 * A token for a user's changes: use it; hold the rows (flagged for IT: nobody can send them
 * under this user any more); or wait (not now, e.g. the user signed in offline with a PIN).
 */
export type TokenAnswer = { token: string } | { hold: string } | { wait: true };

const FHIR_JSON = 'application/fhir+json';

/** A row to push, and the token of the user who made it. */
interface Ready {
  row: OutboxRow;
  token: string;
}

export async function pushOutbox(options: PushOptions): Promise<PushResult> {
  const { db, logger } = options;
  const batchSize = options.batchSize ?? 50;
  const concurrency = options.concurrency ?? 4;
  const result: PushResult = { pushed: 0, conflicts: 0, held: 0 };
  const tokens = new Map<string, TokenAnswer>();
  const pushChange = changePusher(options, result);
  let after = 0;
  for (;;) {
    const rows = pendingAfter(db, after, batchSize);
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.seq;
    // Each change goes under the token of the user who made it; without one it is held or waits.
    const ready = await withTokens(rows, tokens, options.tokenFor, (row, problem) => {
      holdChange(db, row, problem);
      result.held++;
    });
    // One durable commit per batch: from here on, any of these PUTs may reach central.
    markAttempted(
      db,
      ready.map(({ row }) => row),
    );
    // A few resources at a time; after a failure none more start, and it ends the push once those in flight have.
    await inParallel(ready, concurrency, async ({ row, token }) => {
      await pushChange(row, token);
      options.onSettled?.();
    });
  }
  if (result.pushed + result.conflicts + result.held > 0)
    logger.log('info', 'sync.pushed', { count: result.pushed, status: result.conflicts });
  return result;
}

/** The rows with a token for their user (asked once per user per push); the others held, or left to wait. */
async function withTokens(
  rows: readonly OutboxRow[],
  tokens: Map<string, TokenAnswer>,
  tokenFor: PushOptions['tokenFor'],
  hold: (row: OutboxRow, problem: string) => void,
): Promise<Ready[]> {
  const ready: Ready[] = [];
  for (const row of rows) {
    let answer = tokens.get(row.user_id);
    if (!answer) tokens.set(row.user_id, (answer = await tokenFor(row.user_id)));
    if ('token' in answer) ready.push({ row, token: answer.token });
    else if ('hold' in answer) hold(row, answer.hold);
  }
  return ready;
}

/** Runs `each` over the items, `concurrency` at a time; throws the first failure once all running have ended. */
async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  each: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (failure === null && next < items.length) {
      const item = items[next++]!;
      try {
        await each(item);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== null) throw failure;
}

/** What central's answer to a PUT means: accepted (its version), a conflict, or the change refused. */
type PutAnswer = { accepted: Json } | { conflict: true; resent: boolean } | { refused: number };

/** One change's push, from the look-up of an earlier attempt to its settling (counted in `result`). */
function changePusher(options: PushOptions, result: PushResult): (row: OutboxRow, token: string) => Promise<void> {
  const { db, clock, logger } = options;
  const central = centralForPush(options.fhirBaseUrl, options);

  const accepted = (row: OutboxRow, version: Json) => {
    settlePushed(db, row, version, clock);
    result.pushed++;
  };
  const conflicted = (row: OutboxRow, theirs: Json | null) => {
    recordConflict(db, row, theirs, clock);
    result.conflicts++;
    logger.log('warn', 'sync.conflict', { reason: row.resource_type });
  };
  const refused = (row: OutboxRow, status: number) => {
    // Held for IT with the status only (an answer may quote PHI).
    holdChange(db, row, `central refused the change (HTTP ${status})`);
    result.held++;
    logger.log('warn', 'sync.push-refused', { reason: row.resource_type, status });
  };

  return async (row, token) => {
    const wasAttempted = row.attempted === 1;
    // Its PUT may have left before (a crash, a lost answer): central's history may hold it already.
    if (wasAttempted) {
      const landed = await central.landedVersion(row, token);
      if (landed) return accepted(row, landed);
    }
    const answer = await putChange(central, row, token);
    if ('accepted' in answer) return accepted(row, answer.accepted);
    if ('refused' in answer) return refused(row, answer.refused);
    // A resent PUT that meets 412 may be meeting its own first try: look once more.
    if (answer.resent || wasAttempted) {
      const landed = await central.landedVersion(row, token);
      if (landed) return accepted(row, landed);
    }
    conflicted(row, await central.currentVersion(row, token));
  };
}

/**
 * The change PUT to its id, If-Match on the version it was based on (none: a create). Before a
 * PUT is sent again after an answer that leaves its effect unknown, central's history is asked
 * whether the first try landed. A 401 is thrown: the round fails, the row stays for the next.
 */
async function putChange(central: CentralForPush, row: OutboxRow, token: string): Promise<PutAnswer> {
  const headers: Record<string, string> = { 'content-type': FHIR_JSON };
  if (row.base_version !== null) headers['if-match'] = `W/"${row.base_version}"`;
  let resent = false;
  const response = await central.request(
    `${row.resource_type}/${row.resource_id}`,
    { method: 'PUT', headers, body: row.json },
    token,
    async () => {
      resent = true;
      const landed = await central.landedVersion(row, token);
      return landed ? Response.json(landed) : null;
    },
  );
  if (response.ok) {
    // Accepted, but the answer was cut off or unreadable: central's history says what it holds.
    const accepted = ((await readJson(response)) as Json | null) ?? (await central.landedVersion(row, token));
    // Not found there either: the row stays attempted, and the next round looks again.
    if (!accepted)
      throw new SyncHttpError('malformed-response', 'Central accepted a change but its answer is not JSON.');
    return { accepted };
  }
  await response.body?.cancel();
  // Central moved on since the edit (412), or deleted what the edit was made on (404/410).
  if (response.status === 412 || (row.base_version !== null && (response.status === 404 || response.status === 410)))
    return { conflict: true, resent };
  if (response.status === 401) throw new SyncHttpError('http-401', 'Central did not accept the sign-in token.', 401);
  // The change itself is refused.
  return { refused: response.status };
}
