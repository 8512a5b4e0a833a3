/**
 * The core's only logger. It takes an event name and a flat record of non-PHI facts (codes,
 * counts, durations, ids the app generates) and drops any field not on the allow list, so a
 * careless call cannot write a patient's name to a log (PRODUCT.md: logs never contain PHI).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, string | number | boolean | null>>;

export interface Logger {
  log(level: LogLevel, event: string, fields?: LogFields): void;
}

/** Field names that may carry a value; anything else is replaced by '[redacted]'. */
const SAFE_FIELDS = new Set([
  'code',
  'count',
  'durationMs',
  'channel',
  'reason',
  'schemaVersion',
  'from',
  'to',
  'port',
  'url',
  'state',
  'errorName',
  'phase',
  'escrowed',
  'attempt',
  'status',
  'workstationId',
  // Remote wipe (counts and a flag): refused orders by reason, what the wipe left and destroyed.
  'malformed',
  'otherWorkstation',
  'auditLeft',
  'unsyncedDestroyed',
  'completed',
]);

export function redact(fields: LogFields | undefined): LogFields | undefined {
  if (!fields) return undefined;
  const out: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = SAFE_FIELDS.has(key) ? value : '[redacted]';
  }
  return out;
}

/** Writes one JSON line per event to a stream (stderr by default). */
export function createJsonLogger(write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  return {
    log(level, event, fields) {
      write(`${JSON.stringify({ time: new Date().toISOString(), level, event, ...redact(fields) })}\n`);
    },
  };
}

/** Collects entries in memory: for tests that assert what was (and was not) logged. */
export function createMemoryLogger(): Logger & { entries: { level: LogLevel; event: string; fields?: LogFields }[] } {
  const entries: { level: LogLevel; event: string; fields?: LogFields }[] = [];
  return {
    entries,
    log(level, event, fields) {
      const redacted = redact(fields);
      entries.push(redacted ? { level, event, fields: redacted } : { level, event });
    },
  };
}
