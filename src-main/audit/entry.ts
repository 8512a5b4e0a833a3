import { createHmac } from 'node:crypto';
import { createEntryMac, type EntryMac } from './mac.ts';

/**
 * One audit entry: who (user, role, workstation), when, what (action, outcome), about which
 * patient and resources, and why (purpose of use; the break-glass grant and its justification).
 * Never clinical content, never a search text, a PIN or a token.
 */
export const AUDIT_ACTIONS = [
  'workstation.start',
  'workstation.enroll',
  'policy.load',
  'session.signIn',
  'session.signInFailed',
  'session.pinSet',
  'session.lock',
  'session.unlock',
  'session.unlockFailed',
  'session.end',
  'patient.search',
  'patient.read',
  'patient.create',
  'patient.update',
  'access.denied',
  'breakGlass.start',
  'breakGlass.stop',
  'breakGlass.denied',
  'breakGlass.review',
  'breakGlass.alert',
  'access.alert',
  'access.alertReview',
  'key.rotate',
  'key.recover',
  'audit.purge',
  'audit.read',
  'audit.export',
  'sync.retryHeld',
  'sync.conflictDecision',
  'audit.retryRefused',
  'audit.rollbackDetected',
  'audit.rollbackAccepted',
  'key.escrowRepaired',
  'workstation.remoteWipe',
  'draft.restore',
  'draft.discard',
  'draft.purge',
  'workstation.statusRead',
  'chart.print',
  'cache.retention',
  'chart.fetch',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export type AuditOutcome = 'success' | 'denied' | 'failure';

/** What a capability says happened; the trail adds sequence, id, time, workstation and hash. */
export interface AuditInput {
  action: AuditAction;
  outcome: AuditOutcome;
  userId: string | null;
  role: string | null;
  patientId?: string | null;
  resourceRefs?: readonly string[];
  /** A v3-ActReason code: TREAT for care, or the break-glass reason (ETREAT, BTG, ...). */
  purposeOfUse?: string | null;
  grantId?: string | null;
  /** A short coded detail: the channel, the lock or end reason, the denial reason. */
  detail?: string | null;
  /**
   * The person's written justification: a break-glass request's, or the privacy officer's comment
   * on a decision over another user's change (sync.conflictDecision).
   */
  justification?: string | null;
}

export interface AuditEntry {
  seq: number;
  id: string;
  recordedAt: number;
  userId: string | null;
  role: string | null;
  workstationId: string;
  action: string;
  outcome: AuditOutcome;
  patientId: string | null;
  resourceRefs: string[];
  purposeOfUse: string | null;
  grantId: string | null;
  detail: string | null;
  justification: string | null;
}

/** The hash before the first entry (and the anchor when nothing was ever purged). */
export const GENESIS_HASH: Buffer = Buffer.alloc(32);

/** Column order of audit_log without `hash`: what the hash covers. */
export const AUDIT_COLUMNS = [
  'seq',
  'id',
  'recorded_at',
  'user_id',
  'role',
  'workstation_id',
  'action',
  'outcome',
  'patient_id',
  'resource_refs',
  'purpose_of_use',
  'grant_id',
  'detail',
  'justification',
] as const;

/**
 * The bytes an entry's hash covers: SQLite's json_array over the columns, in that order. One
 * canonical form, made by SQLite both when an entry is written (from its values) and when it is
 * verified (from its columns), so the two can never serialise differently; and verification reads
 * one text value per entry instead of fourteen.
 */
export const CANONICAL_SQL = `json_array(${AUDIT_COLUMNS.join(', ')})`;
/** The same, with `seq` taken from a parameter: where an entry would verify at another position. */
export const CANONICAL_AT_SQL = `json_array(?, ${AUDIT_COLUMNS.slice(1).join(', ')})`;
/** The same, from values (for a new entry). */
export const CANONICAL_VALUES_SQL = `SELECT json_array(${AUDIT_COLUMNS.map(() => '?').join(', ')})`;

/** The audit key, prepared once for the chain (mac.ts) and kept for the head MAC. */
export interface AuditKey {
  readonly entry: EntryMac;
  readonly raw: Buffer;
}
export function auditKeyObject(key: Buffer): AuditKey {
  return { entry: createEntryMac(key), raw: key };
}

/** HMAC-SHA-256 under the audit key of the previous entry's hash and this entry's canonical form. */
export function entryHash(key: AuditKey, previous: Buffer, canonical: string): Buffer {
  return key.entry(previous, canonical);
}

/** The MAC of the retention anchor: where verification starts after old entries were removed. */
export function anchorMac(key: AuditKey, seq: number, hash: Buffer): Buffer {
  return createHmac('sha256', key.raw).update(`audit-anchor:${seq}:`).update(hash).digest();
}

/** The MAC of the newest entry, kept in audit_head: a removed tail cannot match it. */
export function headMac(key: AuditKey, seq: number, hash: Buffer): Buffer {
  return createHmac('sha256', key.raw).update(`audit-head:${seq}:`).update(hash).digest();
}

export function rowToEntry(row: readonly unknown[]): AuditEntry {
  const [
    seq,
    id,
    recordedAt,
    userId,
    role,
    workstationId,
    action,
    outcome,
    patientId,
    refs,
    purposeOfUse,
    grantId,
    detail,
    justification,
  ] = row as [
    number,
    string,
    number,
    string | null,
    string | null,
    string,
    string,
    AuditOutcome,
    string | null,
    string | null,
    string | null,
    string | null,
    string | null,
    string | null,
  ];
  return {
    seq,
    id,
    recordedAt,
    userId,
    role,
    workstationId,
    action,
    outcome,
    patientId,
    resourceRefs: refs ? (JSON.parse(refs) as string[]) : [],
    purposeOfUse,
    grantId,
    detail,
    justification,
  };
}
