import { z } from 'zod';

/**
 * The small, closed set of error codes that cross the IPC boundary. Messages that travel with
 * them are written by the main process for people and never contain PHI.
 */
export const IpcErrorCode = z.enum([
  'LOCKED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'INVALID',
  'NOT_FOUND',
  'CONFLICT',
  'OFFLINE',
  'UNAVAILABLE',
  /** Another writer held the cache past the bounded wait; nothing was changed, try again. */
  'BUSY',
  /** The disk is full; nothing stored was lost, and nothing new was stored. */
  'DISK_FULL',
  'INTERNAL',
]);
export type IpcErrorCode = z.infer<typeof IpcErrorCode>;

export const IpcError = z.object({
  code: IpcErrorCode,
  message: z.string().max(500),
});
export type IpcError = z.infer<typeof IpcError>;

/** Every invoke answers with exactly one of these; the renderer never sees a thrown exception. */
export const ipcResult = <T extends z.ZodType>(data: T) =>
  z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), data }),
    z.object({ ok: z.literal(false), error: IpcError }),
  ]);

export type IpcResult<T> = { ok: true; data: T } | { ok: false; error: IpcError };
