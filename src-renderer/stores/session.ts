/**
 * Who is at the keyboard, as the core last said (`session.status`, `session.changed`). Staff
 * information only, no PHI. Any state in which the screen may not show patient data (signed out,
 * PIN setup, locked) clears every PHI store first, in the same tick, before the next screen
 * renders: the lock screen never shares a frame with the chart.
 */
import { create } from 'zustand';
import type { SessionStatus } from '../../src-shared/session/status.ts';
import { invoke } from '../api.ts';
import { resetPhiStores } from './phi.ts';

interface SessionStore {
  status: SessionStatus | null;
  /** Asks the core; a failure leaves the last known status (the workstation store shows unreachability). */
  load(): Promise<void>;
  /** A status from the core: an event, or the answer of a session channel. */
  apply(status: SessionStatus): void;
}

export function mayShowPhi(status: SessionStatus | null): boolean {
  return status !== null && (status.state === 'active' || status.state === 'warning');
}

export const useSessionStore = create<SessionStore>()((set) => ({
  status: null,
  async load() {
    const result = await invoke('session.status', {});
    if (result.ok) useSessionStore.getState().apply(result.data);
  },
  apply(status) {
    if (!mayShowPhi(status)) resetPhiStores(status.state);
    set({ status });
  },
}));
