/**
 * Every store that holds PHI registers its reset here. Locking, signing out or switching user
 * calls resetPhiStores() before the lock screen renders, so no patient data stays in renderer
 * memory or in the DOM (PRODUCT.md capability 3). Stores live in memory only: nothing is ever
 * written to browser storage.
 */
const resets = new Set<() => void>();
const flushes = new Set<() => void>();

/**
 * Work that must reach the main process before the stores are emptied (drafts, issue 16). A
 * flush takes what it needs synchronously; what it sends is gone from the stores a moment later.
 */
export function registerPhiFlush(flush: () => void): void {
  flushes.add(flush);
}

export function registerPhiStore(reset: () => void): void {
  resets.add(reset);
}

export function resetPhiStores(): void {
  for (const flush of flushes) flush();
  for (const reset of resets) reset();
}
