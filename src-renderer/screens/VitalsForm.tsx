import { useEffect, useRef, useState, type FormEvent } from 'react';
import { VITAL_FIELDS, VITAL_RANGES, VitalsEntry, type VitalField } from '../../src-shared/chart/vitals.ts';
import { invoke } from '../api.ts';
import { draftOf, useDraftsStore } from '../stores/drafts.ts';
import { FormFooter } from './FormParts.tsx';
import { FieldError } from './FieldError.tsx';
import {
  answerErrors,
  describedBy,
  focusFirstInvalid,
  hasErrors,
  schemaErrors,
  type FieldErrors,
} from './form-errors.ts';

const idOf = (field: VitalField) => `vitals-${field}`;
/** The label is a contract: VITAL_RANGES' label with the unit, e.g. "Heart rate (/min)". */
export const vitalLabel = (field: VitalField) => `${VITAL_RANGES[field].label} (${VITAL_RANGES[field].unit})`;

function rangeHint(field: VitalField): string {
  const { min, max, decimals } = VITAL_RANGES[field];
  return `${min} to ${max}${decimals > 0 ? `, up to ${decimals} decimal place` : ', whole number'}`;
}

const empty = (): Record<VitalField, string> => ({
  heartRate: '',
  systolic: '',
  diastolic: '',
  bodyTemperature: '',
  respiratoryRate: '',
  bodyWeight: '',
  oxygenSaturation: '',
});

interface Props {
  patientId: string;
  onSaved(recorded: number): void;
  onCancel(): void;
}

/**
 * Vital signs taken now. Checked here with the same schema the main process applies (ranges,
 * whole numbers, both halves of a blood pressure), so most mistakes are shown before anything is
 * sent; what the main process still refuses is shown next to its field the same way.
 */
export function VitalsForm({ patientId, onSaved, onCancel }: Props) {
  // Vitals typed before a lock come back as typed (a draft is not checked until it is saved).
  const [values, setValues] = useState(() => ({ ...empty(), ...draftOf(patientId, 'vitals') }));
  const edit = useDraftsStore((state) => state.edit);
  const done = useDraftsStore((state) => state.done);
  const setValue = (field: VitalField, value: string) => {
    const next = { ...values, [field]: value };
    setValues(next);
    edit(patientId, { form: 'vitals', fields: next });
  };
  const cancel = () => {
    done(patientId, 'vitals');
    onCancel();
  };
  const [errors, setErrors] = useState<FieldErrors<VitalField>>({});
  const [busy, setBusy] = useState(false);
  const firstField = useRef<HTMLInputElement>(null);
  useEffect(() => firstField.current?.focus(), []);

  const show = (found: FieldErrors<VitalField>, focusFirstFieldOtherwise: boolean) => {
    setErrors(found);
    if (!focusFirstInvalid(found, VITAL_FIELDS, idOf) && focusFirstFieldOtherwise) firstField.current?.focus();
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const form = event.currentTarget;
    const typed: Partial<Record<VitalField, number>> = {};
    const unreadable: FieldErrors<VitalField> = {};
    for (const field of VITAL_FIELDS) {
      // A number input holds '' for text it cannot read ("7e"): that is a mistake, not an empty field.
      const input = form.elements.namedItem(field);
      if (input instanceof HTMLInputElement && input.validity.badInput) {
        unreadable[field] = `${VITAL_RANGES[field].label} must be a number`;
        continue;
      }
      const text = values[field].trim();
      if (text !== '') typed[field] = Number(text);
    }
    if (hasErrors(unreadable)) return show(unreadable, true);
    const parsed = VitalsEntry.safeParse(typed);
    if (!parsed.success) return show(schemaErrors(parsed.error.issues, VITAL_FIELDS), true);

    setBusy(true);
    const result = await invoke('chart.recordVitals', { patientId, vitals: parsed.data });
    setBusy(false);
    if (!result.ok) return show(answerErrors(result.error, 'vitals', VITAL_FIELDS), false);
    done(patientId, 'vitals');
    onSaved(result.data.recorded);
  };

  return (
    <form
      id="vitals-form"
      className="inline-form"
      aria-labelledby="vitals-form-heading"
      noValidate
      onSubmit={(event) => void submit(event)}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          cancel();
        }
      }}
    >
      <h4 id="vitals-form-heading">Record vitals</h4>
      <p className="hint">
        Fill in the vital signs taken now; leave the others empty. Blood pressure needs both values.
      </p>
      <div className="form-grid">
        {VITAL_FIELDS.map((field, index) => {
          const id = idOf(field);
          const range = VITAL_RANGES[field];
          const error = errors[field];
          return (
            <div className="field" key={field}>
              <label htmlFor={id}>{vitalLabel(field)}</label>
              <p id={`${id}-hint`} className="hint">
                {rangeHint(field)}
              </p>
              <input
                id={id}
                ref={index === 0 ? firstField : undefined}
                name={field}
                className="input input--number"
                type="number"
                inputMode={range.decimals > 0 ? 'decimal' : 'numeric'}
                min={range.min}
                max={range.max}
                step={10 ** -range.decimals}
                autoComplete="off"
                aria-invalid={error !== undefined}
                aria-describedby={describedBy(id, true, error !== undefined)}
                value={values[field]}
                onChange={(event) => setValue(field, event.target.value)}
              />
              <FieldError fieldId={id} message={error} />
            </div>
          );
        })}
      </div>
      <FormFooter error={errors.form} busy={busy} submitLabel="Save vitals" onCancel={cancel} />
    </form>
  );
}
