import { useEffect, useRef, useState, type FormEvent } from 'react';
import {
  ENTRY_UNITS,
  TAKEN_AT_MAX_FUTURE_MS,
  TAKEN_AT_MAX_PAST_MS,
  toRecordUnit,
  VITAL_FIELDS,
  VITAL_RANGES,
  VitalsEntry,
  type ConvertibleVital,
  type VitalField,
} from '../../src-shared/chart/vitals.ts';
import type { DraftFieldsOf } from '../../src-shared/chart/drafts.ts';
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

type Values = DraftFieldsOf<'vitals'>;
type FormField = VitalField | 'takenAt';
const FORM_FIELDS: readonly FormField[] = ['takenAt', ...VITAL_FIELDS];
const idOf = (field: FormField) => `vitals-${field}`;
const UNIT_KEY = { bodyTemperature: 'temperatureUnit', bodyWeight: 'weightUnit' } as const;
const isConvertible = (field: VitalField): field is ConvertibleVital => field in UNIT_KEY;

/** The unit a field is typed in: the one chosen for temperature and weight, else the record's. */
function unitLabel(field: VitalField, values: Values): string {
  if (!isConvertible(field)) return VITAL_RANGES[field].unit;
  const code = values[UNIT_KEY[field]];
  return ENTRY_UNITS[field].find((u) => u.code === code)?.label ?? VITAL_RANGES[field].unit;
}

/** The label is a contract: VITAL_RANGES' label with the unit typed in, e.g. "Heart rate (/min)", "Body temperature (°F)". */
export const vitalLabel = (field: VitalField, values?: Values) =>
  `${VITAL_RANGES[field].label} (${values ? unitLabel(field, values) : VITAL_RANGES[field].unit})`;

function rangeHint(field: VitalField, values: Values): string {
  const { min, max, decimals } = VITAL_RANGES[field];
  const digits = decimals > 0 ? `, up to ${decimals} decimal place` : ', whole number';
  if (isConvertible(field) && values[UNIT_KEY[field]] !== ENTRY_UNITS[field][0].code)
    return `Saved in ${VITAL_RANGES[field].unit}: ${min} to ${max} ${VITAL_RANGES[field].unit}`;
  return `${min} to ${max}${digits}`;
}

