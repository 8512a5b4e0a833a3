/**
 * Unusual access alerts: the privacy officer's queue of alerts not yet reviewed (many charts
 * opened in a short time, repeated failed sign-ins or PINs, a patient sharing the user's family
 * name) and marking one reviewed. Thresholds come from policy `alerts`.
 */
import { z } from 'zod';
import { defineChannel } from '../define.ts';
import { Empty } from './common.ts';

export const AlertKind = z.enum(['chartOpens', 'failedAuth', 'familyName']);
export type AlertKind = z.infer<typeof AlertKind>;

export const AccessAlertQueue = z.object({
  alerts: z.array(
    z.object({
      alertId: z.string(),
      kind: AlertKind,
      /** Null for failed sign-ins under usernames this workstation does not know. */
      userId: z.string().nullable(),
      userName: z.string().nullable(),
      /** The patient of a family-name alert; null for the others. */
      patientId: z.string().nullable(),
      patientName: z.string().nullable(),
      /** How many events (charts, failures) were counted, within windowMinutes. */
      count: z.number().int(),
      windowMinutes: z.number().int(),
      raisedAt: z.number(),
    }),
  ),
});
export type AccessAlertQueue = z.infer<typeof AccessAlertQueue>;

export const alertChannels = {
  /** The privacy officer's unusual access alerts not yet reviewed, oldest first. */
  'alerts.queue': defineChannel({
    request: Empty,
    response: AccessAlertQueue,
    access: { kind: 'session', permission: 'audit.read' },
    phi: true,
  }),
  'alerts.markReviewed': defineChannel({
    request: z
      .object({ alertId: z.uuid(), comment: z.string().trim().min(1, 'Write a comment for the review').max(2000) })
      .strict(),
    response: z.object({}).strict(),
    access: { kind: 'session', permission: 'audit.read' },
    phi: false,
  }),
} as const;
