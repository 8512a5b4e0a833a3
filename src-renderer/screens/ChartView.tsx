import { useEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import { flushSync } from 'react-dom';
import type { ChartSections } from '../../src-shared/chart/chart.ts';
import { roleHasPermission } from '../../src-shared/access/roles.ts';
import type { SyncMark } from '../../src-shared/sync/status.ts';
import { invoke } from '../api.ts';
import { useChartStore, type ChartView as ChartViewState } from '../stores/chart.ts';
import { draftOf } from '../stores/drafts.ts';
import { useSessionStore } from '../stores/session.ts';
import { useSyncStore } from '../stores/sync.ts';
import { formatDate } from '../format.ts';
import { PatientBanner } from './PatientBanner.tsx';
import { PrintSummaryButton } from './PrintSummary.tsx';
import { AllergyEditForm } from './AllergyEditForm.tsx';
import { EmergencyAccessDialog } from './EmergencyAccessDialog.tsx';
import { ErrorAlert } from './ErrorAlert.tsx';
import { NoteForm } from './NoteForm.tsx';
import { VitalsForm } from './VitalsForm.tsx';
import { VitalsTrends } from './VitalsTrends.tsx';
import { VitalsFlowsheet } from './VitalsFlowsheet.tsx';
import { OnDemandNotice } from './OnDemandNotice.tsx';

type AllergyRow = ChartSections['allergies'][number];

function Section({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  const id = `chart-${title.toLowerCase()}`;
  return (
    <section className="chart-section" aria-labelledby={id}>
      <div className="chart-section__header">
        <h3 id={id}>{title}</h3>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** A row's sync state in words ("Pending sync", "Sync conflict"), never by color alone. Synced rows carry nothing. */
function SyncTag({ sync }: { sync: SyncMark }) {
  if (sync === 'pending') return <span className="tag tag--pending">Pending sync</span>;
  if (sync === 'conflict') return <span className="tag tag--conflict">Sync conflict</span>;
  return null;
}

/** A FHIR date or dateTime in the locale's words, with the time when the value has one. */
const when = (value: string | null) => formatDate(value);

/**
 * What a section's form does once saved: close, put focus back on the button that opened it,
 * read the chart again so the new rows appear (marked "Pending sync"), and say so in a polite
 * status. An error of that read is shown, the save itself stands.
 */
function useSavedForm(opener: RefObject<HTMLButtonElement | null>, hasDraft: () => boolean = () => false) {
  const refresh = useChartStore((state) => state.refresh);
  // A form with a draft kept across a lock opens filled in, where the person left it.
  const [open, setOpen] = useState(hasDraft);
  const [notice, setNotice] = useState<string | null>(null);
  const [refreshError, setRefreshError] = useState<string | null>(null);
  // "… pending sync with central" is true until a round has sent everything; then it goes.
  useEffect(
    () =>
      useSyncStore.subscribe((state) => {
        if (state.status !== null && !state.status.syncing && state.status.pending === 0) setNotice(null);
      }),
    [],
  );
  const close = () => {
    setOpen(false);
    opener.current?.focus();
  };
  return {
    open,
    notice,
    refreshError,
    toggle() {
      if (open) close();
      else {
        setNotice(null);
        setRefreshError(null);
        setOpen(true);
      }
    },
    cancel: close,
    async saved(message: string) {
      close();
      setNotice(message);
      // The round may have sent the change before this answer was read (its status event came
      // first, and no later one will clear the notice): then nothing is pending now.
      const now = useSyncStore.getState().status;
      if (now !== null && !now.syncing && now.pending === 0) setNotice(null);
      const failure = await refresh();
      setRefreshError(failure ? failure.message : null);
    },
  };
}

/** The section's button that opens (and closes) its form, the one focus returns to. */
function FormOpener({
  form,
  opener,
  controls,
  label,
}: {
  form: ReturnType<typeof useSavedForm>;
  opener: RefObject<HTMLButtonElement | null>;
  controls: string;
  label: string;
}) {
  return (
    <button
      type="button"
      ref={opener}
      className="button button--secondary"
      aria-expanded={form.open}
      aria-controls={form.open ? controls : undefined}
      onClick={form.toggle}
    >
      {label}
    </button>
  );
}

function Notice({ notice, refreshError }: { notice: string | null; refreshError: string | null }) {
  return (
    <>
      <div role="status" className="chart-notice">
        {notice && <p>{notice}</p>}
      </div>
      {refreshError && <ErrorAlert label="Chart not refreshed:" message={refreshError} />}
    </>
  );
}

function AllergyItem({ patientId, allergy, canWrite }: { patientId: string; allergy: AllergyRow; canWrite: boolean }) {
  const opener = useRef<HTMLButtonElement>(null);
  const form = useSavedForm(opener, () => draftOf(patientId, 'allergyEdit')?.allergyId === allergy.id);
  const idPrefix = `allergy-${allergy.id}`;
  return (
    <li className="chart-row">
      <div className="chart-row__line">
        <span>
          <strong>{allergy.substance}</strong>
          {allergy.criticality && <> · criticality {allergy.criticality}</>}
          {allergy.status && <> · {allergy.status}</>}
          {allergy.reaction && <> · reaction: {allergy.reaction}</>}
          <SyncTag sync={allergy.sync} />
        </span>
        {canWrite && (
          <button
            type="button"
            ref={opener}
            className="button button--secondary button--small"
            aria-label={`Edit allergy ${allergy.substance}`}
            aria-expanded={form.open}
            aria-controls={form.open ? `${idPrefix}-form` : undefined}
            onClick={form.toggle}
          >
            Edit
          </button>
        )}
      </div>
      {allergy.notes.length > 0 && (
        // Every comment, oldest first, with who wrote it and when: an allergy can carry several.
        <ul className="allergy-notes" aria-label={`Comments on ${allergy.substance}`}>
          {allergy.notes.map((note, index) => (
            <li key={index}>
              {note.text}
              <span className="allergy-notes__meta">
                {' '}
                · {note.author ?? 'Author not recorded'} · {when(note.time)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {form.open && (
        <AllergyEditForm
          idPrefix={idPrefix}
          heading={`Edit allergy: ${allergy.substance}`}
          initial={{ criticality: allergy.criticality, clinicalStatus: allergy.statusCode }}
          submitLabel="Save allergy"
          requestKey="edit"
          draft={{ patientId, allergyId: allergy.id }}
          save={async (edit) => {
            const result = await invoke('chart.editAllergy', { patientId, allergyId: allergy.id, edit });
            return result.ok ? null : result.error;
          }}
          onSaved={() => void form.saved('Allergy saved on this workstation; it syncs with central when it can.')}
          onCancel={form.cancel}
        />
      )}
      <Notice notice={form.notice} refreshError={form.refreshError} />
    </li>
  );
}

/**
 * The flowsheet shows the newest reading times and stops there: a long-followed patient has
 * hundreds, which nobody reads at a glance. All of them are one button away; the trends above
 * draw the recent course.
 */
const RECENT_TIMES = 8;

function VitalsSection({
  patientId,
  rows,
  canWrite,
}: {
  patientId: string;
  rows: ChartSections['vitals'];
  canWrite: boolean;
}) {
  const opener = useRef<HTMLButtonElement>(null);
  const form = useSavedForm(opener, () => draftOf(patientId, 'vitals') !== undefined);
  const [showAll, setShowAll] = useState(false);
  const times = new Set(rows.map((row) => row.effective)).size;
  return (
    <Section
      title="Vitals"
      actions={canWrite && <FormOpener form={form} opener={opener} controls="vitals-form" label="Record vitals" />}
    >
      {form.open && (
        <VitalsForm
          patientId={patientId}
          onSaved={(recorded) =>
            void form.saved(
              `${recorded} ${recorded === 1 ? 'vital sign' : 'vital signs'} recorded on this workstation; pending sync with central.`,
            )
          }
          onCancel={form.cancel}
        />
      )}
      <Notice notice={form.notice} refreshError={form.refreshError} />
      {rows.length === 0 ? (
        <p className="hint">No vital signs recorded.</p>
      ) : (
        <>
          <VitalsTrends rows={rows} />
          <VitalsFlowsheet rows={rows} limit={showAll ? times : RECENT_TIMES} tag={(sync) => <SyncTag sync={sync} />} />
          {times > RECENT_TIMES && (
            <button
              type="button"
              className="button button--secondary"
              aria-expanded={showAll}
              onClick={() => setShowAll(!showAll)}
            >
              {showAll ? `Show the newest ${RECENT_TIMES} reading times` : `Show all ${times} reading times`}
            </button>
          )}
        </>
      )}
    </Section>
  );
}

/** Bytes in the unit a person reads ("2.0 MiB", "300 KiB"). */
function byteSize(bytes: number): string {
  if (bytes >= 1048576) return `${(bytes / 1048576).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

/**
 * A note too large for the cache (policy central.maxAttachmentKiB): what it is, and its text read
 * from central on demand. The text lives in this component only, gone when the chart closes or
 * the workstation locks (the lock screen replaces the workspace).
 */
function NoteOnCentral({
  patientId,
  documentId,
  onCentral,
}: {
  patientId: string;
  documentId: string;
  onCentral: NonNullable<ChartSections['notes'][number]['onCentral']>;
}) {
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const show = async () => {
    setLoading(true);
    setError(null);
    const answer = await invoke('chart.readNote', { patientId, documentId });
    setLoading(false);
    if (answer.ok) setText(answer.data.text);
    else setError(answer.error.message);
  };
  if (text !== null) return <pre className="note__text">{text}</pre>;
  return (
    <div className="note__on-central">
      <p>
        {onCentral.title && <>{onCentral.title} · </>}
        {onCentral.size !== null && <>{byteSize(onCentral.size)} · </>}
        Stored on central
      </p>
      <button type="button" onClick={() => void show()} disabled={loading}>
        {loading ? 'Loading note…' : 'Show note'}
      </button>
      {error && <ErrorAlert label="Not shown:" message={error} />}
    </div>
  );
}

function NotesSection({
  patientId,
  rows,
  canWrite,
}: {
  patientId: string;
  rows: ChartSections['notes'];
  canWrite: boolean;
}) {
  const opener = useRef<HTMLButtonElement>(null);
  const form = useSavedForm(opener, () => draftOf(patientId, 'note') !== undefined);
  return (
    <Section
      title="Notes"
      actions={canWrite && <FormOpener form={form} opener={opener} controls="note-form" label="Write note" />}
    >
      {form.open && (
        <NoteForm
          patientId={patientId}
          onSaved={() => void form.saved('Note saved on this workstation; pending sync with central.')}
          onCancel={form.cancel}
        />
      )}
      <Notice notice={form.notice} refreshError={form.refreshError} />
      {rows.length === 0 ? (
        <p className="hint">No notes.</p>
      ) : (
        // The newest note is open; the others show their title, date and author and open on demand
        // (a native disclosure: keyboard and screen readers know it), so a long record stays quick
        // to open and to scan.
        rows.map((n, index) => (
          <article key={n.id} className="note" aria-label={`${n.title}, ${when(n.date)}`}>
            <details className="note__details" open={index === 0}>
              <summary className="note__meta">
                <strong>{n.title}</strong> · {when(n.date)}
                {n.author && <> · {n.author}</>} <SyncTag sync={n.sync} />
              </summary>
              {n.onCentral ? (
                <NoteOnCentral patientId={patientId} documentId={n.id} onCentral={n.onCentral} />
              ) : (
                <pre className="note__text">{n.text}</pre>
              )}
            </details>
          </article>
        ))
      )}
    </Section>
  );
}

function Sections({
  patientId,
  sections,
  canWrite,
}: {
  patientId: string;
  sections: ChartSections;
  canWrite: boolean;
}) {
  return (
    <div className="chart-sections">
      <Section title="Allergies">
        {sections.allergies.length === 0 ? (
          <p className="hint">No allergies recorded.</p>
        ) : (
          <ul className="chart-list">
            {sections.allergies.map((a) => (
              <AllergyItem key={a.id} patientId={patientId} allergy={a} canWrite={canWrite} />
            ))}
          </ul>
        )}
      </Section>
      <Section title="Problems">
        {sections.problems.length === 0 ? (
          <p className="hint">No problems recorded.</p>
        ) : (
          <ul className="chart-list">
            {sections.problems.map((p) => (
              <li key={p.id}>
                <strong>{p.problem}</strong>
                {p.status && <> · {p.status}</>} · onset {when(p.onset)} <SyncTag sync={p.sync} />
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Medications">
        {sections.medications.length === 0 ? (
          <p className="hint">No medications recorded.</p>
        ) : (
          <ul className="chart-list">
            {sections.medications.map((m) => (
              <li key={m.id}>
                <strong>{m.medication}</strong>
                {m.status && <> · {m.status}</>}
                {m.dosage && <> · {m.dosage}</>} <SyncTag sync={m.sync} />
              </li>
            ))}
          </ul>
        )}
      </Section>
      <VitalsSection patientId={patientId} rows={sections.vitals} canWrite={canWrite} />
      <NotesSection patientId={patientId} rows={sections.notes} canWrite={canWrite} />
    </div>
  );
}

/** The open chart: the demographics header always, the sections only when the main process sent them. */
function OpenChart({ view }: { view: Extract<ChartViewState, { phase: 'open' }> }) {
  const close = useChartStore((state) => state.close);
  const reopen = useChartStore((state) => state.open);
  const emergency = useSessionStore((state) => state.status?.emergencyAccess);
  const role = useSessionStore((state) => state.status?.user?.role);
  const [asking, setAsking] = useState(false);
  // Opening a chart from a result (often by keyboard) lands on its heading, the patient's name. A
  // chart opened again on its own (a break-glass grant ended) leaves focus where the person is.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const focused = document.activeElement;
    if (
      !focused ||
      focused === document.body ||
      focused.closest('#patient-results, #central-results, #my-patients, #recent')
    )
      heading.current?.focus();
  }, []);
  const { patient, access, sections } = view;
  // The main process decides; this only hides what it would refuse (writes need the full chart and a clinical role).
  const canWrite = access === 'full' && role !== undefined && roleHasPermission(role, 'patient.clinical.write');
  const closeChart = () => {
    const from = useChartStore.getState().openedFrom;
    flushSync(close);
    // Back to the row the chart was opened from (the search results keep their place), else search.
    const row =
      from && from.patientId === patient.id
        ? document.querySelector<HTMLElement>(`#${from.list} [data-patient-id="${CSS.escape(patient.id)}"]`)
        : null;
    (row ?? document.getElementById('patient-search'))?.focus();
  };
  return (
    <section className="chart" aria-labelledby="chart-heading">
      <PatientBanner view={view} headingRef={heading} onClose={closeChart} />
      {/* Only this part scrolls: the banner above stays in view. Focusable, so the keyboard scrolls it too. */}
      <div className="chart-scroll" role="region" aria-label="Chart details" tabIndex={0}>
        {view.onDemand && <OnDemandNotice onDemand={view.onDemand} />}
        {access === 'restricted' && (
          <section className="panel--problem restricted" aria-labelledby="restricted-heading">
            <h3 id="restricted-heading">Restricted record</h3>
            <p>You are not on this patient&apos;s care team, so only demographics are shown.</p>
            {emergency?.allowed && (
              <button type="button" className="button" onClick={() => setAsking(true)}>
                Emergency access
              </button>
            )}
          </section>
        )}
        {asking && emergency && (
          <EmergencyAccessDialog
            patientId={patient.id}
            patientName={patient.name}
            rules={emergency}
            onCancel={() => setAsking(false)}
            onGranted={() => {
              setAsking(false);
              void reopen(patient.id);
            }}
          />
        )}
        {access === 'demographicsOnly' && <p className="hint">Your role shows demographics only.</p>}
        {access === 'full' && <PrintSummaryButton patientId={patient.id} />}
        {sections && <Sections patientId={patient.id} sections={sections} canWrite={canWrite} />}
      </div>
    </section>
  );
}

/** The open patient, or the progress or failure of opening one. */
export function ChartView() {
  const view = useChartStore((state) => state.view);
  if (view.phase === 'none') return null;
  if (view.phase === 'loading')
    return <p role="status">{view.fromCentral ? 'Bringing the chart from central…' : 'Opening the chart…'}</p>;
  if (view.phase === 'error') return <ErrorAlert label="Chart not opened:" message={view.error.message} />;
  // Keyed by patient: another patient's chart never inherits this one's open forms.
  return <OpenChart key={view.patient.id} view={view} />;
}
