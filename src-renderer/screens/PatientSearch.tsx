import { useRef, type FormEvent, type KeyboardEvent } from 'react';
import { numericDatePattern } from '../format.ts';
import { CENTRAL_RESULTS_LIST } from '../stores/chart.ts';
import { QUERY_MAX_LENGTH, SEARCH_LIMIT, usePatientSearchStore } from '../stores/patient-search.ts';
import { PatientRow } from './PatientRow.tsx';
import { VirtualList, type VirtualListHandle } from './VirtualList.tsx';

/** Ctrl+Shift+F (Cmd+Shift+F on macOS) puts focus in the search box from anywhere in the workspace. */
export const SEARCH_SHORTCUT = 'Control+Shift+F Meta+Shift+F';

function countText(count: number): string {
  return count === 0 ? 'No patients found.' : `${count} ${count === 1 ? 'patient' : 'patients'} found.`;
}

/**
 * The search box ("Search patients", a contract name), its results, and one polite live region
 * that announces progress, the number of results, or the router's typed error. Results follow
 * the typing (stores/patient-search.ts); Enter searches at once; ArrowDown enters the results.
 */
export function PatientSearch() {
  const query = usePatientSearchStore((state) => state.query);
  const phase = usePatientSearchStore((state) => state.phase);
  const results = usePatientSearchStore((state) => state.results);
  const resultsId = usePatientSearchStore((state) => state.resultsId);
  const error = usePatientSearchStore((state) => state.error);
  const central = usePatientSearchStore((state) => state.central);
  const setQuery = usePatientSearchStore((state) => state.setQuery);
  const search = usePatientSearchStore((state) => state.search);
  const input = useRef<HTMLInputElement>(null);
  const list = useRef<VirtualListHandle>(null);
  const centralList = useRef<VirtualListHandle>(null);
  // The last results stay on screen while the next search runs, so typing does not make the list flicker.
  const showList = (phase === 'done' || phase === 'searching') && results.length > 0;
  const showCentral = phase === 'done' && central.phase === 'done' && central.results.length > 0;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    void search();
  };

  const onInputKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown' && (showList || showCentral)) {
      event.preventDefault();
      (showList ? list : centralList).current?.focusRow(0);
    }
  };

  return (
    <>
      <form role="search" className="search" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="patient-search">Search patients</label>
          <p id="patient-search-hint" className="hint">
            Name, MRN or birth date as {numericDatePattern().hint}. Results appear as you type; press the Down arrow to
            move into them. Ctrl+Shift+F comes back here from anywhere.
          </p>
          <div className="search__row">
            <input
              id="patient-search"
              ref={input}
              type="search"
              className="input"
              aria-describedby="patient-search-hint"
              aria-keyshortcuts={SEARCH_SHORTCUT}
              aria-controls={showList ? 'patient-results' : undefined}
              autoComplete="off"
              autoCorrect="off"
              spellCheck={false}
              maxLength={QUERY_MAX_LENGTH}
              value={query}
              onChange={(event) => setQuery(event.target.value)}
              onKeyDown={onInputKey}
            />
            <button type="submit" className="button">
              Search
            </button>
          </div>
        </div>
      </form>

      <div role="status" aria-live="polite" aria-atomic="true" className="search-status">
        {phase === 'searching' && <p>Searching…</p>}
        {phase === 'done' && <p>{countText(results.length)}</p>}
        {phase === 'done' && results.length >= SEARCH_LIMIT && (
          <p className="hint">Showing the first {SEARCH_LIMIT}. Type more of the name to narrow the search.</p>
        )}
        {phase === 'error' && error && (
          <p className="message message--error">
            <span className="message__label">Search not done:</span> {error.message}
          </p>
        )}
      </div>

      {showList && (
        <div id="patient-results" className="results">
          <VirtualList
            key={resultsId}
            ref={list}
            count={results.length}
            label="Patients found"
            rowKey={(index) => results[index]?.id ?? String(index)}
            renderRow={(index, focus) => {
              const patient = results[index];
              return patient ? <PatientRow patient={patient} list="patient-results" focus={focus} /> : null;
            }}
            onLeaveTop={() => input.current?.focus()}
          />
        </div>
      )}

      {/* Central's matches outside this workstation: after the local ones, announced on their own. */}
      <div role="status" aria-live="polite" aria-atomic="true" className="search-status">
        {phase === 'done' && central.phase === 'searching' && <p className="hint">Asking central…</p>}
        {phase === 'done' && central.phase === 'error' && central.error?.code === 'OFFLINE' && (
          <p className="hint">{central.error.message}</p>
        )}
        {phase === 'done' && central.phase === 'error' && central.error && central.error.code !== 'OFFLINE' && (
          <p className="message message--error">
            <span className="message__label">Central not searched:</span> {central.error.message}
          </p>
        )}
        {showCentral && (
          <p>
            {central.results.length} more {central.results.length === 1 ? 'patient' : 'patients'} on central, not on
            this workstation.
            {central.more ? ' Type more of the name to narrow the search.' : ''}
          </p>
        )}
      </div>

      {showCentral && (
        <section id={CENTRAL_RESULTS_LIST} className="results" aria-labelledby="central-results-heading">
          <h3 id="central-results-heading">Not on this workstation</h3>
          <p className="hint">Found on central. Opening one brings the chart to this workstation.</p>
          <VirtualList
            key={`central-${resultsId}`}
            ref={centralList}
            count={central.results.length}
            label="Patients on central"
            rowKey={(index) => central.results[index]?.id ?? String(index)}
            renderRow={(index, focus) => {
              const patient = central.results[index];
              return patient ? (
                <PatientRow patient={{ ...patient, onCentral: true }} list={CENTRAL_RESULTS_LIST} focus={focus} />
              ) : null;
            }}
            onLeaveTop={() => (showList ? list.current?.focusRow(results.length - 1) : input.current?.focus())}
          />
        </section>
      )}
    </>
  );
}
