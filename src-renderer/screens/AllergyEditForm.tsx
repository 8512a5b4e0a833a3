import { useEffect, useRef, useState, type FormEvent } from 'react';
import { AllergyEditDraft } from '../../src-shared/chart/drafts.ts';
import { AllergyEdit } from '../../src-shared/chart/vitals.ts';
import type { IpcError } from '../../src-shared/ipc/errors.ts';
import { draftOf, useDraftsStore } from '../stores/drafts.ts';
import { FormFooter, TextField } from './FormParts.tsx';
import { FieldError } from './FieldError.tsx';
import {
  answerErrors,
  describedBy,
  focusFirstInvalid,
  hasErrors,
  schemaErrors,
  type FieldErrors,
} from './form-errors.ts';

type AllergyField = 'criticality' | 'clinicalStatus' | 'note';
const ALLERGY_FIELDS: readonly AllergyField[] = ['criticality', 'clinicalStatus', 'note'];

const CRITICALITY = [
  { code: 'low', display: 'Low' },
  { code: 'high', display: 'High' },
  { code: 'unable-to-assess', display: 'Unable to assess' },
] as const;
const CLINICAL_STATUS = [
  { code: 'active', display: 'Active' },
  { code: 'inactive', display: 'Inactive' },
  { code: 'resolved', display: 'Resolved' },
] as const;

/**
 * The code a select starts on: the row may carry a code ("unable-to-assess") or its display
 * ("Unable to assess"). Anything else starts on "Choose…": a clinical value is never guessed.
 */
function codeOf(value: string | null, options: readonly { code: string }[]): string {
  const normalized = (value ?? '').trim().toLowerCase().replace(/\s+/g, '-');
  return options.some((option) => option.code === normalized) ? normalized : '';
}

/** Where the selects start. The comment always starts empty: what is typed there is a new note. */
export interface AllergyValues {
  criticality: string | null;
  clinicalStatus: string | null;
}

interface Props {
  /** Prefix of the field ids: one form per allergy row or conflict. */
  idPrefix: string;
  heading: string;
  initial: AllergyValues;
  submitLabel: string;
  /** The request's key for the edit, to place the router's INVALID messages ("edit", "merged"). */
  requestKey: string;
  /** The chart's edit keeps a draft across a lock (a conflict's hand merge does not). */
  draft?: { patientId: string; allergyId: string };
  save(edit: AllergyEdit): Promise<IpcError | null>;
  onSaved(): void;
  onCancel(): void;
}

/**
 * Criticality, clinical status and a new comment for one allergy: the chart's edit and a
 * conflict's hand merge. The comment is added to the allergy's notes; the notes already there stay.
 */
export function AllergyEditForm({
  idPrefix,
  heading,
  initial,
  submitLabel,
  requestKey,
  draft,
  save,
  onSaved,
  onCancel,
}: Props) {
  const [kept] = useState(() => {
    const fields = draft ? draftOf(draft.patientId, 'allergyEdit') : undefined;
    return fields?.allergyId === draft?.allergyId ? fields : undefined;
  });
  const [criticality, setCriticalityValue] = useState(
    () => kept?.criticality ?? codeOf(initial.criticality, CRITICALITY),
  );
  const [clinicalStatus, setClinicalStatusValue] = useState(
    () => kept?.clinicalStatus ?? codeOf(initial.clinicalStatus, CLINICAL_STATUS),
  );
  const [note, setNoteValue] = useState(kept?.note ?? '');
  const edit = useDraftsStore((state) => state.edit);
  const done = useDraftsStore((state) => state.done);
  const keep = (fields: { criticality: string; clinicalStatus: string; note: string }) => {
    if (!draft) return;
    const parsed = AllergyEditDraft.safeParse({ allergyId: draft.allergyId, ...fields });
    if (parsed.success) edit(draft.patientId, { form: 'allergyEdit', fields: parsed.data });
  };
  const setCriticality = (value: string) => {
    setCriticalityValue(value);
    keep({ criticality: value, clinicalStatus, note });
  };
  const setClinicalStatus = (value: string) => {
    setClinicalStatusValue(value);
    keep({ criticality, clinicalStatus: value, note });
  };
  const setNote = (value: string) => {
    setNoteValue(value);
    keep({ criticality, clinicalStatus, note: value });
  };
  const cancel = () => {
    if (draft) done(draft.patientId, 'allergyEdit');
    onCancel();
  };
  const [errors, setErrors] = useState<FieldErrors<AllergyField>>({});
  const [busy, setBusy] = useState(false);
  const firstField = useRef<HTMLSelectElement>(null);
  useEffect(() => firstField.current?.focus(), []);
  const idOf = (field: AllergyField) => `${idPrefix}-${field}`;
  const headingId = `${idPrefix}-heading`;

  const show = (found: FieldErrors<AllergyField>) => {
    setErrors(found);
    focusFirstInvalid(found, ALLERGY_FIELDS, idOf);
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const missing: FieldErrors<AllergyField> = {};
    if (criticality === '') missing.criticality = 'Choose the criticality';
    if (clinicalStatus === '') missing.clinicalStatus = 'Choose the clinical status';
    if (hasErrors(missing)) return show(missing);
    const parsed = AllergyEdit.safeParse({ criticality, clinicalStatus, note });
    if (!parsed.success) return show(schemaErrors(parsed.error.issues, ALLERGY_FIELDS));
    setBusy(true);
    const failure = await save(parsed.data);
    setBusy(false);
    if (failure) return show(answerErrors(failure, requestKey, ALLERGY_FIELDS));
    if (draft) done(draft.patientId, 'allergyEdit');
    onSaved();
  };

  const select = (
    field: 'criticality' | 'clinicalStatus',
    label: string,
    value: string,
    set: (value: string) => void,
    options: readonly { code: string; display: string }[],
  ) => (
    <div className="field">
      <label htmlFor={idOf(field)}>{label}</label>
      <select
        id={idOf(field)}
        ref={field === 'criticality' ? firstField : undefined}
        className="input"
        aria-invalid={errors[field] !== undefined}
        aria-describedby={describedBy(idOf(field), false, errors[field] !== undefined)}
        value={value}
        onChange={(event) => set(event.target.value)}
      >
        {value === '' && <option value="">Choose…</option>}
        {options.map((option) => (
          <option key={option.code} value={option.code}>
            {option.display}
          </option>
        ))}
      </select>
      <FieldError fieldId={idOf(field)} message={errors[field]} />
    </div>
  );

  return (
    <form
      id={`${idPrefix}-form`}
      className="inline-form"
      aria-labelledby={headingId}
      noValidate
      onSubmit={(event) => void submit(event)}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          cancel();
        }
      }}
    >
      <h4 id={headingId}>{heading}</h4>
      <div className="form-grid">
        {select('criticality', 'Criticality', criticality, setCriticality, CRITICALITY)}
        {select('clinicalStatus', 'Clinical status', clinicalStatus, setClinicalStatus, CLINICAL_STATUS)}
      </div>
      <TextField
        id={idOf('note')}
        label="New comment"
        value={note}
        onChange={setNote}
        error={errors.note}
        maxLength={2000}
        rows={3}
      />
      <FormFooter error={errors.form} busy={busy} submitLabel={submitLabel} onCancel={cancel} />
    </form>
  );
}
