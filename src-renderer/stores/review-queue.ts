/**
 * The privacy officer's break-glass review queue. It names patients and holds justifications, so
 * it is a PHI store: in memory only, cleared on lock, sign-out and switch user.
 */
import { create } from 'zustand';
import type { BreakGlassReviewQueue } from '../../src-shared/ipc/contract.ts';
import type { IpcError } from '../../src-shared/ipc/errors.ts';
import { invoke } from '../api.ts';
import { registerPhiStore } from './phi.ts';

interface ReviewQueueStore {
  queue: BreakGlassReviewQueue | null;
  error: IpcError | null;
  load(): Promise<void>;
  /** Marks one event reviewed; returns the error to show beside it, or null. */
  markReviewed(grantId: string, comment: string): Promise<IpcError | null>;
  reset(): void;
}

let sequence = 0;

export const useReviewQueueStore = create<ReviewQueueStore>()((set, get) => ({
  queue: null,
  error: null,
  async load() {
    const mine = ++sequence;
    const result = await invoke('breakGlass.reviewQueue', {});
    if (mine !== sequence) return;
    set(result.ok ? { queue: result.data, error: null } : { queue: null, error: result.error });
  },
  async markReviewed(grantId, comment) {
    const result = await invoke('breakGlass.markReviewed', { grantId, comment });
    if (!result.ok) return result.error;
    await get().load();
    return null;
  },
  reset() {
    sequence++;
    set({ queue: null, error: null });
  },
}));

registerPhiStore(() => useReviewQueueStore.getState().reset());
