/**
 * The signed-in clinician's sync conflicts (`sync.conflicts`): their version of a record beside
 * central's, with the patient's name. That is PHI, unlike the counts in stores/sync.ts, so this
 * is a PHI store: in memory only, cleared on lock, sign-out and switch user, and an answer still
 * on its way when that happens is dropped.
 */
import { create } from 'zustand';
import type { AllergyEdit } from '../../src-shared/chart/vitals.ts';
import type { IpcError } from '../../src-shared/ipc/errors.ts';
import type { SyncConflict } from '../../src-shared/sync/status.ts';
import { invoke } from '../api.ts';
import { useChartStore } from './chart.ts';
import { registerPhiStore } from './phi.ts';
import { mayShowPhi, useSessionStore } from './session.ts';
import { useSyncStore } from './sync.ts';

export type ConflictChoice = { choice: 'mine' } | { choice: 'theirs' } | { choice: 'merged'; merged: AllergyEdit };

interface SyncConflictsStore {
  /** null until loaded (and after a reset). */
  items: readonly SyncConflict[] | null;
  error: IpcError | null;
  load(): Promise<void>;
  /** Resolves one conflict, then reloads the list and the status; returns the error to show, or null. */
  resolve(conflictId: number, choice: ConflictChoice): Promise<IpcError | null>;
  reset(): void;
}

let sequence = 0;

export const useSyncConflictsStore = create<SyncConflictsStore>()((set, get) => ({
  items: null,
  error: null,
  async load() {
    const mine = ++sequence;
    const result = await invoke('sync.conflicts', {});
    if (mine !== sequence) return;
    set(result.ok ? { items: result.data.items, error: null } : { error: result.error });
  },
  async resolve(conflictId, choice) {
    const before = sequence;
    const result = await invoke('sync.resolveConflict', { conflictId, ...choice });
    // Locked (or signed out) meanwhile: nothing of this may come back on screen.
    if (before !== sequence && get().items === null) return null;
    if (!result.ok) return result.error;
    await Promise.all([get().load(), useSyncStore.getState().load(), useChartStore.getState().refresh()]);
    return null;
  },
  reset() {
    sequence++;
    set({ items: null, error: null });
  },
}));

registerPhiStore(() => useSyncConflictsStore.getState().reset());

/** A list on screen follows the count: a conflict found or resolved elsewhere shows up here too. */
useSyncStore.subscribe((state, previous) => {
  if (useSyncConflictsStore.getState().items === null || !mayShowPhi(useSessionStore.getState().status)) return;
  if (state.status && previous.status && state.status.conflicts !== previous.status.conflicts)
    void useSyncConflictsStore.getState().load();
});
