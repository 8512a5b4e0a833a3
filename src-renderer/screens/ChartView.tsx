import { useState, type ReactNode } from 'react';
import type { ChartSections } from '../../src-shared/chart/chart.ts';
import { useChartStore } from '../stores/chart.ts';
import { useSessionStore } from '../stores/session.ts';
import { EmergencyAccessDialog } from './EmergencyAccessDialog.tsx';
import { ErrorAlert } from './ErrorAlert.tsx';

function Section({ title, empty, children, count }: { title: string; empty: string; count: number; children: ReactNode }) {
  const id = `chart-${title.toLowerCase()}`;
  return (
    <section className="chart-section" aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      {count === 0 ? <p className="hint">{empty}</p> : children}
    </section>
  );
}

const when = (value: string | null) => (value ? value.slice(0, 10) : 'Date not recorded');

function Sections({ sections }: { sections: ChartSections }) {
  return (
    <div className="chart-sections">
      <Section title="Allergies" empty="No allergies recorded." count={sections.allergies.length}>
        <ul className="chart-list">
          {sections.allergies.map((a) => (
            <li key={a.id}>
              <strong>{a.substance}</strong>
              {a.criticality && <> · criticality {a.criticality}</>}
              {a.status && <> · {a.status}</>}
              {a.reaction && <> · reaction: {a.reaction}</>}
            </li>
          ))}
        </ul>
      </Section>
      <Section title="Problems" empty="No problems recorded." count={sections.problems.length}>
        <ul className="chart-list">
          {sections.problems.map((p) => (
            <li key={p.id}>
              <strong>{p.problem}</strong>
              {p.status && <> · {p.status}</>} · onset {when(p.onset)}
            </li>
          ))}
        </ul>
      </Section>
      <Section title="Medications" empty="No medications recorded." count={sections.medications.length}>
        <ul className="chart-list">
          {sections.medications.map((m) => (
            <li key={m.id}>
              <strong>{m.medication}</strong>
              {m.status && <> · {m.status}</>}
              {m.dosage && <> · {m.dosage}</>}
            </li>
          ))}
        </ul>
      </Section>
      <Section title="Vitals" empty="No vital signs recorded." count={sections.vitals.length}>
        <table className="chart-table">
          <caption className="visually-hidden">Vital signs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Vital sign</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {sections.vitals.map((v) => (
              <tr key={v.id}>
                <td>{when(v.effective)}</td>
                <td>{v.name}</td>
                <td>{v.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="Notes" empty="No notes." count={sections.notes.length}>
        {sections.notes.map((n) => (
          <article key={n.id} className="note" aria-label={`${n.title}, ${when(n.date)}`}>
            <p className="note__meta">
              <strong>{n.title}</strong> · {when(n.date)}
              {n.author && <> · {n.author}</>}
            </p>
            <pre className="note__text">{n.text}</pre>
          </article>
        ))}
      </Section>
    </div>
  );
}

/** The open patient: the header always, the sections only when the main process sent them. */
export function ChartView() {
  const view = useChartStore((state) => state.view);
  const close = useChartStore((state) => state.close);
  const reopen = useChartStore((state) => state.open);
  const emergency = useSessionStore((state) => state.status?.emergencyAccess);
  const [asking, setAsking] = useState(false);
  if (view.phase === 'none') return null;
  if (view.phase === 'loading') return <p role="status">Opening the chart…</p>;
  if (view.phase === 'error') {
    return (
      <ErrorAlert label="Chart not opened:" message={view.error.message} />
    );
  }
  const { patient, access, sections } = view;
  return (
    <section className="panel chart" aria-labelledby="chart-heading">
      <div className="chart__header">
        <h2 id="chart-heading">{patient.name}</h2>
        <button type="button" className="button button--secondary" onClick={close}>
          Close chart
        </button>
      </div>
      <dl className="facts facts--inline">
        <div className="facts__row">
          <dt>MRN</dt>
          <dd>{patient.mrn ?? 'Not recorded'}</dd>
        </div>
        <div className="facts__row">
          <dt>Born</dt>
          <dd>{patient.birthDate ?? 'Not recorded'}</dd>
        </div>
        <div className="facts__row">
          <dt>Gender</dt>
          <dd>{patient.gender ?? 'Not recorded'}</dd>
        </div>
      </dl>
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
      {sections && <Sections sections={sections} />}
    </section>
  );
}
