/**
 * The privacy officer's history of emergency accesses, as last filtered, and its export (written
 * by the main process; the window only learns where). It names patients and holds justifications
 * and comments: a PHI store, in memory only, cleared on lock, sign-out and switch user.
 */
import { create } from 'zustand';
import type { BreakGlassReviewHistory, ReviewExportFormat } from '../../src-shared/ipc/contract.ts';
import type { ChannelRequest } from '../../src-shared/ipc/contract.ts';
import type { IpcError } from '../../src-shared/ipc/errors.ts';
import { invoke } from '../api.ts';
import { registerPhiStore } from './phi.ts';

export type HistoryFilter = ChannelRequest<'breakGlass.reviewHistory'>;

interface ReviewHistoryState {
  filter: HistoryFilter;
  history: BreakGlassReviewHistory | null;
  error: IpcError | null;
  /** Where the last export was written, and how many accesses it holds. */
  exported: { path: string; count: number } | null;
  exportError: IpcError | null;
  load(filter?: HistoryFilter): Promise<void>;
  exportAs(format: ReviewExportFormat): Promise<void>;
  reset(): void;
}

let sequence = 0;

export const useReviewHistoryStore = create<ReviewHistoryState>()((set, get) => ({
  filter: { status: 'all' },
  history: null,
  error: null,
  exported: null,
  exportError: null,
  async load(filter = get().filter) {
    const mine = ++sequence;
    set({ filter });
    const result = await invoke('breakGlass.reviewHistory', filter);
    if (mine !== sequence) return;
    set(result.ok ? { history: result.data, error: null } : { history: null, error: result.error });
  },
  async exportAs(format) {
    const result = await invoke('breakGlass.exportReviews', { filter: get().filter, format });
    set(
      result.ok
        ? { exported: { path: result.data.path, count: result.data.count }, exportError: null }
        : { exported: null, exportError: result.error },
    );
  },
  reset() {
    sequence++;
    set({ filter: { status: 'all' }, history: null, error: null, exported: null, exportError: null });
  },
}));
registerPhiStore(() => useReviewHistoryStore.getState().reset());
