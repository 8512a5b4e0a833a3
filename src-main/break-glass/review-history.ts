/**
 * The privacy officer's history of emergency accesses (issue 16): every grant, reviewed or not,
 * as a filter asks (status, user, start date range), each with its review (reviewer, time,
 * comment); and the same list exported to a file by the main process, audited as an export with
 * its count. Names come from identity (users, reviewers) and records (patients).
 */
import fs from 'node:fs';
import path from 'node:path';
import type {
  BreakGlassReviewHistory,
  ReviewExportFormat,
  ReviewHistoryFilter,
} from '../../src-shared/ipc/channels/break-glass.ts';
import { CoreError, writeFileAtomic } from '../base/index.ts';
import { displayNamesOf } from '../identity/index.ts';
import { durably } from '../vault/index.ts';
import { grantsWithReviews, grantUserIds } from './grant-store.ts';
import { reviewItems, type ReviewDeps } from './review.ts';

export interface HistoryDeps extends ReviewDeps {
  /** Where exports are written (the user's downloads folder); none: exports are unavailable. */
  exportsDir?: string | undefined;
}

type HistoryItem = BreakGlassReviewHistory['items'][number];

export function reviewHistory(deps: HistoryDeps, filter: ReviewHistoryFilter): BreakGlassReviewHistory {
  const db = deps.db();
  const rows = grantsWithReviews(db, filter);
  const reviewers = displayNamesOf(
    db,
    rows.flatMap((row) => (row.reviewer_id === null ? [] : [row.reviewer_id])),
  );
  const items = reviewItems(deps, db, rows).map((item, i) => {
    const row = rows[i]!;
    const review =
      row.reviewer_id === null || row.reviewed_at === null
        ? null
        : {
            reviewerId: row.reviewer_id,
            reviewerName: reviewers.get(row.reviewer_id) ?? null,
            reviewedAt: row.reviewed_at,
            comment: row.comment ?? '',
          };
    return { ...item, review };
  });
  const userIds = grantUserIds(db);
  const names = displayNamesOf(db, userIds);
  return { items, users: userIds.map((userId) => ({ userId, userName: names.get(userId) ?? null })) };
}

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

const COLUMNS: readonly [string, (item: HistoryItem) => string][] = [
  ['grant id', (i) => i.grantId],
  ['user id', (i) => i.userId],
  ['user', (i) => i.userName ?? ''],
  ['role', (i) => i.role],
  ['patient id', (i) => i.patientId],
  ['patient', (i) => i.patientName ?? ''],
  ['reason code', (i) => i.reasonCode],
  ['reason', (i) => i.reasonDisplay],
  ['justification', (i) => i.justification],
  ['started', (i) => iso(i.startedAt)],
  ['ended', (i) => iso(i.endedAt)],
  ['end reason', (i) => i.endReason ?? ''],
  ['views', (i) => String(i.viewed.length)],
  ['status', (i) => (i.review ? 'reviewed' : 'awaiting review')],
  ['reviewer id', (i) => i.review?.reviewerId ?? ''],
  ['reviewer', (i) => i.review?.reviewerName ?? ''],
  ['reviewed', (i) => iso(i.review?.reviewedAt ?? null)],
  ['comment', (i) => i.review?.comment ?? ''],
];

/**
 * One CSV field (RFC 4180): always quoted, quotes doubled. A free-text value a spreadsheet would
 * run as a formula (=, +, -, @, tab, CR) starts with an apostrophe instead (OWASP CSV injection).
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function reviewsAsCsv(items: readonly HistoryItem[]): string {
  const lines = [
    COLUMNS.map(([name]) => csvField(name)).join(','),
    ...items.map((item) => COLUMNS.map(([, value]) => csvField(value(item))).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** The export's file name: what it is and when (UTC, no colons, so every OS accepts it). */
function exportFileName(now: number, format: ReviewExportFormat): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '');
  return `emergency-access-reviews-${stamp}.${format}`;
}

/**
 * Writes the filtered history to the export folder, audited as an export with its count in the
 * same durable step: the entry is written first, and if the file cannot be written the
 * transaction rolls back (no export, no entry); a file whose entry did not commit is removed.
 */
export function exportReviews(
  deps: HistoryDeps,
  filter: ReviewHistoryFilter,
  format: ReviewExportFormat,
  exporter: { userId: string; role: string },
): { path: string; fileName: string; count: number } {
  const dir = deps.exportsDir;
  if (!dir) throw new CoreError('unavailable', 'This workstation has no folder for exports.');
  const { items } = reviewHistory(deps, filter);
  const content = format === 'csv' ? reviewsAsCsv(items) : `${JSON.stringify({ items }, null, 2)}\n`;
  const fileName = exportFileName(deps.clock.now(), format);
  const file = path.join(dir, fileName);
  const reviewed = items.filter((i) => i.review !== null).length;
  let written = false;
  try {
    durably(deps.db(), () => {
      deps.trail().append({
        action: 'audit.export',
        outcome: 'success',
        userId: exporter.userId,
        role: exporter.role,
        purposeOfUse: 'HOPERAT',
        detail: `breakGlass.reviews:${format}:${items.length}-items:${reviewed}-reviewed`,
      });
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileAtomic(file, content);
      written = true;
    });
  } catch (error) {
    if (written) fs.rmSync(file, { force: true });
    if (error instanceof CoreError) throw error;
    if (!written) throw new CoreError('unavailable', 'The export could not be written to the export folder.');
    throw error;
  }
  return { path: file, fileName, count: items.length };
}
