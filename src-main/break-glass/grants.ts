/**
 * Break-glass (PRODUCT.md capability 5): emergency access for one user to one patient, for the
 * policy's duration, with a coded reason and a written justification. This file only puts the
 * parts together behind one face, `BreakGlass`:
 *
 * - lifecycle.ts: check, the durable grant and its audit entry, deny, every end (expiry, the
 *   session's end, a lock longer than policy, the app closing), following the session, the view;
 * - review.ts: the privacy officer's queue (with what was viewed under each grant, from the audit
 *   trail), the per-shift alerts, marking a grant reviewed;
 * - review-history.ts: every grant with its review, filtered, and its audited export;
 * - grant-store.ts: every SQL statement on the capability's own tables.
 *
 * Every read under a grant is audited by the router with the grant's id and reason as purpose of
 * use, so the review shows what was viewed.
 */
import { createGrantLifecycle, type BreakGlassDeps, type GrantLifecycle } from './lifecycle.ts';
import { markReviewed, reviewQueue, type ReviewAlert, type ReviewItem } from './review.ts';
import { exportReviews, reviewHistory } from './review-history.ts';
import type {
  BreakGlassReviewHistory,
  ReviewExportFormat,
  ReviewHistoryFilter,
} from '../../src-shared/ipc/channels/break-glass.ts';

export type {
  BreakGlassDeps,
  BreakGlassEvents,
  EmergencyAccessView,
  GrantEndReason,
  GrantRequest,
} from './lifecycle.ts';
export type { ReviewAlert, ReviewItem } from './review.ts';

export interface BreakGlass extends GrantLifecycle {
  reviewQueue(): { items: ReviewItem[]; alerts: ReviewAlert[] };
  markReviewed(grantId: string, reviewer: { userId: string; role: string }, comment: string): void;
  reviewHistory(filter: ReviewHistoryFilter): BreakGlassReviewHistory;
  exportReviews(
    filter: ReviewHistoryFilter,
    format: ReviewExportFormat,
    exporter: { userId: string; role: string },
  ): { path: string; fileName: string; count: number };
}

export function createBreakGlass(deps: BreakGlassDeps): BreakGlass {
  return {
    ...createGrantLifecycle(deps),
    reviewQueue: () => reviewQueue(deps),
    markReviewed: (grantId, reviewer, comment) => markReviewed(deps, grantId, reviewer, comment),
    reviewHistory: (filter) => reviewHistory(deps, filter),
    exportReviews: (filter, format, exporter) => exportReviews(deps, filter, format, exporter),
  };
}
