/**
 * Patient search: the text typed (a name or an MRN is PHI), the results and the last typed error
 * from the router. Held in memory only and registered as a PHI store, so a lock clears the search
 * box, the list and any answer still on its way.
 */
import { create } from 'zustand';
import type { PatientSummary } from '../../src-shared/ipc/contract.ts';
import type { IpcError } from '../../src-shared/ipc/errors.ts';
import { invoke } from '../api.ts';
import { registerPhiStore } from './phi.ts';

export type SearchPhase = 'idle' | 'searching' | 'done' | 'error';

interface PatientSearchState {
  query: string;
  phase: SearchPhase;
  results: readonly PatientSummary[];
  error: IpcError | null;
}

interface PatientSearchStore extends PatientSearchState {
  setQuery(query: string): void;
  /** Searches for the current query; a newer search makes older answers irrelevant. */
  search(): Promise<void>;
  reset(): void;
}

const initial: PatientSearchState = { query: '', phase: 'idle', results: [], error: null };

/** Matches the contract's limit on the query, so the box cannot send what the router refuses. */
export const QUERY_MAX_LENGTH = 100;

let searchSequence = 0;

export const usePatientSearchStore = create<PatientSearchStore>()((set, get) => ({
  ...initial,
  setQuery(query) {
    set({ query });
  },
  async search() {
    const query = get().query.trim();
    const sequence = ++searchSequence;
    if (query.length === 0) {
      set({
        phase: 'error',
        results: [],
        error: { code: 'INVALID', message: 'Type a name, MRN or birth date (YYYY-MM-DD) to search.' },
      });
      return;
    }
    set({ phase: 'searching', error: null });
    const result = await invoke('patients.search', { query });
    if (sequence !== searchSequence) return;
    if (result.ok) set({ phase: 'done', results: result.data.results, error: null });
    else set({ phase: 'error', results: [], error: result.error });
  },
  reset() {
    searchSequence++;
    set({ ...initial });
  },
}));

registerPhiStore(() => usePatientSearchStore.getState().reset());
