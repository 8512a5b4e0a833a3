import type { Handlers } from '../ipc/index.ts';
import { CoreError } from '../base/index.ts';
import type { AccessAlerts } from './index.ts';

type AlertHandlers = Pick<Handlers, 'alerts.queue' | 'alerts.markReviewed'>;

/** The privacy officer's alert channels; the router has checked the session and `audit.read`. */
export function createAlertHandlers(alerts: () => AccessAlerts): AlertHandlers {
  return {
    'alerts.queue': () => alerts().queue(),
    'alerts.markReviewed'(request, { session }) {
      if (!session) throw new CoreError('unauthenticated', 'Sign in to continue.');
      alerts().markReviewed(request.alertId, { userId: session.userId, role: session.role }, request.comment);
      return {};
    },
  };
}
