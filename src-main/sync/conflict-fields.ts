import type { ShownSyncConflict } from '../../src-shared/sync/status.ts';
import { describeRecord } from '../records/index.ts';
import type { ConflictRecord } from './conflicts.ts';

/**
 * A conflict's two versions field by field, as display text built here (never raw FHIR in the
 * window): what the clinician and the privacy officer compare before they decide.
 */
export function versionFields(conflict: ConflictRecord): Pick<ShownSyncConflict, 'what' | 'fields'> {
  const mine = describeRecord(conflict.mine);
  const theirs = conflict.theirs ? describeRecord(conflict.theirs) : null;
  const labels = [...new Set([...mine.fields.map((f) => f.label), ...(theirs?.fields.map((f) => f.label) ?? [])])];
  const valueOf = (description: typeof mine | null, label: string) =>
    description?.fields.find((f) => f.label === label)?.value ?? null;
  return {
    what: mine.what,
    fields: [
      ...labels.map((label) => ({ label, mine: valueOf(mine, label), theirs: theirs ? valueOf(theirs, label) : null })),
      ...(theirs ? [] : [{ label: 'On central', mine: null, theirs: 'Deleted' }]),
    ],
  };
}
