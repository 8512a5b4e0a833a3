import type { FormEvent } from 'react';
import type { PatientSummary } from '../../src-shared/ipc/contract.ts';
import { useChartStore } from '../stores/chart.ts';
import { QUERY_MAX_LENGTH, usePatientSearchStore } from '../stores/patient-search.ts';

function describeGender(gender: string | null): string {
  if (!gender) return 'Not recorded';
  return gender.charAt(0).toUpperCase() + gender.slice(1);
}

function PatientRow({ patient }: { patient: PatientSummary }) {
  const open = useChartStore((state) => state.open);
  return (
    <li className="result">
      <button type="button" className="result__name link-button" onClick={() => void open(patient.id)}>
        {patient.name}
      </button>
      <dl className="result__facts">
        <div>
          <dt>MRN</dt>
          <dd>{patient.mrn ?? 'Not recorded'}</dd>
        </div>
        <div>
          <dt>Born</dt>
          <dd>{patient.birthDate ?? 'Not recorded'}</dd>
        </div>
        <div>
          <dt>Gender</dt>
          <dd>{describeGender(patient.gender)}</dd>
        </div>
      </dl>
    </li>
  );
}

/**
 * The search box ("Search patients", a contract name), its results, and one polite live region
 * that announces progress, the number of results, or the router's typed error.
 */
export function PatientSearch() {
  const query = usePatientSearchStore((state) => state.query);
  const phase = usePatientSearchStore((state) => state.phase);
  const results = usePatientSearchStore((state) => state.results);
  const error = usePatientSearchStore((state) => state.error);
  const setQuery = usePatientSearchStore((state) => state.setQuery);
  const search = usePatientSearchStore((state) => state.search);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    void search();
  };

  return (
    <>
      <form role="search" className="search" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="patient-search">Search patients</label>
          <p id="patient-search-hint" className="hint">
            Name, MRN or birth date (YYYY-MM-DD). Press Enter to search.
          </p>
          <div className="search__row">
            <input
              id="patient-search"
              type="search"
              className="input"
              aria-describedby="patient-search-hint"
              autoComplete="off"
              autoCorrect="off"
              spellCheck={false}
              maxLength={QUERY_MAX_LENGTH}
              value={query}
              onChange={(event) => setQuery(event.target.value)}
            />
            <button type="submit" className="button">
              Search
            </button>
          </div>
        </div>
      </form>

      <div role="status" aria-live="polite" aria-atomic="true" className="search-status">
        {phase === 'searching' && <p>Searching…</p>}
        {phase === 'done' && (
          <p>{results.length === 0 ? 'No patients found.' : `${results.length} ${results.length === 1 ? 'patient' : 'patients'} found.`}</p>
        )}
        {phase === 'error' && error && (
          <p className="message message--error">
            <span className="message__label">Search not done:</span> {error.message}
          </p>
        )}
      </div>

      {phase === 'done' && results.length > 0 && (
        <ul className="results" aria-label="Patients found">
          {results.map((patient) => (
            <PatientRow key={patient.id} patient={patient} />
          ))}
        </ul>
      )}
    </>
  );
}
