import { z } from 'zod';

/**
 * What the window shows as "Sync status" (PRODUCT.md capability 7): whether central answered the
 * last time it was asked, when the last full sync ended, and what waits. No PHI: counts only.
 *
 * - connection: 'unknown' before the first attempt (or with nobody signed in), then 'online' or
 *   'offline' after each round;
 * - pending: local changes not yet accepted by central;
 * - conflicts: changes central refused because it holds a newer version (a person decides);
 * - held: changes of a user who signed out whose refresh token no longer works (flagged for IT);
 * - waitingForSignIn: the signed-in user's own changes that cannot leave because they signed in
 *   with a PIN only (no token for central): "Sign in fully to send N changes".
 *
 * 'online' means central answered this workstation in the last round, never merely that nothing
 * failed: a round with nothing to send and nobody able to read (a PIN-only session) asks
 * central's /metadata instead.
 */
export const SyncStatus = z.object({
  connection: z.enum(['unknown', 'online', 'offline']),
  syncing: z.boolean(),
  lastSyncedAt: z.number().nullable(),
  pending: z.number().int().nonnegative(),
  conflicts: z.number().int().nonnegative(),
  held: z.number().int().nonnegative(),
  waitingForSignIn: z.number().int().nonnegative(),
  /** The last round's problem, in words without PHI (e.g. "Central answered HTTP 503."). */
  problem: z.string().nullable(),
});
export type SyncStatus = z.infer<typeof SyncStatus>;

/** A row's sync state as the chart shows it. */
export const SyncMark = z.enum(['synced', 'pending', 'conflict']);
export type SyncMark = z.infer<typeof SyncMark>;

/**
 * One conflict as a clinician sees it: the two versions side by side, field by field, as display
 * text built in the main process. `mergeable` when the record type can be merged by hand here
 * (allergies: the fields of AllergyEdit, the selects prefilled from `mine`).
 */
export const ShownSyncConflict = z.object({
  id: z.number().int(),
  restricted: z.literal(false),
  resourceType: z.string(),
  resourceId: z.string(),
  patientId: z.string().nullable(),
  patientName: z.string().nullable(),
  what: z.string(),
  detectedAt: z.number(),
  fields: z.array(z.object({ label: z.string(), mine: z.string().nullable(), theirs: z.string().nullable() })),
  mergeable: z.boolean(),
  /** Where the merge form's selects start; its comment starts empty (a new note, the others kept). */
  mine: z.object({ criticality: z.string().nullable(), clinicalStatus: z.string().nullable() }).nullable(),
});
export type ShownSyncConflict = z.infer<typeof ShownSyncConflict>;

/**
 * A conflict whose patient the clinician may no longer see (the break-glass grant it was made
 * under ended, or they left the care team): only that it exists and when, never the patient, the
 * record or either version (issue 17). It waits for the privacy officer or IT; `message` says so.
 */
export const RestrictedSyncConflict = z
  .object({ id: z.number().int(), restricted: z.literal(true), detectedAt: z.number(), message: z.string() })
  .strict();
export type RestrictedSyncConflict = z.infer<typeof RestrictedSyncConflict>;

export const SyncConflict = z.discriminatedUnion('restricted', [ShownSyncConflict, RestrictedSyncConflict]);
export type SyncConflict = z.infer<typeof SyncConflict>;

/**
 * A restricted conflict as the privacy officer reviews it: whose change, which patient (named, as
 * in the emergency access review), what kind of record, when, and whether central changed or
 * deleted it meanwhile; never either version's content. The privacy officer reviews access, not
 * care (PRODUCT.md: audit trail and break-glass review, no clinical data): whether the change was
 * made under an access that was proper, released in the clinician's name or discarded (issue 17).
 */
export const RestrictedConflictReview = z.object({
  id: z.number().int(),
  userId: z.string(),
  userName: z.string().nullable(),
  patientId: z.string().nullable(),
  patientName: z.string().nullable(),
  resourceType: z.string(),
  /** The kind of record in words ("Allergy record"), from its type alone. */
  record: z.string(),
  /** Central's side: it holds a newer version, or it deleted the record. */
  central: z.enum(['changed', 'deleted']),
  detectedAt: z.number(),
});
export type RestrictedConflictReview = z.infer<typeof RestrictedConflictReview>;

/** Release: the clinician's change is sent as it was, in their name. Discard: central's version stays. */
export const RestrictedConflictDecision = z.enum(['release', 'discard']);
export type RestrictedConflictDecision = z.infer<typeof RestrictedConflictDecision>;
