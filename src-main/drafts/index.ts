/**
 * Drafts that survive the lock (issue 16): what a clinician typed into a chart form and has not
 * saved, kept per user in the encrypted cache, given back after an unlock or the same user's next
 * sign-in while they may still write that chart, and deleted on request or when policy
 * drafts.expiryHours has passed.
 */
export { draftsMigrations } from './schema.ts';
export { createDrafts, LOCK_SAVE_GRACE_MS, PURGE_EVERY_MS, type Drafts, type DraftsDeps } from './drafts.ts';
export { createDraftHandlers } from './handlers.ts';
