/**
 * Fault injection for the central services: a test switches a fault on for requests matching a
 * method and a path pattern, for a number of requests (default 1) or until it is removed.
 * The first matching rule with requests left applies; a `latency` rule delays the request and
 * lets the next matching rule (or the normal handling) answer.
 */
export type FaultKind =
  /** Wait `ms` before handling the request normally (or before the next matching fault). */
  | { kind: 'latency'; ms: number }
  /** 429 Too Many Requests with a Retry-After header (seconds, default 1). */
  | { kind: 'rate-limit'; retryAfterSeconds?: number }
  /** An HTTP error status with an OperationOutcome body (500, 502, 503, 504...); optional Retry-After. */
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  /** Handle the request, send the headers and half the body, then reset the connection. */
  | { kind: 'reset' }
  /** Handle the request, then answer 200 with a body that is not valid JSON. */
  | { kind: 'malformed-json' }
  /** Handle the request, then corrupt the returned resource (or first bundle entry) so it fails schema validation. */
  | { kind: 'invalid-resource' }
  /** Answer 412 Precondition Failed without applying the write. */
  | { kind: 'precondition-failed' }
  /** Drop the connection without handling the request: central unreachable, as a client sees it. */
  | { kind: 'unreachable' };

export type FaultRule = FaultKind & {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Pattern tested against the request path with its query, e.g. `/fhir/R4/Patient?_count=10`. */
  path?: RegExp | string;
  /** How many matching requests the fault applies to (default 1; Infinity for all). */
  times?: number;
  /** Which service (default "fhir"). */
  service?: 'fhir' | 'idp';
};

export interface FaultHandle {
  readonly id: number;
  /** Requests this fault has applied to so far. */
  readonly hits: number;
  /** Requests it may still apply to. */
  readonly remaining: number;
  remove(): void;
}

export interface ActiveFault {
  kind: FaultKind;
  handle: FaultHandle;
}

interface Entry {
  id: number;
  rule: FaultRule;
  pattern: RegExp | undefined;
  hits: number;
  remaining: number;
}

export class FaultInjector {
  private readonly entries: Entry[] = [];
  private nextId = 1;

  /** Switches a fault on; returns a handle to watch or remove it. */
  inject(rule: FaultRule): FaultHandle {
    const times = rule.times ?? 1;
    if (!(times > 0)) throw new RangeError('times must be positive');
    const entry: Entry = {
      id: this.nextId++,
      rule,
      pattern: rule.path === undefined ? undefined : typeof rule.path === 'string' ? new RegExp(rule.path) : rule.path,
      hits: 0,
      remaining: times,
    };
    this.entries.push(entry);
    return this.handle(entry);
  }

  /** 412 on the next update (PUT) of a path matching the pattern. */
  failNextUpdate(path: RegExp | string = /.*/): FaultHandle {
    return this.inject({ kind: 'precondition-failed', method: 'PUT', path });
  }

  clear(): void {
    this.entries.length = 0;
  }

  /** Rules still active. */
  get pending(): number {
    return this.entries.length;
  }

  private handle(entry: Entry): FaultHandle {
    return {
      id: entry.id,
      get hits() {
        return entry.hits;
      },
      get remaining() {
        return entry.remaining;
      },
      remove: () => this.remove(entry),
    };
  }

  private remove(entry: Entry): void {
    const index = this.entries.indexOf(entry);
    if (index >= 0) this.entries.splice(index, 1);
  }

  /**
   * The faults for one request, in order: any number of latency faults, then at most one other.
   * Each returned fault has been counted against its `times`.
   */
  take(service: 'fhir' | 'idp', method: string, pathWithQuery: string): ActiveFault[] {
    const out: ActiveFault[] = [];
    for (const entry of [...this.entries]) {
      const { rule } = entry;
      if ((rule.service ?? 'fhir') !== service) continue;
      if (rule.method !== undefined && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (entry.pattern && !entry.pattern.test(pathWithQuery)) continue;
      entry.hits++;
      entry.remaining--;
      if (entry.remaining <= 0) this.remove(entry);
      out.push({ kind: kindOf(rule), handle: this.handle(entry) });
      if (rule.kind !== 'latency') break;
    }
    return out;
  }
}

function kindOf(rule: FaultRule): FaultKind {
  switch (rule.kind) {
    case 'latency':
      return { kind: 'latency', ms: rule.ms };
    case 'rate-limit':
      return rule.retryAfterSeconds === undefined
        ? { kind: 'rate-limit' }
        : { kind: 'rate-limit', retryAfterSeconds: rule.retryAfterSeconds };
    case 'status':
      return rule.retryAfterSeconds === undefined
        ? { kind: 'status', status: rule.status }
        : { kind: 'status', status: rule.status, retryAfterSeconds: rule.retryAfterSeconds };
    default:
      return { kind: rule.kind };
  }
}
