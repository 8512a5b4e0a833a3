import { timingSafeEqual } from 'node:crypto';
import type { Database } from '../vault/sqlcipher.ts';
import { auditKeyObject, AUDIT_COLUMNS, GENESIS_HASH, entryHash, headMac } from './entry.ts';

/**
 * Walks the chain from the retention anchor (or the beginning) and reports the first entry that
 * was altered, removed, inserted or reordered. Only the audit key can produce a matching hash, so
 * someone with the database key alone (or the file and a hex editor) cannot hide a change.
 *
 * At the first mismatch the neighbours tell what happened:
 * - removed: a gap in the sequence numbers, or the head (newest entry's MAC) is past the last entry;
 * - altered: the next entry chains on from this entry's stored hash, so only its content changed;
 * - reordered: the next entry's content verifies here, and this entry's content verifies there;
 * - inserted: the next entry's content verifies here (as it was before the insertion), this one nowhere.
 */
export type TamperKind = 'altered' | 'removed' | 'inserted' | 'reordered';

export type VerifyReport =
  | { ok: true; checked: number; lastSeq: number }
  | { ok: false; checked: number; kind: TamperKind; seq: number; message: string };

type Row = unknown[]; // AUDIT_COLUMNS..., hash

const same = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);
const content = (row: Row) => row.slice(0, AUDIT_COLUMNS.length);
const hashOf = (row: Row) => row[AUDIT_COLUMNS.length] as Buffer;
const seqOf = (row: Row) => row[0] as number;
const withSeq = (row: Row, seq: number) => [seq, ...content(row).slice(1)];

const messages: Record<TamperKind, (seq: number) => string> = {
  altered: (seq) => `Audit entry ${seq} was altered.`,
  removed: (seq) => `Audit entry ${seq} was removed (the chain skips it).`,
  inserted: (seq) => `An entry was inserted at position ${seq}.`,
  reordered: (seq) => `Audit entries ${seq} and ${seq + 1} were reordered.`,
};

export function verifyAuditTrail(db: Database, rawKey: Buffer): VerifyReport {
  const key = auditKeyObject(rawKey);
  const anchor = db.prepare('SELECT through_seq AS seq, anchor_hash AS hash FROM audit_retention').get() as { seq: number; hash: Buffer } | undefined;
  let previous = anchor?.hash ?? GENESIS_HASH;
  let expected = (anchor?.seq ?? 0) + 1;
  let checked = 0;
  const fail = (kind: TamperKind, seq: number): VerifyReport => ({ ok: false, checked, kind, seq, message: messages[kind](seq) });

  const rows = db.prepare(`SELECT ${AUDIT_COLUMNS.join(', ')}, hash FROM audit_log WHERE seq > ? ORDER BY seq`).raw();
  const following = db.prepare(`SELECT ${AUDIT_COLUMNS.join(', ')}, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 1`).raw();
  const head = db.prepare('SELECT seq, mac FROM audit_head').get() as { seq: number; mac: Buffer } | undefined;
  const headMatches = (seq: number, hash: Buffer) => head !== undefined && head.seq === seq && same(head.mac, headMac(key, seq, hash));

  for (const row of rows.iterate(anchor?.seq ?? 0) as IterableIterator<Row>) {
    const seq = seqOf(row);
    if (seq !== expected) return fail('removed', expected);
    if (!same(entryHash(key, previous, content(row)), hashOf(row))) {
      const next = following.get(seq) as Row | undefined;
      if (next && same(entryHash(key, hashOf(row), content(next)), hashOf(next))) return fail('altered', seq);
      if (next && same(entryHash(key, previous, withSeq(next, seq)), hashOf(next))) {
        const swapped = same(entryHash(key, hashOf(next), withSeq(row, seq + 1)), hashOf(row));
        return fail(swapped ? 'reordered' : 'inserted', seq);
      }
      if (!next && headMatches(seq - 1, previous)) return fail('inserted', seq);
      return fail('altered', seq);
    }
    previous = hashOf(row);
    expected = seq + 1;
    checked++;
  }
  const lastSeq = expected - 1;
  // The newest entry must be the one the head MAC names: a removed tail leaves the head ahead.
  if (checked > 0 || head !== undefined) {
    if (head === undefined) return fail('removed', lastSeq + 1);
    if (head.seq > lastSeq) return fail('removed', lastSeq + 1);
    if (!headMatches(lastSeq, previous)) return fail('altered', lastSeq);
  }
  return { ok: true, checked, lastSeq };
}
