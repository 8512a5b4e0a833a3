/** Shared-workstation sessions: who is at the keyboard, and whether the screen may show anything. */
export { createSessionManager, type SessionAuditEvent, type SessionDeps, type SessionManager } from './session.ts';
