/**
 * Break-glass channels: emergency access to the chart of a patient outside the user's care team
 * (reason, justification and PIN again), and the privacy officer's review of those grants.
 */
import { z } from 'zod';
import { defineChannel } from '../define.ts';
import { Empty, FhirId, Pin } from './common.ts';

/** One emergency access as the privacy officer reviews it: who, which patient, why, how long, what was viewed. */
export const BreakGlassReviewItem = z.object({
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
});

export const BreakGlassReviewQueue = z.object({
  items: z.array(BreakGlassReviewItem),
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

/**
 * Which emergency accesses the history lists and exports: awaiting review, reviewed, or both; one
 * user's; started within [from, to] (epoch ms, both inclusive).
 */
export const ReviewHistoryFilter = z
  .object({
    status: z.enum(['awaiting', 'reviewed', 'all']).default('all'),
    userId: z.string().min(1).max(256).optional(),
    from: z.number().int().nonnegative().optional(),
    to: z.number().int().nonnegative().optional(),
  })
  .strict()
  .refine((f) => f.from === undefined || f.to === undefined || f.from <= f.to, {
    message: 'The start of the date range is after its end',
    path: ['from'],
  });
export type ReviewHistoryFilter = z.output<typeof ReviewHistoryFilter>;

/** The review of an emergency access: who reviewed it, when, and their comment. */
export const GrantReview = z.object({
  reviewerId: z.string(),
  reviewerName: z.string().nullable(),
  reviewedAt: z.number(),
  comment: z.string(),
});

export const BreakGlassReviewHistory = z.object({
  items: z.array(BreakGlassReviewItem.extend({ review: GrantReview.nullable() })),
  /** Everyone with an emergency access on record here, for the user filter. */
  users: z.array(z.object({ userId: z.string(), userName: z.string().nullable() })),
});
export type BreakGlassReviewHistory = z.infer<typeof BreakGlassReviewHistory>;

export const ReviewExportFormat = z.enum(['csv', 'json']);
export type ReviewExportFormat = z.infer<typeof ReviewExportFormat>;

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
  /** Emergency accesses, reviewed or not, as the filter asks, newest first, with each review. */
  'breakGlass.reviewHistory': defineChannel({
    request: ReviewHistoryFilter,
    response: BreakGlassReviewHistory,
    access: { kind: 'session', permission: 'audit.read' },
    phi: true,
  }),
  /**
   * The filtered history, written by the main process to the workstation's export folder (the
   * window can neither write files nor download: Electron blocks downloads, so an export never
   * leaves unaudited); audited as an export with its count. Answers where it was written.
   */
  'breakGlass.exportReviews': defineChannel({
    request: z.object({ filter: ReviewHistoryFilter, format: ReviewExportFormat }).strict(),
    response: z.object({ path: z.string(), fileName: z.string(), count: z.number().int() }).strict(),
    access: { kind: 'session', permission: 'audit.read' },
    phi: false,
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
