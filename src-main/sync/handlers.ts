import { AllergyIntolerance, type FhirResource } from '../../src-shared/fhir/index.ts';
import type { SyncConflict } from '../../src-shared/sync/status.ts';
import type { Handlers } from '../ipc/index.ts';
import type { Clock } from '../ports.ts';
import { describeRecord, allergyEditOf, mergedAllergy, readPatientSummary } from '../records/index.ts';
import type { Database } from '../vault/index.ts';
import { ConflictError, openConflict, openConflicts, resolveConflict, type ConflictRecord } from './conflicts.ts';
import type { SyncEngine } from './engine.ts';
import { CoreError } from '../base/index.ts';

type SyncHandlers = Pick<Handlers, 'sync.status' | 'sync.now' | 'sync.conflicts' | 'sync.resolveConflict'>;

export interface SyncHandlerDeps {
  db: () => Database;
  engine: () => SyncEngine;
  clock: Clock;
  displayNameOf: (userId: string) => string;
}

/** A conflict as the clinician sees it: both versions field by field, as display text. */
function conflictView(db: Database, conflict: ConflictRecord): SyncConflict {
  const mine = describeRecord(conflict.mine);
  const theirs = conflict.theirs ? describeRecord(conflict.theirs) : null;
  const labels = [...new Set([...mine.fields.map((f) => f.label), ...(theirs?.fields.map((f) => f.label) ?? [])])];
  const valueOf = (description: typeof mine | null, label: string) =>
    description?.fields.find((f) => f.label === label)?.value ?? null;
  const allergy = AllergyIntolerance.safeParse(conflict.mine);
  return {
    id: conflict.id,
    resourceType: conflict.resourceType,
    resourceId: conflict.resourceId,
    patientId: conflict.patientId,
    patientName: conflict.patientId ? (readPatientSummary(db, conflict.patientId)?.name ?? null) : null,
    what: mine.what,
    detectedAt: conflict.detectedAt,
    fields: [
      ...labels.map((label) => ({ label, mine: valueOf(mine, label), theirs: theirs ? valueOf(theirs, label) : null })),
      ...(theirs ? [] : [{ label: 'On central', mine: null, theirs: 'Deleted' }]),
    ],
    mergeable: allergy.success && conflict.theirs !== null,
    mine: allergy.success ? allergyEditOf(allergy.data) : null,
  };
}

/**
 * The sync channels: status and a round on demand for everyone signed in; conflicts for the
 * clinician whose changes they are (only their own, so nobody decides over another's edit).
 */
export function createSyncHandlers(deps: SyncHandlerDeps): SyncHandlers {
  const { db } = deps;
  return {
    'sync.status': () => deps.engine().status(),
    'sync.now': () => deps.engine().syncNow(),
    'sync.conflicts': (_request, { session, served }) => {
      if (!session) throw new CoreError('unauthenticated', 'Sign in first.');
      const conflicts = openConflicts(db(), session.userId);
      served.resourceRefs = conflicts.map((c) => `${c.resourceType}/${c.resourceId}`);
      return { items: conflicts.map((conflict) => conflictView(db(), conflict)) };
    },
    'sync.resolveConflict': (request, { session, served }) => {
      if (!session) throw new CoreError('unauthenticated', 'Sign in first.');
      const conflict = openConflict(db(), request.conflictId, session.userId);
      if (!conflict) throw new CoreError('notFound', 'No such open conflict.');
      served.resourceRefs = [`${conflict.resourceType}/${conflict.resourceId}`];
      let merged: FhirResource | null = null;
      if (request.choice === 'merged') {
        // A hand merge starts from central's version and applies the clinician's fields; the
        // notes the clinician added in their own version come along as they were written.
        const theirs = conflict.theirs ? AllergyIntolerance.safeParse(conflict.theirs) : null;
        const mine = AllergyIntolerance.safeParse(conflict.mine);
        if (!theirs?.success || !mine.success)
          throw new CoreError('invalid', 'This conflict cannot be merged by hand; keep one of the versions.');
        merged = mergedAllergy(
          theirs.data,
          mine.data,
          request.merged,
          { practitionerId: session.practitionerId, displayName: deps.displayNameOf(session.userId) },
          new Date(deps.clock.now()),
        );
      }
      try {
        resolveConflict(
          db(),
          conflict.id,
          session.userId,
          merged ? { choice: 'merged', merged } : { choice: request.choice as 'mine' | 'theirs' },
          deps.clock,
        );
      } catch (error) {
        if (error instanceof ConflictError) throw new CoreError(error.code, error.message);
        throw error;
      }
      deps.engine().kick();
      return {};
    },
  };
}
