import type { Handlers } from '../ipc/index.ts';
import type { SessionManager } from '../session/index.ts';
import type { BreakGlass } from './grants.ts';
import { CoreError } from '../base/index.ts';

type BreakGlassHandlers = Pick<
  Handlers,
  | 'breakGlass.request'
  | 'breakGlass.end'
  | 'breakGlass.reviewQueue'
  | 'breakGlass.markReviewed'
  | 'breakGlass.reviewHistory'
  | 'breakGlass.exportReviews'
>;

/**
 * The break-glass channels. The router has checked the session, the role's permission and that
 * the request names one patient; here come policy's roles, the reason, the justification and the
 * PIN (in that order, so a request that could never be granted does not cost a PIN attempt), then
 * the durable grant. Every refusal is audited.
 */
export function createBreakGlassHandlers(breakGlass: () => BreakGlass, sessions: SessionManager): BreakGlassHandlers {
  return {
    async 'breakGlass.request'(request, { session }) {
      if (!session) throw new CoreError('unauthenticated', 'Sign in to continue.');
      const grants = breakGlass();
      const grantRequest = {
        userId: session.userId,
        role: session.role,
        patientId: request.patientId,
        reasonCode: request.reason,
        justification: request.justification,
      };
      try {
        grants.check(grantRequest);
        await sessions.confirmPin(request.pin);
      } catch (error) {
        if (error instanceof CoreError)
          grants.deny(
            grantRequest,
            error.kind.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
          );
        throw error;
      }
      const { expiresAt } = grants.grant(grantRequest);
      return { expiresAt };
    },
    'breakGlass.end'(request, { session }) {
      if (!session) throw new CoreError('unauthenticated', 'Sign in to continue.');
      if (!breakGlass().endByUser(session.userId, request.patientId))
        throw new CoreError('notFound', 'You hold no emergency access to this patient.');
      return {};
    },
    'breakGlass.reviewQueue': () => breakGlass().reviewQueue(),
    'breakGlass.reviewHistory': (request) => breakGlass().reviewHistory(request),
    'breakGlass.exportReviews'(request, { session }) {
      if (!session) throw new CoreError('unauthenticated', 'Sign in to continue.');
      return breakGlass().exportReviews(request.filter, request.format, { userId: session.userId, role: session.role });
    },
    'breakGlass.markReviewed'(request, { session }) {
      if (!session) throw new CoreError('unauthenticated', 'Sign in to continue.');
      breakGlass().markReviewed(request.grantId, { userId: session.userId, role: session.role }, request.comment);
      return {};
    },
  };
}
