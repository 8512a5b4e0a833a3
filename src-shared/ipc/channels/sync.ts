/**
 * Sync channels: the exchange with central. Its status (counts and connection, no PHI), starting a
 * round now, and the signed-in clinician's changes central refused as stale, with how to resolve them.
 */
import { z } from 'zod';
import { defineChannel } from '../define.ts';
import { AllergyEdit } from '../../chart/vitals.ts';
import { RestrictedConflictDecision, RestrictedConflictReview, SyncConflict, SyncStatus } from '../../sync/status.ts';
import { Empty } from './common.ts';

export const syncChannels = {
  /** Counts and connection only: shown on every screen, the lock screen included. */
  'sync.status': defineChannel({ request: Empty, response: SyncStatus, access: { kind: 'signedIn' }, phi: false }),
  /** Start a sync round now (it also runs on its own); answers when the round ends. */
  'sync.now': defineChannel({ request: Empty, response: SyncStatus, access: { kind: 'signedIn' }, phi: false }),
  /**
   * The signed-in clinician's own changes central refused as stale: theirs beside central's. Only
   * their own: each change passed the write check for its patient when it was made, and it spans
   * patients, so the permission here is the one every patient-facing role holds.
   */
  'sync.conflicts': defineChannel({
    request: Empty,
    response: z.object({ items: z.array(SyncConflict) }),
    access: { kind: 'session', permission: 'patient.demographics.read' },
    phi: true,
  }),
  /** Keep mine (sent again over central's version), keep theirs (mine is set aside), or a hand merge. */
  'sync.resolveConflict': defineChannel({
    request: z.discriminatedUnion('choice', [
      z.object({ conflictId: z.number().int().positive(), choice: z.literal('mine') }).strict(),
      z.object({ conflictId: z.number().int().positive(), choice: z.literal('theirs') }).strict(),
      z.object({ conflictId: z.number().int().positive(), choice: z.literal('merged'), merged: AllergyEdit }).strict(),
    ]),
    response: z.object({}).strict(),
    access: { kind: 'session', permission: 'patient.demographics.read' },
    phi: false,
  }),
  /**
   * The privacy officer's queue of conflicts nobody else may decide now: every user's conflicts
   * whose clinician no longer has access to the patient (a grant ended, off the care team).
   */
  'sync.restrictedConflicts': defineChannel({
    request: Empty,
    response: z.object({ items: z.array(RestrictedConflictReview) }),
    access: { kind: 'session', permission: 'conflicts.review' },
    phi: true,
  }),
  /** Release the clinician's change or discard it, with the privacy officer's required comment. */
  'sync.decideRestrictedConflict': defineChannel({
    request: z
      .object({
        conflictId: z.number().int().positive(),
        decision: RestrictedConflictDecision,
        comment: z.string().trim().min(1, 'Write a comment for the decision').max(2000),
      })
      .strict(),
    response: z.object({}).strict(),
    access: { kind: 'session', permission: 'conflicts.review' },
    phi: false,
  }),
} as const;
