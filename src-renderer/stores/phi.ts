/**
 * Every store that holds PHI registers its reset here. Locking, signing out or switching user
 * calls resetPhiStores() before the lock screen renders, so no patient data stays in renderer
 * memory or in the DOM (PRODUCT.md capability 3). Stores live in memory only: nothing is ever
 * written to browser storage.
 */
const resets = new Set<() => void>();

export function registerPhiStore(reset: () => void): void {
  resets.add(reset);
}

export function resetPhiStores(): void {
  for (const reset of resets) reset();
}
