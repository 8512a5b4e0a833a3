import { recordCentralContact } from '../contact/index.ts';
import type { SyncStatus } from '../../src-shared/sync/status.ts';
import type { TimerHandle, Timers } from '../ports.ts';
import type { Logger } from '../log/index.ts';
import type { Clock } from '../ports.ts';
import type { Database } from '../vault/index.ts';
import { fetchWithRetry, SyncHttpError, type HttpDeps } from './http.ts';
import { outboxCounts, pendingCountOf } from './outbox.ts';
import { startPageReader, type PageReader } from './page-reader.ts';
import { DEFAULT_PAGE_LIMITS, pullAll, type PullResult } from './pull.ts';
import type { PageLimits } from './pages.ts';
import type { CacheScope } from '../../src-shared/policy/schema.ts';
import { pushOutbox, type TokenAnswer } from './push.ts';
import { errorName } from '../base/index.ts';

/**
 * The sync engine's schedule and status: a round pushes the outbox (every user's changes, each
 * under its own user's token), then pulls under the signed-in user's token. Rounds run every
 * `intervalMs`, soon after a local change (kick), and on demand (syncNow); one at a time, a
 * request during a round runs one more after it. Offline is a state, not an error: the changes
 * wait in the outbox and the next round tries again.
 */
export interface SyncEngine {
  status(): SyncStatus;
  /** A local change was queued, or someone signed in: a round soon. */
  kick(): void;
  /** A round now (joining one that runs); answers with the status after it. */
  syncNow(): Promise<SyncStatus>;
  /** Someone signed in or out: announces the status (counts change with who may see them). */
  announce(): void;
  stop(): Promise<void>;
}

export interface SyncEngineOptions extends Pick<HttpDeps, 'allowLoopbackHttp' | 'fetch' | 'retry' | 'sleep'> {
  db(): Database;
  fhirBaseUrl: string;
  /** The signed-in user's access token (null: nobody, or signed in offline with a PIN). */
  accessToken(): string | null;
  /**
   * The signed-in user when they signed in with a PIN only (no token for central, so their changes
   * wait for a full sign-in); null otherwise.
   */
  pinOnlyUser?(): string | null;
  /** A token for the user who made a change (see PushOptions.tokenFor). */
  tokenFor(userId: string): Promise<TokenAnswer>;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  onChange(status: SyncStatus): void;
  /** Policy central.tlsPins (the pull's page worker makes its own connections). */
  tlsPins?: readonly string[];
  /** What central may send (policy central.maxResponseMiB...). */
  limits?: PageLimits;
  /** Which patients the cache keeps (policy cache.scope); every patient unless told. */
  scope?: CacheScope;
  intervalMs?: number;
  /** Delay after a local change before its round (changes made together go together). */
  kickDelayMs?: number;
  pageSize?: number;
  /** Starts the pull's page worker (startPageReader unless told: tests count the threads started). */
  startPageReader?: typeof startPageReader;
}

/**
 * Fewer, shorter retries than a single request would get: a round runs again soon anyway, and a
 * clinician pressing "Sync now" should learn "offline" in about two seconds, not thirty.
 */
const ROUND_RETRY = { attempts: 4, baseDelayMs: 250, maxDelayMs: 2_000, timeoutMs: 20_000 };

/** The outbox's counts; none without a vault (the vault's own error is shown instead). */
function waiting(
  db: () => Database,
  pinOnlyUser: string | null = null,
): { pending: number; conflicts: number; held: number; waitingForSignIn: number } {
  try {
    const counts = outboxCounts(db());
    return { ...counts, waitingForSignIn: pinOnlyUser === null ? 0 : pendingCountOf(db(), pinOnlyUser) };
  } catch {
    return { pending: 0, conflicts: 0, held: 0, waitingForSignIn: 0 };
  }
}

/**
 * A round that neither sent nor read anything (nothing to send, and a PIN-only session cannot
 * read) has not heard from central: it asks central's CapabilityStatement, which needs no token,
 * so "Online" is only ever said after central answered.
 */
async function probeCentral(fhirBaseUrl: string, http: HttpDeps): Promise<void> {
  const response = await fetchWithRetry(
    `${fhirBaseUrl.replace(/\/$/, '')}/metadata`,
    { method: 'GET', headers: { accept: 'application/fhir+json' } },
    http,
  );
  await response.body?.cancel();
  if (!response.ok)
    throw new SyncHttpError(`http-${response.status}`, `Central answered HTTP ${response.status}.`, response.status);
}

function problemOf(error: unknown): string {
  if (error instanceof SyncHttpError) {
    if (error.reason === 'network') return 'Central could not be reached.';
    if (error.reason === 'timeout') return 'Central did not answer in time.';
    if (error.reason === 'reader-failed')
      return 'Central answered, but this workstation could not read a page (see the log).';
    if (error.status === 401) return 'Central did not accept the sign-in; sign in again if this lasts.';
    if (error.status !== null) return `Central answered HTTP ${error.status}.`;
    if (error.reason === 'malformed-response') return 'Central sent an answer that could not be read.';
    return error.message;
  }
  return 'Sync stopped on an unexpected error (see the log).';
}

/**
 * A round where central answered but not everything could be kept: said as such, never as
 * "offline" (counts and type names only; the particulars are in sync diagnostics).
 */
