import { useEffect, useRef, useState, type FormEvent } from 'react';
import { NoteEntry } from '../../src-shared/chart/vitals.ts';
import { invoke } from '../api.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { FieldError } from './FieldError.tsx';
import { answerErrors, describedBy, focusFirstInvalid, schemaErrors, type FieldErrors } from './form-errors.ts';

type NoteField = 'title' | 'text';
const NOTE_FIELDS: readonly NoteField[] = ['title', 'text'];
const idOf = (field: NoteField) => `note-${field}`;

interface Props {
  patientId: string;
  onSaved(): void;
  onCancel(): void;
}

/** A clinical note: a title (a progress note unless changed) and the text, checked with NoteEntry. */
export function NoteForm({ patientId, onSaved, onCancel }: Props) {
  const [title, setTitle] = useState('Progress note');
  const [text, setText] = useState('');
  const [errors, setErrors] = useState<FieldErrors<NoteField>>({});
  const [busy, setBusy] = useState(false);
  const textField = useRef<HTMLTextAreaElement>(null);
  // The title is filled in already: the note's text is where writing starts.
  useEffect(() => textField.current?.focus(), []);

  const show = (found: FieldErrors<NoteField>) => {
    setErrors(found);
    focusFirstInvalid(found, NOTE_FIELDS, idOf);
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const parsed = NoteEntry.safeParse({ title, text });
    if (!parsed.success) return show(schemaErrors(parsed.error.issues, NOTE_FIELDS));
    setBusy(true);
    const result = await invoke('chart.writeNote', { patientId, note: parsed.data });
    setBusy(false);
    if (!result.ok) return show(answerErrors(result.error, 'note', NOTE_FIELDS));
    onSaved();
  };

  return (
    <form
      id="note-form"
      className="inline-form"
      aria-labelledby="note-form-heading"
      noValidate
      onSubmit={(event) => void submit(event)}
      onKeyDown={(event) => {
        // A stray Escape must not throw away a note being written: with text typed, only Cancel discards it.
        if (event.key === 'Escape' && text.trim() === '') {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      <h4 id="note-form-heading">Write note</h4>
      <div className="field">
        <label htmlFor={idOf('title')}>Title</label>
        <input
          id={idOf('title')}
          className="input"
          maxLength={200}
          autoComplete="off"
          aria-invalid={errors.title !== undefined}
          aria-describedby={describedBy(idOf('title'), false, errors.title !== undefined)}
          value={title}
          onChange={(event) => setTitle(event.target.value)}
        />
        <FieldError fieldId={idOf('title')} message={errors.title} />
      </div>
      <div className="field">
        <label htmlFor={idOf('text')}>Note</label>
        <textarea
          id={idOf('text')}
          ref={textField}
          className="input"
          rows={8}
          maxLength={20_000}
          aria-invalid={errors.text !== undefined}
          aria-describedby={describedBy(idOf('text'), false, errors.text !== undefined)}
          value={text}
          onChange={(event) => setText(event.target.value)}
        />
        <FieldError fieldId={idOf('text')} message={errors.text} />
      </div>
      {errors.form && <ErrorAlert label="Not saved:" message={errors.form} />}
      <div className="actions">
        <button type="submit" className="button" aria-disabled={busy}>
          Save note
        </button>
        <button type="button" className="button button--secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
