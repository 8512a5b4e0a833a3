import { useEffect, useRef, useState, type FormEvent } from 'react';
import { NoteEntry } from '../../src-shared/chart/vitals.ts';
import { invoke } from '../api.ts';
import { draftOf, useDraftsStore } from '../stores/drafts.ts';
import { answerErrors, focusFirstInvalid, schemaErrors, type FieldErrors } from './form-errors.ts';
import { FormFooter, TextField } from './FormParts.tsx';

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
  // A draft kept across a lock (or typed before this form was closed by a save elsewhere) comes back.
  const [kept] = useState(() => draftOf(patientId, 'note'));
  const [title, setTitleValue] = useState(kept?.title ?? 'Progress note');
  const [text, setTextValue] = useState(kept?.text ?? '');
  const edit = useDraftsStore((state) => state.edit);
  const done = useDraftsStore((state) => state.done);
  const setTitle = (value: string) => {
    setTitleValue(value);
    edit(patientId, { form: 'note', fields: { title: value, text } });
  };
  const setText = (value: string) => {
    setTextValue(value);
    edit(patientId, { form: 'note', fields: { title, text: value } });
  };
  const cancel = () => {
    done(patientId, 'note');
    onCancel();
  };
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
    done(patientId, 'note');
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
          cancel();
        }
      }}
    >
      <h4 id="note-form-heading">Write note</h4>
      <TextField
        id={idOf('title')}
        label="Title"
        value={title}
        onChange={setTitle}
        error={errors.title}
        maxLength={200}
      />
      <TextField
        id={idOf('text')}
        label="Note"
        value={text}
        onChange={setText}
        error={errors.text}
        maxLength={20_000}
        rows={8}
        fieldRef={textField}
      />
      <FormFooter error={errors.form} busy={busy} submitLabel="Save note" onCancel={cancel} />
    </form>
  );
}
