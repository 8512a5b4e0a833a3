import { timingSafeEqual } from 'node:crypto';
import type { Database } from '../vault/index.ts';
import {
  anchorMac,
  auditKeyObject,
  CANONICAL_AT_SQL,
  CANONICAL_SQL,
  GENESIS_HASH,
  entryHash,
  headMac,
  type AuditKey,
} from './entry.ts';

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

type Row = [seq: number, canonical: string, hash: Buffer];

// Constant-time, though nothing secret is compared: the stored hashes are what is being checked.
const same = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

const messages: Record<TamperKind, (seq: number) => string> = {
  altered: (seq) => `Audit entry ${seq} was altered.`,
  removed: (seq) => `Audit entry ${seq} was removed (the chain skips it).`,
  inserted: (seq) => `An entry was inserted at position ${seq}.`,
  reordered: (seq) => `Audit entries ${seq} and ${seq + 1} were reordered.`,
};

export function verifyAuditTrail(db: Database, rawKey: Buffer): VerifyReport {
  const key = auditKeyObject(rawKey);
  const anchor = db.prepare('SELECT through_seq AS seq, anchor_hash AS hash, mac FROM audit_retention').get() as
    { seq: number; hash: Buffer; mac: Buffer } | undefined;
  // An anchor moved forward (to hide removed entries) does not carry the audit key's MAC.
  if (anchor && !same(anchor.mac, anchorMac(key, anchor.seq, anchor.hash))) {
    return {
      ok: false,
      checked: 0,
      kind: 'removed',
      seq: 1,
      message: 'The retention anchor was altered: entries may have been removed.',
    };
  }
  let previous = anchor?.hash ?? GENESIS_HASH;
  let expected = (anchor?.seq ?? 0) + 1;
  let checked = 0;
  const fail = (kind: TamperKind, seq: number): VerifyReport => ({
    ok: false,
    checked,
    kind,
    seq,
    message: messages[kind](seq),
  });

  const rows = db.prepare(`SELECT seq, ${CANONICAL_SQL}, hash FROM audit_log WHERE seq > ? ORDER BY seq`).raw();
  const following = db
    .prepare(`SELECT seq, ${CANONICAL_SQL}, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 1`)
    .raw();
  // An entry's canonical form as if it stood at another position (its seq replaced).
  const at = db.prepare(`SELECT ${CANONICAL_AT_SQL} FROM audit_log WHERE seq = ?`).pluck();
  const movedTo = (row: Row, seq: number) => at.get(BigInt(seq), row[0]) as string; // BigInt: bound as INTEGER
  const head = db.prepare('SELECT seq, mac FROM audit_head').get() as { seq: number; mac: Buffer } | undefined;
  const headMatches = (seq: number, hash: Buffer) =>
    head !== undefined && head.seq === seq && same(head.mac, headMac(key, seq, hash));

  for (const row of rows.iterate(anchor?.seq ?? 0) as IterableIterator<Row>) {
    const [seq, canonical, hash] = row;
    if (seq !== expected) return fail('removed', expected);
    if (!same(entryHash(key, previous, canonical), hash)) {
      const next = following.get(seq) as Row | undefined;
      if (next && same(entryHash(key, hash, next[1]), next[2])) return fail('altered', seq);
      if (next && same(entryHash(key, previous, movedTo(next, seq)), next[2])) {
        const swapped = same(entryHash(key, next[2], movedTo(row, seq + 1)), hash);
        return fail(swapped ? 'reordered' : 'inserted', seq);
      }
      if (!next && headMatches(seq - 1, previous)) return fail('inserted', seq);
      return fail('altered', seq);
    }
    previous = hash;
    expected = seq + 1;
    checked++;
  }
  const lastSeq = expected - 1;
  const problem = headProblem(db, key, lastSeq, previous, checked);
  return problem ? fail(problem.kind, problem.seq) : { ok: true, checked, lastSeq };
}

/**
 * The newest entry must be the one the head MAC names: a removed tail leaves the head ahead of
 * the last entry. `lastHash` is that entry's stored hash (or the anchor's when there is none).
 */
function headProblem(
  db: Database,
  key: AuditKey,
  lastSeq: number,
  lastHash: Buffer,
  checked: number,
): { kind: TamperKind; seq: number } | null {
  const head = db.prepare('SELECT seq, mac FROM audit_head').get() as { seq: number; mac: Buffer } | undefined;
  if (checked === 0 && head === undefined) return null;
  if (head === undefined || head.seq > lastSeq) return { kind: 'removed', seq: lastSeq + 1 };
  if (head.seq !== lastSeq || !same(head.mac, headMac(key, lastSeq, lastHash)))
    return { kind: 'altered', seq: lastSeq };
  return null;
}

/** The head check alone, after every link was verified elsewhere (verify-parallel.ts). */
export function verifyHead(
  db: Database,
  rawKey: Buffer,
  lastSeq: number,
  lastHash: Buffer,
  checked: number,
): VerifyReport {
  const problem = headProblem(db, auditKeyObject(rawKey), lastSeq, lastHash, checked);
  return problem
    ? { ok: false, checked, kind: problem.kind, seq: problem.seq, message: messages[problem.kind](problem.seq) }
    : { ok: true, checked, lastSeq };
}

/** Whether the retention anchor (if any) carries the audit key's MAC. */
export function verifyAnchor(db: Database, rawKey: Buffer): boolean {
  const anchor = db.prepare('SELECT through_seq AS seq, anchor_hash AS hash, mac FROM audit_retention').get() as
    { seq: number; hash: Buffer; mac: Buffer } | undefined;
  return anchor === undefined || same(anchor.mac, anchorMac(auditKeyObject(rawKey), anchor.seq, anchor.hash));
}
