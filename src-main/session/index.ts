/** Shared-workstation sessions: who is at the keyboard, and whether the screen may show anything. */
export { createSessionHandlers } from './handlers.ts';
export {
  createSessionManager,
  type SessionAuditEvent,
  type SessionDeps,
  type SessionEvents,
  type SessionManager,
} from './session.ts';
