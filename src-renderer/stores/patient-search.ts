/**
 * Patient search: the text typed (a name or an MRN is PHI), the results and the last typed error
 * from the router. Held in memory only and registered as a PHI store, so a lock clears the search
 * box, the list, a search waiting for the typing to pause, and any answer still on its way.
 *
 * Results follow the typing: a search starts once the typing pauses (SEARCH_DEBOUNCE_MS), Enter
 * starts one at once, and only the answer to the latest query is shown (a slow answer to an
 * older query must never replace a newer one).
 */
import { create } from 'zustand';
import type { PatientListItem, PatientSummary } from '../../src-shared/ipc/contract.ts';
import type { IpcError } from '../../src-shared/ipc/errors.ts';
import { invoke } from '../api.ts';
import { localeDateToIso, numericDatePattern } from '../format.ts';
import { registerPhiStore } from './phi.ts';

export type SearchPhase = 'idle' | 'searching' | 'done' | 'error';

interface PatientSearchState {
  query: string;
  phase: SearchPhase;
  results: readonly PatientListItem[];
  /** Which search the results answer: a new answer is a new list (scrolled to the top, first row active). */
  resultsId: number;
  error: IpcError | null;
  /**
   * The same search at central, for patients not on this workstation (outside its cache scope):
   * asked once the local answer is shown, so it never delays it. `error` is why central was not
   * asked or did not answer (OFFLINE: only this workstation's patients are listed).
   */
  central: {
    phase: 'idle' | 'searching' | 'done' | 'error';
    results: readonly PatientSummary[];
    more: boolean;
    error: IpcError | null;
  };
}

interface PatientSearchStore extends PatientSearchState {
  /** The text as typed; searches once the typing pauses. */
  setQuery(query: string): void;
  /** Searches for the current query now (Enter); a newer search makes older answers irrelevant. */
  search(): Promise<void>;
  reset(): void;
}

const centralIdle: PatientSearchState['central'] = { phase: 'idle', results: [], more: false, error: null };
const initial: PatientSearchState = {
  query: '',
  phase: 'idle',
  results: [],
  resultsId: 0,
  error: null,
  central: centralIdle,
};

/** Matches the contract's limit on the query, so the box cannot send what the router refuses. */
export const QUERY_MAX_LENGTH = 100;
/** The most results one search brings (the contract's maximum); the list renders only what is visible. */
export const SEARCH_LIMIT = 200;
/** Long enough to skip the keystrokes of one word, short enough to feel immediate. */
export const SEARCH_DEBOUNCE_MS = 150;

let searchSequence = 0;
let pending: ReturnType<typeof setTimeout> | null = null;

function cancelPending(): void {
  if (pending !== null) clearTimeout(pending);
  pending = null;
}

export const usePatientSearchStore = create<PatientSearchStore>()((set, get) => ({
  ...initial,
  setQuery(query) {
    cancelPending();
    if (query.trim().length === 0) {
      // An emptied box is not a mistake while typing: clear the list quietly, no error.
      searchSequence++;
      set({ ...initial, query });
      return;
    }
    set({ query });
    pending = setTimeout(() => {
      pending = null;
      void get().search();
    }, SEARCH_DEBOUNCE_MS);
  },
  async search() {
    cancelPending();
    const query = get().query.trim();
    const sequence = ++searchSequence;
    if (query.length === 0) {
      set({
        phase: 'error',
        results: [],
        error: { code: 'INVALID', message: `Type a name, MRN or birth date (${numericDatePattern().hint}) to search.` },
        central: centralIdle,
      });
      return;
    }
    // The previous results stay until the new ones arrive, so the list does not flicker per keystroke.
    set({ phase: 'searching', error: null });
    // A birth date typed as the locale writes it (04/18/1980 in en-US) is searched as the FHIR date.
    const asked = localeDateToIso(query) ?? query;
    const result = await invoke('patients.search', { query: asked, limit: SEARCH_LIMIT });
    if (sequence !== searchSequence) return;
    if (!result.ok) return set({ phase: 'error', results: [], error: result.error, central: centralIdle });
    set({
      phase: 'done',
      results: result.data.results,
      resultsId: sequence,
      error: null,
      central: { ...get().central, phase: 'searching', error: null },
    });
    const central = await invoke('patients.searchCentral', { query: asked });
    if (sequence !== searchSequence) return;
    set({
      central: central.ok
        ? { phase: 'done', results: central.data.results, more: central.data.more, error: null }
        : { phase: 'error', results: [], more: false, error: central.error },
    });
  },
  reset() {
    cancelPending();
    searchSequence++;
    set({ ...initial });
  },
}));

registerPhiStore(() => usePatientSearchStore.getState().reset());
