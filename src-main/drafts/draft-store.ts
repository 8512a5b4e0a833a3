import { DraftContent, type DraftForm } from '../../src-shared/chart/drafts.ts';
import type { Database } from '../vault/index.ts';

/** The drafts table's SQL, and nothing else: the rules are in drafts.ts. */

export interface StoredDraft {
  patientId: string;
  /** Null when the stored fields no longer parse (a newer app's form, a damaged row): never shown. */
  draft: DraftContent | null;
  form: DraftForm;
  updatedAt: number;
}

interface Row {
  patient_id: string;
  form: DraftForm;
  fields: string;
  updated_at: number;
}

export function putDraft(db: Database, userId: string, patientId: string, draft: DraftContent, at: number): void {
  db.prepare(
    `INSERT INTO drafts (user_id, patient_id, form, fields, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (user_id, patient_id, form) DO UPDATE SET fields = excluded.fields, updated_at = excluded.updated_at`,
  ).run(userId, patientId, draft.form, JSON.stringify(draft.fields), at);
}

function parsed(row: Row): StoredDraft {
  let fields: unknown = null;
  try {
    fields = JSON.parse(row.fields);
  } catch {
    fields = null;
  }
  const draft = DraftContent.safeParse({ form: row.form, fields });
  return {
    patientId: row.patient_id,
    form: row.form,
    draft: draft.success ? draft.data : null,
    updatedAt: row.updated_at,
  };
}

/** One user's drafts changed at or after `since`, newest first. */
export function draftsOf(db: Database, userId: string, since: number, limit: number): StoredDraft[] {
  const rows = db
    .prepare(
      `SELECT patient_id, form, fields, updated_at FROM drafts WHERE user_id = ? AND updated_at >= ?
       ORDER BY updated_at DESC, patient_id, form LIMIT ?`,
    )
    .all(userId, since, limit) as Row[];
  return rows.map(parsed);
}

export function draftCountOf(db: Database, userId: string, since: number): number {
  return (
    db.prepare('SELECT count(*) AS n FROM drafts WHERE user_id = ? AND updated_at >= ?').get(userId, since) as {
      n: number;
    }
  ).n;
}

/** Whether this user may keep one more draft (an update of a kept one always may). */
export function draftExists(db: Database, userId: string, patientId: string, form: DraftForm): boolean {
  return (
    db
      .prepare('SELECT 1 FROM drafts WHERE user_id = ? AND patient_id = ? AND form = ?')
      .get(userId, patientId, form) !== undefined
  );
}

/** Deletes drafts of one user (one patient's form, or all); returns the patients they were about. */
export function deleteDrafts(
  db: Database,
  userId: string,
  which: { patientId: string; form: DraftForm } | 'all',
): string[] {
  const rows = (
    which === 'all'
      ? db.prepare('DELETE FROM drafts WHERE user_id = ? RETURNING patient_id').all(userId)
      : db
          .prepare('DELETE FROM drafts WHERE user_id = ? AND patient_id = ? AND form = ? RETURNING patient_id')
          .all(userId, which.patientId, which.form)
  ) as { patient_id: string }[];
  return rows.map((r) => r.patient_id);
}

/** Deletes every draft last changed before `before`; returns how many went, per user. */
export function deleteExpiredDrafts(db: Database, before: number): Map<string, number> {
  const rows = db.prepare('DELETE FROM drafts WHERE updated_at < ? RETURNING user_id').all(before) as {
    user_id: string;
  }[];
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.user_id, (counts.get(row.user_id) ?? 0) + 1);
  return counts;
}
