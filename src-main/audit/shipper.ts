import type { TimerHandle, Timers } from '../ports.ts';
import type { Logger } from '../log/index.ts';
import type { Clock } from '../ports.ts';
import type { Database } from '../vault/index.ts';
import { shipAuditTrail } from './ship.ts';
import { errorName } from '../base/index.ts';

/**
 * The background side of store-and-forward: a round every `intervalMs` while someone is signed in
 * with an access token (the trail is shipped under the signed-in user's token), and at once when
 * kicked (a break-glass grant, a sign-in). One round at a time; a round ships the whole backlog
 * (it stops only on a failure or when the shipper stops); offline rounds just leave the entries
 * for the next.
 */
export interface AuditShipper {
  kick(): void;
  stop(): Promise<void>;
}

export interface AuditShipperOptions {
  db(): Database;
  fhirBaseUrl: string;
  allowLoopbackHttp: boolean;
  /** fetch with policy's TLS rules (net/central-fetch.ts). */
  fetch?: typeof fetch;
  accessToken(): string | null;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  intervalMs?: number;
  /** After a round that shipped everything it could (retention runs then). */
  afterRound?: () => void;
}

export function createAuditShipper(options: AuditShipperOptions): AuditShipper {
  const interval = options.intervalMs ?? 30_000;
  let timer: TimerHandle | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const schedule = () => {
    if (stopped) return;
    if (timer !== null) options.timers.clearTimeout(timer);
    timer = options.timers.setTimeout(() => {
      timer = null;
      round();
    }, interval);
  };

  function round(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    const token = options.accessToken();
    if (token === null) return schedule();
    running = shipAuditTrail({
      db: options.db(),
      fhirBaseUrl: options.fhirBaseUrl,
      allowLoopbackHttp: options.allowLoopbackHttp,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      accessToken: token,
      clock: options.clock,
      logger: options.logger,
      // No cap on batches: a round goes on while a backlog remains (ship.ts sizes each batch),
      // and ends between two batches when the shipper stops.
      shouldContinue: () => !stopped,
    })
      .then(
        (result) => {
          if (result.stoppedBy === null) options.afterRound?.();
        },
        (error: unknown) => options.logger.log('error', 'audit.ship-failed', { errorName: errorName(error) }),
      )
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          round();
        } else schedule();
      });
  }

  schedule();
  return {
    kick: round,
    async stop() {
      stopped = true;
      if (timer !== null) options.timers.clearTimeout(timer);
      await running;
    },
  };
}
