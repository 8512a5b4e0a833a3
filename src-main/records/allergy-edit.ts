import { isDeepStrictEqual } from 'node:util';
import type { AllergyEdit } from '../../src-shared/chart/vitals.ts';
import type { ShownSyncConflict } from '../../src-shared/sync/status.ts';
import { ALLERGY_CLINICAL_SYSTEM, type AllergyIntolerance } from '../../src-shared/fhir/index.ts';
import type { Author } from './edits.ts';

/**
 * An allergy edit as a new version of the stored AllergyIntolerance that loses nothing: every
 * element the edit does not change is kept exactly as central sent it (extensions, identifiers,
 * reactions, elements this workstation does not model). What the form changes:
 *
 * - `criticality`: replaced when it differs; its primitive extensions (`_criticality`) described
 *   the old value, so they go with it.
 * - `clinicalStatus`: replaced by one coding of the R4 code system when the code differs; the old
 *   concept's text, translations and extensions described the old status. Unchanged: kept as is.
 * - `note`: the comment is appended as a new Annotation, the only one that carries this author
 *   and this time. Existing notes are kept exactly (never re-attributed, never dropped); an empty
 *   comment adds none and removes none.
 * - `text`: see `narrativeAfterChange`.
 *
 * `meta` is kept; the outbox takes off what only central sets (versionId, lastUpdated, source).
 */

const CLINICAL_STATUS_DISPLAY = { active: 'Active', inactive: 'Inactive', resolved: 'Resolved' } as const;

type Annotation = NonNullable<AllergyIntolerance['note']>[number];
type Narrative = NonNullable<AllergyIntolerance['text']>;

const clinicalStatusCode = (allergy: AllergyIntolerance): string | null =>
  allergy.clinicalStatus?.coding?.find((c) => c.system === ALLERGY_CLINICAL_SYSTEM)?.code ?? null;

function annotation(text: string, author: Author, now: Date): Annotation {
  return {
    ...(author.practitionerId
      ? { authorReference: { reference: `Practitioner/${author.practitionerId}`, display: author.displayName } }
      : { authorString: author.displayName }),
    time: now.toISOString(),
    text,
  };
}

/**
 * The narrative once the structured data changed: removed, unless it is `empty`.
 *
 * Why removed and not kept: the narrative is what other systems display to people. One that says
 * "criticality low" after a clinician marked the allergy high is a clinical-safety hazard, and R4
 * lets a resource go without `text`: receivers then render from the structured data.
 * Why removed and not regenerated: a `generated` narrative is "entirely generated from the
 * structured data", so nothing is lost that the new version does not say itself; `extensions`
 * also renders extensions, whose meaning this workstation cannot know to render them honestly;
 * a narrative we wrote would be one more rendering of clinical data to keep right.
 * `additional` holds something the structured data does not; it is removed too, because it still
 * states the old criticality or status next to the new one, and it is not lost: central keeps the
 * version this edit was based on in its history.
 * `empty` says only that no narrative is available: it cannot contradict anything and is kept.
 */
function narrativeAfterChange(text: Narrative | undefined): Narrative | undefined {
  return text?.status === 'empty' ? text : undefined;
}

/**
 * The allergy with the clinician's criticality, clinical status and comment, and `carried` notes
 * appended before the comment (a hand merge's own notes central does not have yet).
 */
function applyEdit(
  current: AllergyIntolerance,
  edit: AllergyEdit,
  author: Author,
  now: Date,
  carried: readonly Annotation[] = [],
): AllergyIntolerance {
  const next: Record<string, unknown> = { ...current };
  let changed = false;
  if (current.criticality !== edit.criticality) {
    next['criticality'] = edit.criticality;
    delete next['_criticality'];
    changed = true;
  }
  if (clinicalStatusCode(current) !== edit.clinicalStatus) {
    next['clinicalStatus'] = {
      coding: [
        {
          system: ALLERGY_CLINICAL_SYSTEM,
          code: edit.clinicalStatus,
          display: CLINICAL_STATUS_DISPLAY[edit.clinicalStatus],
        },
      ],
    };
    changed = true;
  }
  const comment = edit.note.trim();
  const added = [...carried, ...(comment ? [annotation(comment, author, now)] : [])];
  if (added.length > 0) {
    next['note'] = [...(current.note ?? []), ...added];
    changed = true;
  }
  if (changed) {
    const text = narrativeAfterChange(current.text);
    if (text) next['text'] = text;
    else delete next['text'];
  }
  return next as AllergyIntolerance;
}

/** A clinician's edit of the stored allergy (the version shown in the chart). */
export function editedAllergy(
  current: AllergyIntolerance,
  edit: AllergyEdit,
  author: Author,
  now: Date,
): AllergyIntolerance {
  return applyEdit(current, edit, author, now);
}

/**
 * A hand merge of a conflict: central's version with the clinician's fields, the notes of the
 * clinician's own version that central's lacks (kept exactly as written then, author and time
 * included), then the merge's comment. A note counts as central's when central holds an equal one.
 */
export function mergedAllergy(
  theirs: AllergyIntolerance,
  mine: AllergyIntolerance,
  edit: AllergyEdit,
  author: Author,
  now: Date,
): AllergyIntolerance {
  const central = theirs.note ?? [];
  const carried = (mine.note ?? []).filter((note) => !central.some((kept) => isDeepStrictEqual(kept, note)));
  return applyEdit(theirs, edit, author, now, carried);
}

/**
 * Where the edit form starts: the allergy's criticality and clinical status code. There is no
 * comment to start from: what is typed there is a new note; the notes already there stay.
 */
export function allergyEditOf(allergy: AllergyIntolerance): NonNullable<ShownSyncConflict['mine']> {
  return { criticality: allergy.criticality ?? null, clinicalStatus: clinicalStatusCode(allergy) };
}
