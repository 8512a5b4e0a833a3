import { useEffect, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import type { PrintSummary as Summary } from '../../src-shared/chart/print.ts';
import { invoke } from '../api.ts';
import { ageOf, describeSex, formatDate, formatDateTime } from '../format.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

function Rows({ title, empty, children }: { title: string; empty: string; children: ReactNode[] }) {
  return (
    <section>
      <h2>{title}</h2>
      {children.length === 0 ? <p>{empty}</p> : <ul>{children}</ul>}
    </section>
  );
}

const details = (...parts: (string | null)[]) => parts.filter(Boolean).join(' · ');

/** The page as it is printed: the banner first, then each section, who printed it and when. */
function PrintView({ summary: s }: { summary: Summary }) {
  const age = ageOf(s.patient.birthDate);
  return (
    <article className="print-view" aria-label="Chart summary for printing">
      <header className="print-view__banner">
        <h1>{s.patient.name}</h1>
        <p>
          {details(
            `${age ?? 'Age not known'}, ${describeSex(s.patient.gender)}`,
            `Born ${formatDate(s.patient.birthDate, 'not recorded')}`,
            `MRN ${s.patient.mrn ?? 'not recorded'}`,
          )}
        </p>
        <p>{s.accessBasis === 'emergencyAccess' ? 'Access: emergency access (break-glass)' : 'Access: care team'}</p>
      </header>
      <Rows title="Allergies" empty="No known allergies">
        {s.allergies.map((a, i) => (
          <li key={i}>{details(a.substance, a.criticality && `criticality ${a.criticality}`, a.reaction, a.status)}</li>
        ))}
      </Rows>
      <Rows title="Problems" empty="No problems recorded">
        {s.problems.map((p, i) => (
          <li key={i}>{details(p.problem, p.status, p.onset && `since ${formatDate(p.onset)}`)}</li>
        ))}
      </Rows>
      <Rows title="Medications" empty="No medications recorded">
        {s.medications.map((m, i) => (
          <li key={i}>{details(m.medication, m.dosage, m.status)}</li>
        ))}
      </Rows>
      <Rows title="Recent vitals" empty="No vital signs recorded">
        {s.vitals.map((v, i) => (
          <li key={i}>{details(v.name, v.value, v.effective && formatDate(v.effective))}</li>
        ))}
      </Rows>
      <footer>
        <p>
          Printed by {s.printedBy} on {formatDateTime(s.printedAt)} from Clinic Workstation. Confidential patient
          information.
        </p>
      </footer>
    </article>
  );
}

/**
 * "Print summary": the main process composes the summary and records the print in the audit
 * trail before it answers; the window then lays it out for paper (print CSS hides the rest) and
 * prints with the browser's own print (window.print; in Electron that is webContents.print). No
 * file is written: the summary lives in this component's memory, and leaves the page after the
 * print dialog closes, or with the chart (a lock clears it).
 */
export function PrintSummaryButton({ patientId }: { patientId: string }) {
  const [summary, setSummary] = useState<Summary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!summary) return;
    const done = () => setSummary(null);
    window.addEventListener('afterprint', done);
    window.print();
    return () => window.removeEventListener('afterprint', done);
  }, [summary]);
  const print = async () => {
    setBusy(true);
    setError(null);
    const result = await invoke('chart.printSummary', { patientId });
    setBusy(false);
    if (result.ok) setSummary(result.data);
    else setError(result.error.message);
  };
  return (
    <div className="print-summary">
      <button type="button" className="button button--secondary" onClick={() => void print()} disabled={busy}>
        Print summary
      </button>
      {error && <ErrorAlert label="Not printed:" message={error} />}
      {summary && createPortal(<PrintView summary={summary} />, document.body)}
    </div>
  );
}
