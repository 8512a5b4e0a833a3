/**
 * Unusual access alerts (issue 17): many charts opened in a short time, repeated failed
 * sign-ins or PINs, a patient sharing the user's family name. The detector watches the audit
 * trail as entries are appended (`watch` wraps the trail the session, break-glass and the router
 * write through); an alert is an audit entry that ships to central as a security alert, and a
 * row in the privacy officer's queue until reviewed. Thresholds: policy `alerts`.
 */
import type { AuditTrail } from '../audit/index.ts';
import { createDetector, type DetectorDeps } from './detect.ts';
import { alertQueue, markAlertReviewedBy } from './review.ts';
import type { AccessAlertQueue } from '../../src-shared/ipc/channels/alerts.ts';

export { alertsMigrations } from './schema.ts';
export { openAlertCount } from './alert-store.ts';
export { createAlertHandlers } from './handlers.ts';

export interface AccessAlerts {
  /** The same trail, whose appends are also checked for alerts (one wrapper per trail). */
  watch(trail: AuditTrail): AuditTrail;
  queue(): AccessAlertQueue;
  markReviewed(alertId: string, reviewer: { userId: string; role: string }, comment: string): void;
}

export function createAccessAlerts(deps: DetectorDeps): AccessAlerts {
  const detect = createDetector(deps);
  const watched = new WeakMap<AuditTrail, AuditTrail>();
  return {
    watch(trail) {
      let wrapper = watched.get(trail);
      if (!wrapper) {
        wrapper = {
          ...trail,
          append(input) {
            const entry = trail.append(input);
            detect(entry);
            return entry;
          },
        };
        watched.set(trail, wrapper);
      }
      return wrapper;
    },
    queue: () => alertQueue(deps),
    markReviewed: (alertId, reviewer, comment) => markAlertReviewedBy(deps, alertId, reviewer, comment),
  };
}
