/**
 * Every store that holds PHI registers its reset here. Locking, signing out or switching user
 * calls resetPhiStores() before the lock screen renders, so no patient data stays in renderer
 * memory or in the DOM (PRODUCT.md capability 3). Stores live in memory only: nothing is ever
 * written to browser storage.
 */
const resets = new Set<() => void>();
const flushes = new Set<(next: string) => void>();

/**
 * Work that must reach the main process before the stores are emptied (drafts, issue 16). A
 * flush takes what it needs synchronously; what it sends is gone from the stores a moment later.
 */
export function registerPhiFlush(flush: (next: string) => void): void {
  flushes.add(flush);
}

export function registerPhiStore(reset: () => void): void {
  resets.add(reset);
}

/** `next`: the session state that empties the stores ('locked', 'signedOut', ...). */
export function resetPhiStores(next = 'reset'): void {
  for (const flush of flushes) flush(next);
  for (const reset of resets) reset();
}
