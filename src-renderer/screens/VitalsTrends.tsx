import type { ChartSections } from '../../src-shared/chart/chart.ts';
import { VITAL_RANGES } from '../../src-shared/chart/vitals.ts';
import { VITAL_SIGNS } from '../../src-shared/fhir/codes.ts';

type VitalRow = ChartSections['vitals'][number];

/**
 * The vital signs drawn as trends: each by the LOINC code of its rows (blood pressure: its panel,
 * systolic plotted), with the names and units the vitals form uses.
 */
const TRENDS = (
  [
    ['heartRate', 'heartRate'],
    ['bloodPressure', 'systolic'],
    ['bodyTemperature', 'bodyTemperature'],
    ['respiratoryRate', 'respiratoryRate'],
    ['bodyWeight', 'bodyWeight'],
    ['oxygenSaturation', 'oxygenSaturation'],
  ] as const
).map(([sign, field]) => ({
  code: VITAL_SIGNS[sign].loinc,
  name: VITAL_RANGES[field].label,
  unit: VITAL_RANGES[field].unit,
}));

/** The newest readings drawn; older ones stay in the table. */
const MAX_POINTS = 20;
const WIDTH = 160;
const HEIGHT = 48;
const PAD = 4;

/** The leading number of a formatted value: "72 /min" → 72, "128/84 mm[Hg]" → 128 (systolic). */
export function leadingNumber(value: string): number | null {
  const match = /^\s*(-?\d+(?:[.,]\d+)?)/.exec(value);
  if (!match?.[1]) return null;
  const number = Number(match[1].replace(',', '.'));
  return Number.isFinite(number) ? number : null;
}

/**
 * One series per vital sign, oldest first. The chart sends rows newest first; when every row
 * has a date they are ordered by it, which holds whatever order they came in.
 */
function series(rows: readonly VitalRow[], code: string): number[] {
  const own = rows.filter((row) => row.code === code).reverse();
  if (own.every((row) => row.effective !== null))
    own.sort((a, b) => (a.effective ?? '').localeCompare(b.effective ?? ''));
  return own
    .map((row) => leadingNumber(row.value))
    .filter((value): value is number => value !== null)
    .slice(-MAX_POINTS);
}

const format = (value: number) => String(Number(value.toFixed(1)));

function Sparkline({ name, unit, values }: { name: string; unit: string; values: readonly number[] }) {
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min;
  const x = (index: number) => PAD + (index * (WIDTH - 2 * PAD)) / (values.length - 1);
  // A flat series is drawn across the middle rather than along an edge.
  const y = (value: number) => (span === 0 ? HEIGHT / 2 : PAD + ((max - value) * (HEIGHT - 2 * PAD)) / span);
  const points = values.map((value, index) => `${x(index).toFixed(1)},${y(value).toFixed(1)}`).join(' ');
  const last = values.length - 1;
  const latest = values[last] ?? 0;
  // The text alternative carries every value drawn, in order: the picture adds nothing it lacks.
  const description = `${name} trend: ${values.map(format).join(', ')} ${unit}`;
  return (
    <figure className="trend">
      <figcaption className="trend__name">{name}</figcaption>
      <svg
        className="trend__chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={description}
        focusable="false"
      >
        <polyline className="trend__line" points={points} fill="none" vectorEffect="non-scaling-stroke" />
        <circle className="trend__latest" cx={x(last)} cy={y(latest)} r={3} />
      </svg>
      {/* The same numbers as the text alternative, for the eye; hidden from screen readers, which have them already. */}
      <p className="trend__range" aria-hidden="true">
        latest {format(latest)} · low {format(min)} · high {format(max)}
      </p>
    </figure>
  );
}

/** Small trend charts for each vital sign with two or more readings, above the table. */
export function VitalsTrends({ rows }: { rows: readonly VitalRow[] }) {
  const drawn = TRENDS.map((trend) => ({ ...trend, values: series(rows, trend.code) })).filter(
    (trend) => trend.values.length >= 2,
  );
  if (drawn.length === 0) return null;
  return (
    <div className="trends">
      {drawn.map((trend) => (
        <Sparkline key={trend.code} name={trend.name} unit={trend.unit} values={trend.values} />
      ))}
    </div>
  );
}
