import type { Handlers } from '../ipc/index.ts';
import type { SessionManager } from './session.ts';

type SessionHandlers = Pick<
  Handlers,
  | 'session.status'
  | 'session.signIn'
  | 'session.cancelSignIn'
  | 'session.signInOffline'
  | 'session.setPin'
  | 'session.unlock'
  | 'session.lock'
  | 'session.end'
  | 'session.activity'
>;

/** The session channels: each answers with the session's status after it (the window follows it). */
export function createSessionHandlers(sessions: SessionManager): SessionHandlers {
  return {
    'session.status': () => sessions.status(),
    'session.signIn': () => sessions.startSignIn(),
    'session.cancelSignIn': () => sessions.cancelSignIn(),
    'session.signInOffline': (request) => sessions.signInWithPin(request.username, request.pin),
    'session.setPin': (request) => sessions.setPin(request.pin, request.currentPin),
    'session.unlock': (request) => sessions.unlock(request.pin),
    'session.lock': () => sessions.lock(),
    'session.end': (request) => sessions.end(request.reason),
    'session.activity': () => {
      sessions.activity();
      return {};
    },
  };
}