export function pullProblem(results: Record<string, PullResult>): string | null {
  const refused = Object.values(results).reduce((sum, result) => sum + result.rejected, 0);
  const stopped = Object.entries(results).filter(([, result]) => result.failed !== null);
  const parts: string[] = [];
  if (refused > 0) parts.push(`${refused} ${refused === 1 ? 'resource was' : 'resources were'} refused`);
  if (stopped.length > 0)
    parts.push(`the ${stopped.map(([type]) => type).join(', ')} read stopped (${stopped[0]![1].failed})`);
  return parts.length > 0 ? `Central answered, but ${parts.join(' and ')}` : null;
}

export function createSyncEngine(options: SyncEngineOptions): SyncEngine {
  const interval = options.intervalMs ?? 60_000;
  const kickDelay = options.kickDelayMs ?? 500;
  let connection: SyncStatus['connection'] = 'unknown';
  let lastSyncedAt: number | null = null;
  let problem: string | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let timer: TimerHandle | null = null;
  let stopped = false;

  const status = (): SyncStatus => {
    const pinOnly = options.pinOnlyUser?.() ?? null;
    return { connection, syncing: running !== null, lastSyncedAt, problem, ...waiting(options.db, pinOnly) };
  };
  const announce = () => options.onChange(status());

  // The pull's page worker, kept across rounds: started when someone signs in (kick), while the
  // round waits its short delay, so a round never waits for a thread to start and load the
  // validation (about half a second of CPU, every round before). One a round left unusable (a
  // failure mid-search, a crash) is replaced at the next.
  let reader: PageReader | null = null;
  const pageReader = (): PageReader => {
    if (reader?.usable()) return reader;
    void reader?.close();
    return (reader = (options.startPageReader ?? startPageReader)(options.limits ?? DEFAULT_PAGE_LIMITS));
  };

  const schedule = (delay: number) => {
    if (stopped) return;
    if (timer !== null) options.timers.clearTimeout(timer);
    timer = options.timers.setTimeout(() => {
      timer = null;
      void round();
    }, delay);
  };

  async function once(): Promise<void> {
    const db = options.db();
    const http = {
      allowLoopbackHttp: options.allowLoopbackHttp,
      retry: { ...ROUND_RETRY, ...options.retry },
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    };
    try {
      const pushed = await pushOutbox({
        ...http,
        db,
        fhirBaseUrl: options.fhirBaseUrl,
        tokenFor: options.tokenFor,
        clock: options.clock,
        logger: options.logger,
        onSettled: announce,
      });
      const token = options.accessToken();
      let pulled: string | null = null;
      if (token !== null) {
        const results = await pullAll({
          ...http,
          db,
          fhirBaseUrl: options.fhirBaseUrl,
          accessToken: token,
          clock: options.clock,
          logger: options.logger,
          reader: pageReader(),
          tlsPins: options.tlsPins ?? [],
          ...(options.limits ? { limits: options.limits } : {}),
          ...(options.scope ? { scope: options.scope } : {}),
          ...(options.pageSize ? { pageSize: options.pageSize } : {}),
        });
        pulled = pullProblem(results);
        lastSyncedAt = options.clock.now();
        // Central answered under a user's token: offline expiry starts again.
        recordCentralContact(db, lastSyncedAt);
      } else if (pushed.pushed + pushed.conflicts === 0) {
        await probeCentral(options.fhirBaseUrl, http);
      }
      connection = 'online';
      problem = pulled;
    } catch (error) {
      const offline =
        error instanceof SyncHttpError &&
        (error.reason === 'network' ||
          error.reason === 'timeout' ||
          (error.status !== null && (error.status >= 500 || error.status === 429 || error.status === 408)));
      connection = offline ? 'offline' : 'online';
      problem = problemOf(error);
      options.logger.log('warn', 'sync.round-failed', {
        reason: error instanceof SyncHttpError ? error.reason : 'unknown',
        errorName: errorName(error),
      });
    }
  }

  function round(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      announce();
      do {
        again = false;
        await once();
      } while (again && !stopped);
    })().finally(() => {
      running = null;
      announce();
      schedule(interval);
    });
    return running;
  }

  schedule(0);
  return {
    status,
    kick() {
      announce();
      if (!stopped && options.accessToken() !== null) pageReader();
      schedule(kickDelay);
    },
    async syncNow() {
      // Joining a running round asks it for one more pass, so the latest change is in it.
      await round();
      return status();
    },
    announce,
    async stop() {
      stopped = true;
      if (timer !== null) options.timers.clearTimeout(timer);
      timer = null;
      await running;
      await reader?.close();
      reader = null;
    },
  };
}

/** Before IT enrolls the workstation (no central in policy): local changes wait, nothing syncs. */
export function unenrolledSyncEngine(db: () => Database): SyncEngine {
  const status = (): SyncStatus => {
    return {
      connection: 'unknown',
      syncing: false,
      lastSyncedAt: null,
      problem: 'This workstation is not enrolled with central.',
      ...waiting(db),
    };
  };
  return {
    status,
    kick: () => undefined,
    syncNow: () => Promise.resolve(status()),
    announce: () => undefined,
    stop: () => Promise.resolve(),
  };
}
