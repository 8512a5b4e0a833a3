import { CoreError } from '../base/index.ts';
import { SyncHttpError } from '../sync/index.ts';

/**
 * A failed read of central for a person waiting (a note kept on central, a chart on demand), in
 * the core's words: `offline` when trying again later may work, `forbidden` when central refused
 * this user, `unavailable` when its answer could not be read. Anything else is passed on.
 */
export function centralRefusal(error: unknown, words: { offline: string; refused: string }): unknown {
  if (!(error instanceof SyncHttpError)) return error;
  const status = error.status ?? 0;
  if (status === 401 || status === 403) return new CoreError('forbidden', words.refused);
  if (['network', 'timeout', 'tls'].includes(error.reason) || status === 408 || status === 429 || status >= 500)
    return new CoreError('offline', words.offline);
  return new CoreError('unavailable', 'Central sent an answer this workstation could not read.');
}
