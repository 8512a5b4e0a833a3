import { roleHasPermission } from '../../src-shared/access/roles.ts';
import type { DraftContent } from '../../src-shared/chart/drafts.ts';
import { DRAFTS_PER_USER_MAX, type KeptDraft } from '../../src-shared/ipc/contract.ts';
import type { Policy } from '../../src-shared/policy/schema.ts';
import type { AccessDecision, DenialReason } from '../access/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import { CoreError, errorName, type Events } from '../base/index.ts';
import type { ServedPatient, Session } from '../ipc/index.ts';
import type { Logger } from '../log/index.ts';
import type { Clock, TimerHandle, Timers } from '../ports.ts';
import type { SessionEvents } from '../session/index.ts';
import { durably, type Database } from '../vault/index.ts';
import { deleteDrafts, deleteExpiredDrafts, draftCountOf, draftExists, draftsOf, putDraft } from './draft-store.ts';

/**
 * How long after a lock the window's last save is still taken. The idle timer, the OS lock and
 * suspend lock in the main process first; the window hears of it a moment later and sends what
 * was typed since its last save before it empties itself. Ten seconds covers a busy machine; past
 * it a locked session takes nothing (a locked screen has nobody typing into it).
 */
export const LOCK_SAVE_GRACE_MS = 10_000;
/** Expired drafts are deleted at every sign-in and this often in between. */
export const PURGE_EVERY_MS = 5 * 60_000;

export interface DraftsDeps {
  db(): Database;
  trail(): Pick<AuditTrail, 'append'>;
  policy: Policy['drafts'];
  clock: Clock;
  timers: Timers;
  logger: Logger;
  /** The access decision for writing this patient's chart now: care team, or an active grant. */
  mayWrite(session: Session, patientId: string): AccessDecision;
  /** False where there is no cache to purge (the IT error screen): no timer then. */
  purgeOnTimer?: boolean;
}

/** A refusal that names its patient and rule, so the router's audit entry records both. */
export class DraftRefusal extends CoreError {
  constructor(
    readonly patientId: string,
    readonly denial: DenialReason,
    message: string,
  ) {
    super('forbidden', message);
  }
}

export interface Drafts {
  /** Keeps (or replaces) one form's draft; returns when it was saved. */
  save(session: Session, patientId: string, draft: DraftContent): number;
  /** Remembers the chart open at the lock (in memory, until asked or the session ends). */
  keepPlace(session: Session, patientId: string | null): void;
  /**
   * The user's unexpired drafts, newest first, the patients whose drafts are given back, and the
   * chart open at the lock (given once).
   */
  mine(session: Session): { drafts: KeptDraft[]; restored: ServedPatient[]; openChart: string | null };
  discard(session: Session, which: { patientId: string; form: DraftContent['form'] } | 'all'): number;
  count(session: Session): number;
  /** Deletes every expired draft (audited as counts per user); returns how many went. */
  purgeExpired(): number;
  /** Reacts to the session: the lock's grace period, a purge at each sign-in. */
  follow(events: Events<SessionEvents>): void;
  close(): void;
}

