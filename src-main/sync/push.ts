import type { Logger } from '../log/index.ts';
import type { Clock } from '../ports.ts';
import { storeResources } from '../records/index.ts';
import { durably, type Database } from '../vault/index.ts';
import { fetchWithRetry, SyncHttpError, type HttpDeps } from './http.ts';
import type { OutboxRow } from './outbox.ts';

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

type Json = Record<string, unknown>;

/** JSON with object keys sorted, so two encodings of the same content compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

/** A resource's content, without the meta central sets (versions, times) or may add. */
function contentOf(resource: Json): string {
  const { meta: _meta, ...content } = resource;
  return canonical(content);
}

const FHIR_JSON = 'application/fhir+json';

export async function pushOutbox(options: PushOptions): Promise<PushResult> {
  const { db, clock, logger } = options;
  const base = new URL(options.fhirBaseUrl.replace(/\/+$/, '') + '/');
  const batchSize = options.batchSize ?? 50;
  const concurrency = options.concurrency ?? 4;
  const result: PushResult = { pushed: 0, conflicts: 0, held: 0 };
  const tokens = new Map<string, TokenAnswer>();

  const nextBatch = db.prepare("SELECT * FROM sync_outbox WHERE state = 'pending' AND seq > ? ORDER BY seq LIMIT ?");
  const markAttempted = db.prepare('UPDATE sync_outbox SET attempted = 1 WHERE seq = ? AND attempted = 0');
  const hold = db.prepare("UPDATE sync_outbox SET state = 'held', problem = ? WHERE seq = ?");

  const request = async (url: string, init: RequestInit, token: string, beforeResend?: () => Promise<Response | null>) =>
    fetchWithRetry(
      url,
      { ...init, headers: { accept: FHIR_JSON, authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) } },
      { ...options, ...(beforeResend ? { beforeResend } : {}) },
    );

  /** Central's version holding exactly this row's content, if the change already landed. */
  const landedVersion = async (row: OutboxRow, token: string): Promise<Json | null> => {
    const response = await request(new URL(`${row.resource_type}/${row.resource_id}/_history?_count=100`, base).href, {}, token);
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SyncHttpError(`http-${response.status}`, `Central answered HTTP ${response.status} to a history lookup.`, response.status);
    }
    const bundle = (await readJson(response)) as { entry?: { resource?: Json }[] } | null;
    if (!bundle) throw new SyncHttpError('malformed-response', 'Central sent a history page that is not JSON.');
    const mine = contentOf(JSON.parse(row.json) as Json);
    for (const entry of bundle.entry ?? []) {
      const version = entry.resource;
      const versionId = (version?.['meta'] as Json | undefined)?.['versionId'];
      if (version && versionId !== row.base_version && contentOf(version) === mine) return version;
    }
    return null;
  };

  /** Accepted by central: the local copy becomes central's version, unless edited meanwhile. */
  const complete = (row: OutboxRow, accepted: Json) => {
    db.transaction(() => {
      const revision = db.prepare('SELECT revision FROM sync_outbox WHERE seq = ?').pluck().get(row.seq) as number | undefined;
      const versionId = (accepted['meta'] as Json | undefined)?.['versionId'];
      if (revision === row.revision) {
        db.prepare('DELETE FROM sync_outbox WHERE seq = ?').run(row.seq);
        const { rejected } = storeResources(db, [accepted]);
        if (rejected.length > 0) {
          db.prepare('INSERT INTO sync_diagnostics (at, resource_type, resource_id, problem) VALUES (?, ?, ?, ?)').run(
            clock.now(),
            row.resource_type,
            row.resource_id,
            `central's answer to a push failed validation: ${rejected[0]?.issues.join('; ').slice(0, 900)}`,
          );
        }
      } else if (revision !== undefined) {
        // Edited again while this push was in flight: the newer edit goes next, on central's version.
        db.prepare('UPDATE sync_outbox SET base_version = ?, attempted = 0 WHERE seq = ?').run(typeof versionId === 'string' ? versionId : null, row.seq);
      }
    })();
    result.pushed++;
  };

  const conflict = async (row: OutboxRow, token: string) => {
    const response = await request(new URL(`${row.resource_type}/${row.resource_id}`, base).href, {}, token);
    let server: Json | null = null;
    if (response.ok) {
      server = (await readJson(response)) as Json | null;
      if (!server) throw new SyncHttpError('malformed-response', 'Central sent a record that is not JSON.');
    } else {
      await response.body?.cancel();
      if (response.status !== 404 && response.status !== 410) {
        throw new SyncHttpError(`http-${response.status}`, `Central answered HTTP ${response.status} to a read.`, response.status);
      }
    }
    const serverVersion = (server?.['meta'] as Json | undefined)?.['versionId'];
    durably(db, () => {
      db.prepare(
        `INSERT INTO sync_conflicts (resource_type, resource_id, patient_id, user_id, local_json, server_json, server_version, detected_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(row.resource_type, row.resource_id, row.patient_id, row.user_id, row.json, server ? JSON.stringify(server) : null, typeof serverVersion === 'string' ? serverVersion : null, clock.now());
      db.prepare("UPDATE sync_outbox SET state = 'conflict', problem = ? WHERE seq = ?").run(server ? 'central holds a newer version' : 'central deleted this record', row.seq);
    });
    result.conflicts++;
    logger.log('warn', 'sync.conflict', { reason: row.resource_type });
  };

  const pushOne = async (row: OutboxRow, wasAttempted: boolean, token: string) => {
    if (wasAttempted) {
      const landed = await landedVersion(row, token);
      if (landed) return complete(row, landed);
    }
    const url = new URL(`${row.resource_type}/${row.resource_id}`, base).href;
    const headers: Record<string, string> = { 'content-type': FHIR_JSON };
    if (row.base_version !== null) headers['if-match'] = `W/"${row.base_version}"`;
    let resent = false;
    const response = await request(url, { method: 'PUT', headers, body: row.json }, token, async () => {
      resent = true;
      const landed = await landedVersion(row, token);
      return landed ? Response.json(landed) : null;
    });
    if (response.ok) {
      // Accepted, but the answer was cut off or unreadable: central's history says what it holds.
      const accepted = ((await readJson(response)) as Json | null) ?? (await landedVersion(row, token));
      // Not found there either: the row stays attempted, and the next round looks again.
      if (!accepted) throw new SyncHttpError('malformed-response', 'Central accepted a change but its answer is not JSON.');
      return complete(row, accepted);
    }
    await response.body?.cancel();
    if (response.status === 412 || (row.base_version !== null && (response.status === 404 || response.status === 410))) {
      // A resent PUT that meets 412 may be meeting its own first try: look once more.
      if (resent || wasAttempted) {
        const landed = await landedVersion(row, token);
        if (landed) return complete(row, landed);
      }
      return conflict(row, token);
    }
    if (response.status === 401) throw new SyncHttpError('http-401', 'Central did not accept the sign-in token.', 401);
    // The change itself is refused: held for IT with the status only (an answer may quote PHI).
    durably(db, () => hold.run(`central refused the change (HTTP ${response.status})`, row.seq));
    result.held++;
    logger.log('warn', 'sync.push-refused', { reason: row.resource_type, status: response.status });
  };

  let after = 0;
  for (;;) {
    const rows = nextBatch.all(after, batchSize) as OutboxRow[];
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.seq;
    const ready: { row: OutboxRow; token: string }[] = [];
    for (const row of rows) {
      let answer = tokens.get(row.user_id);
      if (!answer) tokens.set(row.user_id, (answer = await options.tokenFor(row.user_id)));
      if ('token' in answer) ready.push({ row, token: answer.token });
      else if ('hold' in answer) {
        durably(db, () => hold.run(answer.hold, row.seq));
        result.held++;
      }
    }
    // One durable commit per batch: from here on, any of these PUTs may reach central.
    durably(db, () => {
      for (const { row } of ready) markAttempted.run(row.seq);
    });
    let next = 0;
    let failure: unknown = null;
    const worker = async () => {
      while (failure === null && next < ready.length) {
        const { row, token } = ready[next++]!;
        try {
          await pushOne(row, row.attempted === 1, token);
          options.onSettled?.();
        } catch (error) {
          failure ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, ready.length) }, worker));
    if (failure !== null) throw failure;
  }
  if (result.pushed + result.conflicts + result.held > 0) logger.log('info', 'sync.pushed', { count: result.pushed, status: result.conflicts });
  return result;
}

async function readJson(response: Response): Promise<unknown> {
  try {
    const value: unknown = await response.json();
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}
