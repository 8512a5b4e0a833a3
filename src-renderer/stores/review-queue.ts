/** The privacy officer's break-glass review queue (it names patients and holds justifications). */
import type { BreakGlassReviewQueue } from '../../src-shared/ipc/contract.ts';
import { invoke } from '../api.ts';
import { createReviewStore } from './review-store.ts';

export const useReviewQueueStore = createReviewStore<BreakGlassReviewQueue>({
  queue: () => invoke('breakGlass.reviewQueue', {}),
  markReviewed: (grantId, comment) => invoke('breakGlass.markReviewed', { grantId, comment }),
});
