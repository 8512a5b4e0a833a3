import type { Clock } from '../ports.ts';
import { durably, type Database } from '../vault/index.ts';
import { anchorMac, auditKeyObject } from './entry.ts';
import type { AuditTrail } from './trail.ts';

/**
 * Retention: entries are kept locally until they are shipped to the central API and older than
 * the policy's retention. Only the oldest entries can go, and only a run of them in which every
 * one qualifies (the chain must stay one piece): they are removed in one transaction that moves
 * the MACed anchor to the last one removed, so verification continues from there. The removal is
 * itself audited.
 */
export function purgeAuditTrail(
  db: Database,
  rawKey: Buffer,
  trail: AuditTrail,
  retentionDays: number,
  clock: Clock,
): number {
  const cutoff = clock.now() - retentionDays * 86_400_000;
  const anchor =
    (db.prepare('SELECT through_seq AS seq FROM audit_retention').get() as { seq: number } | undefined)?.seq ?? 0;
  // The first entry that must stay: not shipped, or too recent.
  const keep = db
    .prepare(
      `SELECT min(a.seq) AS seq FROM audit_log a
        WHERE a.seq > ? AND (a.recorded_at >= ? OR NOT EXISTS (SELECT 1 FROM audit_shipped s WHERE s.seq = a.seq))`,
    )
    .get(anchor, cutoff) as { seq: number | null };
  const last = (db.prepare('SELECT max(seq) AS seq FROM audit_log').get() as { seq: number | null }).seq;
  if (last === null) return 0;
  const through = (keep.seq ?? last + 1) - 1;
  if (through <= anchor) return 0;
  const key = auditKeyObject(rawKey);
  const removed = durably(db, () => {
    const hash = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck().get(through) as Buffer | undefined;
    if (!hash) return 0;
    db.prepare(
      `INSERT INTO audit_retention (one, through_seq, anchor_hash, mac) VALUES (1, ?, ?, ?)
       ON CONFLICT (one) DO UPDATE SET through_seq = excluded.through_seq, anchor_hash = excluded.anchor_hash, mac = excluded.mac`,
    ).run(through, hash, anchorMac(key, through, hash));
    const n = db.prepare('DELETE FROM audit_log WHERE seq > ? AND seq <= ?').run(anchor, through).changes;
    db.prepare('DELETE FROM audit_shipped WHERE seq <= ?').run(through);
    trail.append({
      action: 'audit.purge',
      outcome: 'success',
      userId: null,
      role: null,
      detail: `${n}-entries-through-${through}`,
    });
    return n;
  });
  return removed;
}
