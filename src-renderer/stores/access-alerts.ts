/** The privacy officer's unusual access alerts (a family-name alert names its patient). */
import type { AccessAlertQueue } from '../../src-shared/ipc/contract.ts';
import { invoke } from '../api.ts';
import { createReviewStore } from './review-store.ts';

export const useAccessAlertsStore = createReviewStore<AccessAlertQueue>({
  queue: () => invoke('alerts.queue', {}),
  markReviewed: (alertId, comment) => invoke('alerts.markReviewed', { alertId, comment }),
});
