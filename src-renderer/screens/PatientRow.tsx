import type { PatientListItem, PatientSummary } from '../../src-shared/ipc/contract.ts';
import { ageOf, describeSex, formatDate } from '../format.ts';
import { useChartStore } from '../stores/chart.ts';

/**
 * One patient in a list (search results, "My patients", "Recent"): the name opens the chart; age,
 * sex, birth date and MRN tell look-alike names apart; "Restricted record" says before opening
 * that the chart would show demographics only (not on the care team), in words, not by color.
 * `list` is the id of the list, so closing the chart can give focus back to this row. A patient
 * found at central (`onCentral`) says "Not on this workstation": opening brings the chart here.
 */
export function PatientRow({
  patient,
  list,
  focus,
}: {
  patient: PatientListItem | (PatientSummary & { onCentral: true });
  list: string;
  focus?: { tabIndex: number; 'data-row': number };
}) {
  const open = useChartStore((state) => state.open);
  const age = ageOf(patient.birthDate);
  return (
    <div className="result">
      <div className="result__line">
        <button
          type="button"
          className="result__name link-button"
          data-patient-id={patient.id}
          onClick={() => void open(patient.id, list)}
          {...focus}
        >
          {patient.name}
        </button>
        {'onCentral' in patient ? (
          <span className="tag">Not on this workstation</span>
        ) : (
          patient.restricted && <span className="tag tag--restricted">Restricted record</span>
        )}
      </div>
      <dl className="result__facts">
        <div>
          <dt className="visually-hidden">Age and sex</dt>
          <dd>
            {age ?? 'Age not known'}, {describeSex(patient.gender)}
          </dd>
        </div>
        <div>
          <dt>Born</dt>
          <dd>{formatDate(patient.birthDate, 'Not recorded')}</dd>
        </div>
        <div>
          <dt>MRN</dt>
          <dd>{patient.mrn ?? 'Not recorded'}</dd>
        </div>
      </dl>
    </div>
  );
}
