import type { Ref } from 'react';
import type { ChartSections } from '../../src-shared/chart/chart.ts';
import type { ChartView } from '../stores/chart.ts';
import { ageOf, describeSex, formatDate } from '../format.ts';

type OpenView = Extract<ChartView, { phase: 'open' }>;
type AllergyRow = ChartSections['allergies'][number];

const CRITICALITY_RANK: Readonly<Record<string, number>> = { high: 3, 'unable-to-assess': 2, low: 1 };

/**
 * The allergies line: the allergy of the highest criticality first (high, then unable to assess,
 * then low), how many more, or "No known allergies" when none is active. Inactive and resolved
 * allergies are in the Allergies section, not in the banner.
 */
function allergySummary(allergies: readonly AllergyRow[]): string {
  const active = allergies.filter((a) => a.statusCode !== 'inactive' && a.statusCode !== 'resolved');
  if (active.length === 0) return 'No known allergies';
  const rank = (a: AllergyRow) => CRITICALITY_RANK[a.criticality ?? ''] ?? 0;
  const [top, ...rest] = [...active].sort((a, b) => rank(b) - rank(a));
  const criticality = top!.criticality ? ` (${top!.criticality.replace(/-/g, ' ')} criticality)` : '';
  return `${top!.substance}${criticality}${rest.length > 0 ? `, ${rest.length} more` : ''}`;
}

/** On what grounds this chart is shown: the clinician's care team, or emergency access. */
function accessBasis(view: OpenView): string {
  if (view.access === 'full') return view.emergencyAccessUntil !== null ? 'Emergency access' : 'Care team';
  if (view.access === 'restricted') return 'Restricted: not on your care team';
  return 'Demographics only';
}

/**
 * The patient banner: who this chart is about, always in view above the chart while it scrolls
 * (a wrong-patient safeguard): name, age and sex, birth date in the locale, MRN, allergies and
 * the access basis, with "Close chart". The name is the heading focus lands on when a chart opens.
 */
export function PatientBanner({
  view,
  headingRef,
  onClose,
}: {
  view: OpenView;
  headingRef: Ref<HTMLHeadingElement>;
  onClose(): void;
}) {
  const { patient, sections } = view;
  const age = ageOf(patient.birthDate);
  return (
    <section className="patient-banner" aria-label="Patient banner">
      <div className="patient-banner__top">
        <h2 id="chart-heading" ref={headingRef} tabIndex={-1}>
          {patient.name}
        </h2>
        <p className="patient-banner__who">
          {age ?? 'Age not known'}, {describeSex(patient.gender)}
        </p>
        <button type="button" className="button button--secondary" onClick={onClose}>
          Close chart
        </button>
      </div>
      <dl className="facts facts--inline patient-banner__facts">
        <div className="facts__row">
          <dt>Born</dt>
          <dd>{formatDate(patient.birthDate, 'Not recorded')}</dd>
        </div>
        <div className="facts__row">
          <dt>MRN</dt>
          <dd>{patient.mrn ?? 'Not recorded'}</dd>
        </div>
        <div className="facts__row">
          <dt>Allergies</dt>
          <dd
            className={
              sections && allergySummary(sections.allergies) !== 'No known allergies'
                ? 'patient-banner__allergy'
                : undefined
            }
          >
            {sections ? allergySummary(sections.allergies) : 'Not shown with this access'}
          </dd>
        </div>
        <div className="facts__row">
          <dt>Access</dt>
          <dd>{accessBasis(view)}</dd>
        </div>
      </dl>
    </section>
  );
}
