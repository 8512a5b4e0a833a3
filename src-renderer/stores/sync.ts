/**
 * The sync status the header shows ("Sync status"): connection, last sync, pending changes,
 * conflicts and changes held for IT. Counts only, no PHI, so it is not a PHI store: the lock
 * screen may show it too. It is asked for after sign-in and unlock, and kept current by the
 * core's `sync.changed` event (subscribed in App.tsx, beside `session.changed`).
 */
import { create } from 'zustand';
import type { SessionStatus } from '../../src-shared/session/status.ts';
import type { SyncStatus } from '../../src-shared/sync/status.ts';
import type { IpcError } from '../../src-shared/ipc/errors.ts';
import { invoke } from '../api.ts';
import { mayShowPhi, useSessionStore } from './session.ts';

interface SyncStore {
  status: SyncStatus | null;
  /** "Sync now" was pressed and its round has not answered yet. */
  requested: boolean;
  load(): Promise<void>;
  /** A status from the core: the `sync.changed` event or the answer of `sync.now`. */
  apply(status: SyncStatus): void;
  /** Starts a round now; returns the error to show beside the button, or null. */
  syncNow(): Promise<IpcError | null>;
  reset(): void;
}

let sequence = 0;

export const useSyncStore = create<SyncStore>()((set) => ({
  status: null,
  requested: false,
  async load() {
    const mine = ++sequence;
    const result = await invoke('sync.status', {});
    // A failure keeps the last known status: the header then simply shows what it knew.
    if (mine === sequence && result.ok) set({ status: result.data });
  },
  apply(status) {
    // An event is newer than any `sync.status` answer still on its way.
    sequence++;
    set({ status });
  },
  async syncNow() {
    set({ requested: true });
    const result = await invoke('sync.now', {});
    set({ requested: false });
    if (!result.ok) return result.error;
    useSyncStore.getState().apply(result.data);
    return null;
  },
  reset() {
    sequence++;
    set({ status: null, requested: false });
  },
}));

const signedIn = (status: SessionStatus | null) => status !== null && status.state !== 'signedOut';

/**
 * Sign-in and unlock ask for the status once (a window opened on a locked session too, for the
 * lock screen); the event keeps it current from then on. Signing out forgets it: the next person
 * starts fresh.
 */
useSessionStore.subscribe((state, previous) => {
  const entered = signedIn(state.status) && !signedIn(previous.status);
  const unlocked = mayShowPhi(state.status) && !mayShowPhi(previous.status);
  if (entered || unlocked) void useSyncStore.getState().load();
  else if (!signedIn(state.status) && signedIn(previous.status)) useSyncStore.getState().reset();
});
