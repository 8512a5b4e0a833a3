/**
 * A privacy officer's queue of things to review (emergency accesses, unusual access alerts,
 * restricted sync conflicts): the queue as the core last answered it, and deciding one item
 * (marking it reviewed, or the decision the form's button names), which reloads it. Such a
 * queue names patients, so it is a PHI store: in memory only, cleared on lock, sign-out and
 * switch user. A load answered after a newer one (or after a reset) is dropped.
 */
import { create } from 'zustand';
import type { IpcError, IpcResult } from '../../src-shared/ipc/errors.ts';
import { registerPhiStore } from './phi.ts';

export interface ReviewStore<Q> {
  queue: Q | null;
  error: IpcError | null;
  load(): Promise<void>;
  /** Marks one item reviewed (or decides it: `action`); returns the error to show beside it, or null. */
  markReviewed(id: string, comment: string, action?: string): Promise<IpcError | null>;
  reset(): void;
}

export function createReviewStore<Q>(calls: {
  queue(): Promise<IpcResult<Q>>;
  markReviewed(id: string, comment: string, action?: string): Promise<IpcResult<unknown>>;
}) {
  let sequence = 0;
  const store = create<ReviewStore<Q>>()((set, get) => ({
    queue: null,
    error: null,
    async load() {
      const mine = ++sequence;
      const result = await calls.queue();
      if (mine !== sequence) return;
      set(result.ok ? { queue: result.data, error: null } : { queue: null, error: result.error });
    },
    async markReviewed(id, comment, action) {
      const result = await calls.markReviewed(id, comment, action);
      if (!result.ok) return result.error;
      await get().load();
      return null;
    },
    reset() {
      sequence++;
      set({ queue: null, error: null });
    },
  }));
  registerPhiStore(() => store.getState().reset());
  return store;
}
