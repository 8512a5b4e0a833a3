/**
 * Break-glass channels: emergency access to the chart of a patient outside the user's care team
 * (reason, justification and PIN again), and the privacy officer's review of those grants.
 */
import { z } from 'zod';
import { defineChannel } from '../define.ts';
import { Empty, FhirId, Pin } from './common.ts';

export const BreakGlassReviewQueue = z.object({
  items: z.array(
    z.object({
      grantId: z.string(),
      userId: z.string(),
      userName: z.string().nullable(),
      role: z.string(),
      patientId: z.string(),
      patientName: z.string().nullable(),
      reasonCode: z.string(),
      reasonDisplay: z.string(),
      justification: z.string(),
      startedAt: z.number(),
      endedAt: z.number().nullable(),
      endReason: z.string().nullable(),
      expiresAt: z.number(),
      viewed: z.array(z.object({ at: z.number(), what: z.string() })),
    }),
  ),
  alerts: z.array(
    z.object({
      userId: z.string(),
      userName: z.string().nullable(),
      count: z.number().int(),
      shiftHours: z.number().int(),
    }),
  ),
});
export type BreakGlassReviewQueue = z.infer<typeof BreakGlassReviewQueue>;

export const breakGlassChannels = {
  /** Break-glass: reason, justification and the PIN again; the grant is durable before this answers. */
  'breakGlass.request': defineChannel({
    request: z
      .object({
        patientId: FhirId,
        reason: z.string().regex(/^[A-Z][A-Z0-9]{1,19}$/, 'Choose one of the listed reasons'),
        justification: z.string().max(2000, 'The justification is too long'),
        pin: Pin,
      })
      .strict(),
    response: z.object({ expiresAt: z.number() }),
    access: {
      kind: 'session',
      permission: 'patient.emergencyAccess',
      patientOf: (request: { patientId: string }) => request.patientId,
    },
    phi: false,
  }),
  /**
   * "End emergency access": the user ends their own grant to this patient before it expires
   * (audited as an Emergency Override Stopped, reason "endedByUser"). NOT_FOUND when they hold none.
   */
  'breakGlass.end': defineChannel({
    request: z.object({ patientId: FhirId }).strict(),
    response: z.object({}).strict(),
    access: {
      kind: 'session',
      permission: 'patient.emergencyAccess',
      patientOf: (request: { patientId: string }) => request.patientId,
    },
    phi: false,
  }),
  /** The privacy officer's queue of break-glass events not yet reviewed, and alerts. */
  'breakGlass.reviewQueue': defineChannel({
    request: Empty,
    response: BreakGlassReviewQueue,
    access: { kind: 'session', permission: 'audit.read' },
    phi: true,
  }),
  'breakGlass.markReviewed': defineChannel({
    request: z
      .object({ grantId: z.uuid(), comment: z.string().trim().min(1, 'Write a comment for the review').max(2000) })
      .strict(),
    response: z.object({}).strict(),
    access: { kind: 'session', permission: 'audit.read' },
    phi: false,
  }),
} as const;
