/**
 * The privacy officer's restricted sync conflicts: changes whose clinician no longer has access to
 * the patient, with both versions (PHI: in memory only, cleared on lock like the other queues).
 */
import type { ChannelResponse } from '../../src-shared/ipc/contract.ts';
import { RestrictedConflictDecision } from '../../src-shared/sync/status.ts';
import { invoke } from '../api.ts';
import { createReviewStore } from './review-store.ts';

export const useRestrictedConflictsStore = createReviewStore<ChannelResponse<'sync.restrictedConflicts'>>({
  queue: () => invoke('sync.restrictedConflicts', {}),
  markReviewed: (conflictId, comment, action) =>
    invoke('sync.decideRestrictedConflict', {
      conflictId: Number(conflictId),
      decision: RestrictedConflictDecision.parse(action),
      comment,
    }),
});
