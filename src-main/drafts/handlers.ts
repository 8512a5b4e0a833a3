import type { Handlers } from '../ipc/index.ts';
import { CoreError } from '../base/index.ts';
import { DraftRefusal, type Drafts } from './drafts.ts';

type DraftHandlers = Pick<
  Handlers,
  'drafts.save' | 'drafts.keepPlace' | 'drafts.mine' | 'drafts.discard' | 'drafts.count'
>;

/**
 * The drafts channels. drafts.save and drafts.count are `signedIn` channels (see the contract):
 * the drafts room checks the role and the chart access itself, and says which patient a refusal
 * was about so the router's audit entry names it.
 */
export function createDraftHandlers(drafts: () => Drafts): DraftHandlers {
  const signedIn = <T>(session: T | null): T => {
    if (!session) throw new CoreError('unauthenticated', 'Sign in to continue.');
    return session;
  };
  return {
    'drafts.save'(request, { session, served }) {
      served.patientId = request.patientId;
      try {
        return { savedAt: drafts().save(signedIn(session), request.patientId, request.draft) };
      } catch (error) {
        if (error instanceof DraftRefusal) served.denial = error.denial;
        throw error;
      }
    },
    'drafts.keepPlace'(request, { session }) {
      drafts().keepPlace(signedIn(session), request.patientId);
      return {};
    },
    'drafts.mine'(_request, { session, served }) {
      const { drafts: kept, restored, openChart } = drafts().mine(signedIn(session));
      // One audit entry per patient whose draft is given back, with the decision that allowed it.
      served.patients = restored;
      return { drafts: kept, openChart };
    },
    'drafts.discard': (request, { session }) => ({
      discarded: drafts().discard(signedIn(session), 'all' in request ? 'all' : request),
    }),
    'drafts.count': (_request, { session }) => {
      const s = signedIn(session);
      return { count: drafts().count(s) };
    },
  };
}