export function createDrafts(deps: DraftsDeps): Drafts {
  const { db, clock } = deps;
  const lockedAt = new Map<string, number>();
  /** The chart each user had open when the screen locked: ids only, in memory, never on disk. */
  const placeOf = new Map<string, string>();
  const expiryMs = deps.policy.expiryHours * 3_600_000;
  const oldestKept = () => clock.now() - expiryMs;
  let timer: TimerHandle | null = null;
  const unsubscribe: (() => void)[] = [];

  const requireWriter = (session: Session) => {
    if (!roleHasPermission(session.role, 'patient.clinical.write'))
      throw new CoreError('forbidden', 'Your role does not allow this.');
  };

  const purgeExpired = () => {
    const purged = durably(db(), () => {
      const counts = deleteExpiredDrafts(db(), oldestKept());
      // Counts only: which patients' drafts expired is nobody's business once they are gone, and
      // the drafts were never part of the record.
      for (const [userId, count] of counts)
        deps.trail().append({
          action: 'draft.purge',
          outcome: 'success',
          userId,
          role: null,
          detail: `expired:${count}`,
        });
      return [...counts.values()].reduce((a, b) => a + b, 0);
    });
    return purged;
  };
  const purgeQuietly = () => {
    try {
      purgeExpired();
    } catch (error) {
      deps.logger.log('error', 'drafts.purge-failed', { errorName: errorName(error) });
    }
  };
  const schedule = () => {
    timer = deps.timers.setTimeout(() => {
      purgeQuietly();
      schedule();
    }, PURGE_EVERY_MS);
  };
  schedule();

  /** A locked session takes the window's last word only within the grace period after the lock. */
  const requireJustLocked = (session: Session) => {
    if (!session.locked) return;
    const since = lockedAt.get(session.userId);
    if (since === undefined || clock.now() - since > LOCK_SAVE_GRACE_MS)
      throw new CoreError('locked', 'The workstation is locked.');
  };

  return {
    keepPlace(session, patientId) {
      requireJustLocked(session);
      requireWriter(session);
      if (patientId === null) placeOf.delete(session.userId);
      else placeOf.set(session.userId, patientId);
    },
    save(session, patientId, draft) {
      requireJustLocked(session);
      requireWriter(session);
      // Kept only while this user may write this chart: a draft is not a way into a record.
      const decision = deps.mayWrite(session, patientId);
      if (!decision.allowed)
        throw new DraftRefusal(patientId, decision.reason, 'You may not write in this patient\u2019s chart.');
      const now = clock.now();
      durably(db(), () => {
        const isNew = !draftExists(db(), session.userId, patientId, draft.form);
        if (isNew && draftCountOf(db(), session.userId, 0) >= DRAFTS_PER_USER_MAX)
          throw new CoreError('invalid', 'Too many unsaved drafts: save or discard some first.');
        putDraft(db(), session.userId, patientId, draft, now);
      });
      return now;
    },
    mine(session) {
      requireWriter(session);
      const drafts: KeptDraft[] = [];
      const restored = new Map<string, ServedPatient>();
      for (const kept of draftsOf(db(), session.userId, oldestKept(), DRAFTS_PER_USER_MAX)) {
        // Asked now, not when the draft was saved: a break-glass grant may have ended since.
        const decision = deps.mayWrite(session, kept.patientId);
        if (decision.allowed && kept.draft) {
          drafts.push({ restorable: true, patientId: kept.patientId, draft: kept.draft, updatedAt: kept.updatedAt });
          if (!restored.has(kept.patientId))
            restored.set(kept.patientId, { patientId: kept.patientId, decision, resourceRefs: [] });
        } else {
          drafts.push({ restorable: false, form: kept.form, updatedAt: kept.updatedAt });
        }
      }
      const openChart = placeOf.get(session.userId) ?? null;
      placeOf.delete(session.userId);
      return { drafts, restored: [...restored.values()], openChart };
    },
    discard(session, which) {
      requireWriter(session);
      return durably(db(), () => {
        const patients = deleteDrafts(db(), session.userId, which);
        for (const patientId of new Set(patients))
          deps.trail().append({
            action: 'draft.discard',
            outcome: 'success',
            userId: session.userId,
            role: session.role,
            patientId,
            detail: which === 'all' ? 'all' : which.form,
          });
        return patients.length;
      });
    },
    count: (session) => draftCountOf(db(), session.userId, oldestKept()),
    purgeExpired,
    follow(events) {
      unsubscribe.push(
        events.on('locked', ({ userId }) => lockedAt.set(userId, clock.now())),
        events.on('unlocked', ({ userId }) => lockedAt.delete(userId)),
        events.on('ended', ({ userId }) => {
          lockedAt.delete(userId);
          placeOf.delete(userId);
        }),
        events.on('signedIn', purgeQuietly),
      );
    },
    close() {
      if (timer) deps.timers.clearTimeout(timer);
      timer = null;
      for (const off of unsubscribe.splice(0)) off();
    },
  };
}
