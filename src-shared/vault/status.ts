import { z } from 'zod';

/**
 * Why the encrypted cache could not be opened. Each code has one meaning and one action for IT;
 * the app fails closed on all of them (PRODUCT.md capability 1).
 */
export const VaultErrorCode = z.enum([
  'KEYCHAIN_UNAVAILABLE',
  'KEY_MISSING',
  'DATABASE_MISSING',
  'WRONG_KEY',
  'CORRUPT',
  'SCHEMA_TOO_NEW',
  'ESCROW_FAILED',
  'IN_USE',
  'ROLLED_BACK',
  'DISK_FULL',
  /** IT ordered this workstation wiped from central (issue 15); it needs re-enrolling. */
  'WIPED',
]);
export type VaultErrorCode = z.infer<typeof VaultErrorCode>;

export const VaultStatus = z.discriminatedUnion('state', [
  z.object({ state: z.literal('ready'), schemaVersion: z.number().int().nonnegative(), escrowed: z.boolean() }),
  z.object({
    state: z.literal('error'),
    code: VaultErrorCode,
    /** One line for IT: what happened. */
    title: z.string(),
    /** What IT should do next. */
    action: z.string(),
    /** The particulars (files, the process holding the cache); never PHI. */
    detail: z.string().max(500).optional(),
  }),
]);
export type VaultStatus = z.infer<typeof VaultStatus>;
