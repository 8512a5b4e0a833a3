/**
 * The session channels as the screens call them: each answer that carries a SessionStatus is
 * applied at once (the `session.changed` event brings the same, a moment later), and a failure
 * comes back as the router's typed error for the screen to show.
 */
import type { ChannelName, ChannelRequest } from '../../src-shared/ipc/contract.ts';
import type { IpcError } from '../../src-shared/ipc/errors.ts';
import { invoke } from '../api.ts';
import { useSessionStore } from '../stores/session.ts';

type SessionChannel = Extract<
  ChannelName,
  | 'session.signIn'
  | 'session.cancelSignIn'
  | 'session.signInOffline'
  | 'session.setPin'
  | 'session.unlock'
  | 'session.lock'
  | 'session.end'
>;

export async function sessionAction<C extends SessionChannel>(
  channel: C,
  request: ChannelRequest<C>,
): Promise<IpcError | null> {
  const result = await invoke(channel, request);
  if (result.ok) {
    useSessionStore.getState().apply(result.data);
    return null;
  }
  // The session may have changed under us (a lockout ends it): ask for the current state.
  void useSessionStore.getState().load();
  return result.error;
}

/** Digits only, as the PIN fields accept them. */
export function digitsOnly(value: string): string {
  return value.replace(/\D+/g, '').slice(0, 12);
}
