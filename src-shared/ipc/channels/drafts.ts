/**
 * Drafts: what a clinician typed into a chart form (note, vitals, allergy edit) and has not saved,
 * kept by the main process for that user so that a lock does not lose it (drafts.save), given
 * back after an unlock or the same user's next sign-in (drafts.mine) and thrown away on request
 * (drafts.discard). Policy drafts.expiryHours bounds how long one is kept.
 */
import { z } from 'zod';
import { DraftContent, DraftForm } from '../../chart/drafts.ts';
import { defineChannel } from '../define.ts';
import { Empty, FhirId } from './common.ts';

/** How many drafts one user may keep: three forms for each of a shift's patients, with room. */
export const DRAFTS_PER_USER_MAX = 100;

export const SaveDraftRequest = z.object({ patientId: FhirId, draft: DraftContent }).strict();

/** A kept draft as its owner gets it back: the fields only while they may still write that chart. */
export const KeptDraft = z.discriminatedUnion('restorable', [
  z.object({
    restorable: z.literal(true),
    patientId: FhirId,
    draft: DraftContent,
    updatedAt: z.number(),
  }),
  /**
   * Kept, but the user's access to that chart ended (a break-glass grant over, a care team left):
   * nothing of it is shown, not even whose chart it was, until access comes back or it expires.
   */
  z.object({ restorable: z.literal(false), form: DraftForm, updatedAt: z.number() }),
]);
export type KeptDraft = z.infer<typeof KeptDraft>;

export const DiscardDraftRequest = z.union([
  z.object({ patientId: FhirId, form: DraftForm }).strict(),
  /** Every draft of the signed-in user ("Discard drafts" before switching user). */
  z.object({ all: z.literal(true) }).strict(),
]);

export const draftChannels = {
  /**
   * Keeps a form's draft (the window sends it a moment after typing stops, at the lock warning and
   * at the lock itself). `signedIn`, not `session`: the lock may come from the OS or the idle
   * timer before the window heard of it, so a save that arrives a few seconds after the lock is
   * still taken; the drafts room checks the role, the chart access and that grace period itself.
   */
  'drafts.save': defineChannel({
    request: SaveDraftRequest,
    response: z.object({ savedAt: z.number() }).strict(),
    access: { kind: 'signedIn' },
    phi: false,
  }),
  /**
   * Where the user was when the screen locked: the chart open then (null: none), sent by the window
   * at the lock with its drafts, kept in memory only until the unlock asks (drafts.mine) or the
   * session ends. Same grace period after a lock as drafts.save.
   */
  'drafts.keepPlace': defineChannel({
    request: z.object({ patientId: FhirId.nullable() }).strict(),
    response: z.object({}).strict(),
    access: { kind: 'signedIn' },
    phi: false,
  }),
  /**
   * The signed-in user's kept drafts, newest first (restoring them is audited per patient), and
   * the chart that was open at the lock (once: asking again gives null). Opening it is the
   * window's patients.open, authorized and audited as any.
   */
  'drafts.mine': defineChannel({
    request: Empty,
    response: z.object({ drafts: z.array(KeptDraft).max(DRAFTS_PER_USER_MAX), openChart: FhirId.nullable() }),
    // About no one patient, so the router checks the session only; the drafts room asks for a
    // role that writes charts, and for each draft's patient whether its chart may still be written.
    access: { kind: 'session', permission: 'patient.demographics.read' },
    phi: true,
  }),
  /** Throws drafts away (after a save, Cancel, or "Discard drafts"): audited with their patients. */
  'drafts.discard': defineChannel({
    request: DiscardDraftRequest,
    response: z.object({ discarded: z.number().int() }).strict(),
    // One's own drafts may always be thrown away, access to the chart or not (the room checks the role).
    access: { kind: 'session', permission: 'patient.demographics.read' },
    phi: false,
  }),
  /** How many drafts the signed-in user keeps (a count, no PHI): asked before switching user. */
  'drafts.count': defineChannel({
    request: Empty,
    response: z.object({ count: z.number().int() }).strict(),
    access: { kind: 'signedIn' },
    phi: false,
  }),
} as const;
