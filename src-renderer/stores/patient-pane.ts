/**
 * The patient pane's lists: "My patients" (the care team) and "Recent" (charts this user opened
 * lately). Both are the main process's (it keeps "Recent"; the window never stores it anywhere):
 * this store only holds what is on screen, in memory, and is a PHI store, so a lock empties it.
 * Asked for when the workspace opens and again whenever a chart closes (Recent has changed).
 */
import { create } from 'zustand';
import type { PatientListItem } from '../../src-shared/ipc/contract.ts';
import type { IpcError } from '../../src-shared/ipc/errors.ts';
import { invoke } from '../api.ts';
import { registerPhiStore } from './phi.ts';

interface PatientPaneStore {
  mine: readonly PatientListItem[] | null;
  recent: readonly PatientListItem[] | null;
  error: IpcError | null;
  load(): Promise<void>;
  reset(): void;
}

let sequence = 0;

export const usePatientPaneStore = create<PatientPaneStore>()((set) => ({
  mine: null,
  recent: null,
  error: null,
  async load() {
    const mine = ++sequence;
    const result = await invoke('patients.pane', {});
    if (mine !== sequence) return;
    if (result.ok) set({ mine: result.data.mine, recent: result.data.recent, error: null });
    else set({ error: result.error });
  },
  reset() {
    sequence++;
    set({ mine: null, recent: null, error: null });
  },
}));

registerPhiStore(() => usePatientPaneStore.getState().reset());
