import { randomUUID } from 'node:crypto';
import type { Clock } from '../ports.ts';
import type { Database } from '../vault/index.ts';
import {
  auditKeyObject,
  AUDIT_COLUMNS,
  CANONICAL_VALUES_SQL,
  GENESIS_HASH,
  entryHash,
  headMac,
  rowToEntry,
  type AuditEntry,
  type AuditInput,
} from './entry.ts';

/**
 * The audit trail over the vault: append chains each entry to the last under the audit key, in
 * the same transaction as the head MAC. Appends are synchronous and throw on failure, so a caller
 * that must not go on without its entry (a PHI read, a break-glass grant) simply does not.
 */
export interface AuditTrail {
  readonly workstationId: string;
  /** Appends one entry (its own transaction, or the caller's when one is open). */
  append(input: AuditInput): AuditEntry;
  /** Entries by sequence number, oldest first (for export, review and shipping). */
  entries(options?: { afterSeq?: number; since?: number; grantId?: string; limit?: number }): AuditEntry[];
  /**
   * Entries recorded at or after `since`, newest first, read back from the newest entry and
   * stopping at the first older one (entries are appended in time order), so a short window
   * costs only its own entries: what the unusual access alerts count.
   */
  recent(since: number): AuditEntry[];
  lastSeq(): number;
  /** The newest entry's sequence number and chain hash (seq 0 and the genesis hash when empty). */
  head(): { seq: number; hash: Buffer };
  /** The hash of the entry with this sequence number, if the cache still holds it. */
  hashAt(seq: number): Buffer | null;
}

const INSERT = `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}, hash) VALUES (${AUDIT_COLUMNS.map(() => '?').join(', ')}, ?)`;

export function readWorkstationId(db: Database): string {
  const row = db.prepare(`SELECT value FROM workstation_meta WHERE key = 'workstationId'`).get() as
    { value: string } | undefined;
  if (!row) throw new Error('The workstation has no id.');
  return row.value;
}

/** IT enrolled this workstation with central: kept beside its id (workstation_meta is the audit trail's). */
export function recordEnrollment(
  db: Database,
  enrollment: { enrolledAt: string; centralIssuer: string; centralFhirBaseUrl: string },
): void {
  const set = db.prepare(
    'INSERT INTO workstation_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  db.transaction(() => {
    for (const [key, value] of Object.entries(enrollment)) set.run(key, value);
  }).immediate();
}

/**
 * The workstation's contact with central (contact/, offline expiry): kept beside its id and its
 * enrollment, as one JSON value. The contact room alone gives it meaning.
 */
export interface CentralContactRow {
  lastContactAt: number;
  offlineMs: number;
  observedAt: number;
}

export function readCentralContact(db: Database): CentralContactRow | null {
  const value = db.prepare(`SELECT value FROM workstation_meta WHERE key = 'centralContact'`).pluck().get() as
    string | undefined;
  if (value === undefined) return null;
  let row: Partial<CentralContactRow>;
  try {
    row = JSON.parse(value) as Partial<CentralContactRow>;
  } catch {
    row = {};
  }
  const numbers = [row.lastContactAt, row.offlineMs, row.observedAt];
  // A damaged value counts as a long time offline (fail closed): a full sign-in writes it anew.
  if (!numbers.every((n) => typeof n === 'number' && Number.isFinite(n)))
    return { lastContactAt: 0, offlineMs: Number.MAX_SAFE_INTEGER, observedAt: 0 };
  return row as CentralContactRow;
}

export function writeCentralContact(db: Database, row: CentralContactRow): void {
  db.prepare(
    `INSERT INTO workstation_meta (key, value) VALUES ('centralContact', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  ).run(JSON.stringify(row));
}

export function createAuditTrail(db: Database, rawKey: Buffer, clock: Clock): AuditTrail {
  const key = auditKeyObject(rawKey);
  const workstationId = readWorkstationId(db);
  const insert = db.prepare(INSERT);
  const canonical = db.prepare(CANONICAL_VALUES_SQL).pluck();
  const setHead = db.prepare(
    'INSERT INTO audit_head (one, seq, mac) VALUES (1, ?, ?) ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, mac = excluded.mac',
  );
  const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const anchor = db.prepare('SELECT through_seq AS seq, anchor_hash AS hash FROM audit_retention');
  const hashOf = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck();

  // Read from the database inside each append's transaction: another connection (the IT command
  // line) may have appended since, and the chain must follow what is really there.
  const tail = (): { seq: number; hash: Buffer } => {
    const row = (last.get() ?? anchor.get()) as { seq: number; hash: Buffer } | undefined;
    return row ?? { seq: 0, hash: GENESIS_HASH };
  };

  const appendTx = db.transaction((input: AuditInput): AuditEntry => {
    const previous = tail();
    const seq = previous.seq + 1;
    const row = [
      seq,
      randomUUID(),
      clock.now(),
      input.userId,
      input.role,
      workstationId,
      input.action,
      input.outcome,
      input.patientId ?? null,
      input.resourceRefs && input.resourceRefs.length > 0 ? JSON.stringify(input.resourceRefs) : null,
      input.purposeOfUse ?? null,
      input.grantId ?? null,
      input.detail ?? null,
      input.justification ?? null,
    ];
    // Integers as BigInt: a JS number is bound as REAL, which json_array would print as 1.0, not
    // as the INTEGER the column stores and verification reads.
    const hash = entryHash(
      key,
      previous.hash,
      canonical.get(BigInt(seq), row[1], BigInt(row[2] as number), ...row.slice(3)) as string,
    );
    insert.run(...row, hash);
    setHead.run(seq, headMac(key, seq, hash));
    return rowToEntry(row);
  });

  return {
    workstationId,
    append: (input) => appendTx.immediate(input),
    entries(options = {}) {
      const where: string[] = [];
      const params: unknown[] = [];
      const filters: [string, unknown][] = [
        ['seq > ?', options.afterSeq],
        ['recorded_at >= ?', options.since],
        ['grant_id = ?', options.grantId],
      ];
      for (const [clause, value] of filters) {
        if (value === undefined) continue;
        where.push(clause);
        params.push(value);
      }
      const sql = `SELECT ${AUDIT_COLUMNS.join(', ')} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ?`;
      return (
        db
          .prepare(sql)
          .raw()
          .all(...params, options.limit ?? -1) as unknown[][]
      ).map(rowToEntry);
    },
    recent(since) {
      const found: AuditEntry[] = [];
      const rows = db.prepare(`SELECT ${AUDIT_COLUMNS.join(', ')} FROM audit_log ORDER BY seq DESC`).raw();
      for (const row of rows.iterate() as IterableIterator<unknown[]>) {
        const entry = rowToEntry(row);
        if (entry.recordedAt < since) break;
        found.push(entry);
      }
      return found;
    },
    lastSeq: () => tail().seq,
    head: () => tail(),
    hashAt: (seq) => (hashOf.get(seq) as Buffer | undefined) ?? null,
  };
}
