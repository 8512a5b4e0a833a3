import type { CacheScope } from '../../src-shared/policy/schema.ts';
import type { AuditTrail } from '../audit/index.ts';
import { errorName } from '../base/index.ts';
import type { Logger } from '../log/index.ts';
import type { Clock, TimerHandle, Timers } from '../ports.ts';
import { forgetFormerMembers, patientsPastRetention, removePatientRecords } from '../records/index.ts';
import { durably, type Database } from '../vault/index.ts';
import { patientsWithUnsettledChanges } from './outbox-store.ts';
import { dropCursors } from './pull-store.ts';
import { PULLED_TYPES } from './pull.ts';
import { SCOPE_PARAMETER, scopeCursorPrefix } from './scope.ts';

/**
 * Retention (policy cache.retentionDays, issue 15): a patient out of scope keeps their records in
 * the cache for retentionDays after they were last in scope or last opened here, then loses them.
 *
 * "Out of scope" is what the last scoped pull read: it records its members (records'
 * cache_scope_members) in the round it reads them. The cursors could not say it: a member who
 * leaves keeps their cursors until this removes them. With cache.scope "all", or before any
 * scoped pull has read its members, nobody is out of scope and nothing is removed.
 *
 * A patient with any change not settled on central (pending, held, in conflict, or an open
 * conflict) is kept whole and counted as kept: an acknowledged write is never lost. The others
 * lose every resource that names them, their Patient and search rows, and their per-patient
 * cursors (so if they come back into scope they are pulled whole again), in one durable
 * transaction with its audit entry: counts only, never ids or names. secure_delete makes SQLite
 * zero the freed pages (the vault sets it at open; checked here, since this is what relies on it).
 */

export interface RetentionOptions {
  db: Database;
  trail: AuditTrail;
  scope: CacheScope;
  retentionDays: number;
  clock: Clock;
  logger: Logger;
}

export interface RetentionResult {
  patientsRemoved: number;
  resourcesRemoved: number;
  /** Past retention, but with a change not yet settled on central. */
  patientsKept: number;
}

const DAY_MS = 86_400_000;

/** A patient's cursor keys, one per scoped type (`Observation?patient=<id>`, `Patient?_id=<id>`). */
function cursorKeysOf(patientId: string): string[] {
  return PULLED_TYPES.filter((type) => SCOPE_PARAMETER[type] !== null).map(
    (type) => scopeCursorPrefix(type) + patientId,
  );
}

/** One run: null when nothing can be out of scope (scope "all", or no scoped pull yet). */
export function enforceRetention(options: RetentionOptions): RetentionResult | null {
  const { db, clock } = options;
  if (options.scope.kind === 'all') return null;
  if (Number(db.pragma('secure_delete', { simple: true })) !== 1) db.pragma('secure_delete = ON');
  const cutoff = clock.now() - options.retentionDays * DAY_MS;
  return durably(db, () => {
    const past = patientsPastRetention(db, cutoff);
    if (past === null) return null;
    const unsettled = patientsWithUnsettledChanges(db);
    const result: RetentionResult = { patientsRemoved: 0, resourcesRemoved: 0, patientsKept: 0 };
    for (const patientId of past) {
      if (unsettled.has(patientId)) {
        result.patientsKept++;
        continue;
      }
      result.resourcesRemoved += removePatientRecords(db, patientId);
      dropCursors(db, cursorKeysOf(patientId));
      result.patientsRemoved++;
    }
    forgetFormerMembers(db, cutoff);
    if (result.patientsRemoved + result.patientsKept > 0)
      options.trail.append({
        action: 'cache.retention',
        outcome: 'success',
        userId: null,
        role: null,
        detail: `patients-removed:${result.patientsRemoved};resources-removed:${result.resourcesRemoved};patients-kept-unsynced:${result.patientsKept}`,
      });
    return result;
  });
}

/** How often retention runs after the first run at start. */
export const RETENTION_INTERVAL_MS = DAY_MS;

export interface RetentionJobOptions extends Omit<RetentionOptions, 'db' | 'trail'> {
  db(): Database;
  trail(): AuditTrail;
  timers: Timers;
}

/** Retention at start and daily after. A failed run changes nothing (its transaction rolls back). */
export function startCacheRetention(options: RetentionJobOptions): { runNow(): RetentionResult | null; stop(): void } {
  let timer: TimerHandle | null = null;
  let stopped = false;
  const runNow = (): RetentionResult | null => {
    try {
      const result = enforceRetention({ ...options, db: options.db(), trail: options.trail() });
      if (result && result.patientsRemoved > 0)
        options.logger.log('info', 'cache.retention', { count: result.patientsRemoved });
      return result;
    } catch (error) {
      options.logger.log('error', 'cache.retention-failed', { errorName: errorName(error) });
      return null;
    }
  };
  const schedule = (delay: number) => {
    if (stopped) return;
    timer = options.timers.setTimeout(() => {
      timer = null;
      runNow();
      schedule(RETENTION_INTERVAL_MS);
    }, delay);
  };
  schedule(0);
  return {
    runNow,
    stop() {
      stopped = true;
      if (timer !== null) options.timers.clearTimeout(timer);
      timer = null;
    },
  };
}
