import { useEffect } from 'react';
import type { PatientListItem } from '../../src-shared/ipc/contract.ts';
import { usePatientPaneStore } from '../stores/patient-pane.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { PatientRow } from './PatientRow.tsx';
import { PatientSearch } from './PatientSearch.tsx';

function PaneList({
  id,
  title,
  patients,
  empty,
}: {
  id: string;
  title: string;
  patients: readonly PatientListItem[] | null;
  empty: string;
}) {
  return (
    <section className="pane-section" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{title}</h2>
      {patients === null ? (
        <p className="hint">Loading…</p>
      ) : patients.length === 0 ? (
        <p className="hint">{empty}</p>
      ) : (
        <ul id={id} className="pane-list" aria-labelledby={`${id}-heading`}>
          {patients.map((patient) => (
            <li key={patient.id}>
              <PatientRow patient={patient} list={id} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * The patient pane beside the chart: search, "My patients" (the care team) and "Recent" (charts
 * this user opened lately, kept by the main process). The lists are read again when the chart
 * closes (`chartOpen` turns false), so Recent shows the chart just read.
 */
export function PatientPane({ chartOpen, clinical }: { chartOpen: boolean; clinical: boolean }) {
  const mine = usePatientPaneStore((state) => state.mine);
  const recent = usePatientPaneStore((state) => state.recent);
  const error = usePatientPaneStore((state) => state.error);
  const load = usePatientPaneStore((state) => state.load);
  useEffect(() => {
    if (!chartOpen) void load();
  }, [chartOpen, load]);
  return (
    <aside className="patient-pane" aria-label="Patients">
      <section className="pane-section" aria-labelledby="search-heading">
        <h1 id="search-heading">Patient search</h1>
        <PatientSearch />
      </section>
      {error && <ErrorAlert label="Lists not loaded:" message={error.message} />}
      {clinical && (
        <PaneList id="my-patients" title="My patients" patients={mine} empty="No patients on your care team." />
      )}
      <PaneList id="recent" title="Recent" patients={recent} empty="No charts opened yet." />
    </aside>
  );
}