/** Now, as a local date-and-time field holds it ("2026-12-03T14:05"). */
function localNow(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}:${pad(now.getMinutes())}`;
}

const empty = (): Values => ({
  heartRate: '',
  systolic: '',
  diastolic: '',
  bodyTemperature: '',
  respiratoryRate: '',
  bodyWeight: '',
  oxygenSaturation: '',
  takenAt: localNow(),
  temperatureUnit: 'Cel',
  weightUnit: 'kg',
});

/** The time taken as an instant, or why it cannot be one (the main process checks the same bounds). */
function takenAtOf(local: string): { at: string } | { error: string } {
  const at = new Date(local).getTime();
  if (local === '' || Number.isNaN(at)) return { error: 'Enter the time the vital signs were taken' };
  const now = Date.now();
  if (at > now + TAKEN_AT_MAX_FUTURE_MS) return { error: 'The time taken cannot be in the future' };
  if (at < now - TAKEN_AT_MAX_PAST_MS) return { error: 'The time taken must be within the last 24 hours' };
  return { at: new Date(at).toISOString() };
}

interface Props {
  patientId: string;
  onSaved(recorded: number): void;
  onCancel(): void;
}

/**
 * Vital signs and the time they were taken (now unless changed). Temperature and weight may be
 * typed in °F and lb: they are converted to the record's °C and kg (UCUM Cel, kg) before they are
 * checked and sent. Checked here with the same schema the main process applies (ranges, whole
 * numbers, both halves of a blood pressure), so most mistakes are shown before anything is sent;
 * what the main process still refuses is shown next to its field the same way.
 */
export function VitalsForm({ patientId, onSaved, onCancel }: Props) {
  // Vitals typed before a lock come back as typed (a draft is not checked until it is saved).
  const [values, setValues] = useState<Values>(() => {
    const kept = draftOf(patientId, 'vitals');
    return { ...empty(), ...kept, takenAt: kept?.takenAt || localNow() };
  });
  const edit = useDraftsStore((state) => state.edit);
  const done = useDraftsStore((state) => state.done);
  const setValue = <K extends keyof Values>(key: K, value: Values[K]) => {
    const next = { ...values, [key]: value };
    setValues(next);
    edit(patientId, { form: 'vitals', fields: next });
  };
  const cancel = () => {
    done(patientId, 'vitals');
    onCancel();
  };
  const [errors, setErrors] = useState<FieldErrors<FormField>>({});
  const [busy, setBusy] = useState(false);
  const firstField = useRef<HTMLInputElement>(null);
  useEffect(() => firstField.current?.focus(), []);

  const show = (found: FieldErrors<FormField>, focusFirstFieldOtherwise: boolean) => {
    setErrors(found);
    if (!focusFirstInvalid(found, FORM_FIELDS, idOf) && focusFirstFieldOtherwise) firstField.current?.focus();
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const form = event.currentTarget;
    const typed: Partial<Record<VitalField, number>> = {};
    const unreadable: FieldErrors<FormField> = {};
    const taken = takenAtOf(values.takenAt);
    if ('error' in taken) unreadable.takenAt = taken.error;
    for (const field of VITAL_FIELDS) {
      // A number input holds '' for text it cannot read ("7e"): that is a mistake, not an empty field.
      const input = form.elements.namedItem(field);
      if (input instanceof HTMLInputElement && input.validity.badInput) {
        unreadable[field] = `${VITAL_RANGES[field].label} must be a number`;
        continue;
      }
      const text = values[field].trim();
      if (text === '') continue;
      const number = Number(text);
      typed[field] = isConvertible(field) ? toRecordUnit(field, values[UNIT_KEY[field]], number) : number;
    }
    if (hasErrors(unreadable)) return show(unreadable, true);
    const parsed = VitalsEntry.safeParse(typed);
    if (!parsed.success) return show(schemaErrors(parsed.error.issues, FORM_FIELDS), true);

    setBusy(true);
    const result = await invoke('chart.recordVitals', {
      patientId,
      vitals: parsed.data,
      takenAt: 'at' in taken ? taken.at : undefined,
    });
    setBusy(false);
    if (!result.ok) return show(answerErrors(result.error, 'vitals', FORM_FIELDS), false);
    done(patientId, 'vitals');
    onSaved(result.data.recorded);
  };

  const timeId = idOf('takenAt');
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
      <p className="hint">Fill in the vital signs taken; leave the others empty. Blood pressure needs both values.</p>
      <div className="field">
        <label htmlFor={timeId}>Time taken</label>
        <p id={`${timeId}-hint`} className="hint">
          Now unless changed; within the last 24 hours
        </p>
        <input
          id={timeId}
          name="takenAt"
          className="input"
          type="datetime-local"
          aria-invalid={errors.takenAt !== undefined}
          aria-describedby={describedBy(timeId, true, errors.takenAt !== undefined)}
          value={values.takenAt}
          onChange={(event) => setValue('takenAt', event.target.value)}
        />
        <FieldError fieldId={timeId} message={errors.takenAt} />
      </div>
      <div className="form-grid">
        {VITAL_FIELDS.map((field, index) => {
          const id = idOf(field);
          const range = VITAL_RANGES[field];
          const error = errors[field];
          return (
            <div className="field" key={field}>
              <label htmlFor={id}>{vitalLabel(field, values)}</label>
              <p id={`${id}-hint`} className="hint">
                {rangeHint(field, values)}
              </p>
              <div className="field__row">
                <input
                  id={id}
                  ref={index === 0 ? firstField : undefined}
                  name={field}
                  className="input input--number"
                  type="number"
                  inputMode={range.decimals > 0 || isConvertible(field) ? 'decimal' : 'numeric'}
                  step="any"
                  autoComplete="off"
                  aria-invalid={error !== undefined}
                  aria-describedby={describedBy(id, true, error !== undefined)}
                  value={values[field]}
                  onChange={(event) => setValue(field, event.target.value)}
                />
                {isConvertible(field) && (
                  <select
                    className="input input--unit"
                    aria-label={`${range.label} unit`}
                    value={values[UNIT_KEY[field]]}
                    onChange={(event) =>
                      setValue(UNIT_KEY[field], event.target.value as Values[(typeof UNIT_KEY)[typeof field]])
                    }
                  >
                    {ENTRY_UNITS[field].map((unit) => (
                      <option key={unit.code} value={unit.code}>
                        {unit.label}
                      </option>
                    ))}
                  </select>
                )}
              </div>
              <FieldError fieldId={id} message={error} />
            </div>
          );
        })}
      </div>
      <FormFooter error={errors.form} busy={busy} submitLabel="Save vitals" onCancel={cancel} />
    </form>
  );
}
