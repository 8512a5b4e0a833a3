import type { ChartSections } from '../../src-shared/chart/chart.ts';
import { formatDate } from '../format.ts';
import { formatNumber, numbersOf, VITAL_SIGN_ROWS, signOf, type VitalSign } from './vital-signs.ts';

type VitalRow = ChartSections['vitals'][number];

/** The newest readings drawn; older ones stay in the flowsheet. */
const MAX_POINTS = 20;
const WIDTH = 280;
const HEIGHT = 120;
/** Room for the value axis's labels on the left and the time axis's below. */
const LEFT = 34;
const RIGHT = 8;
const TOP = 8;
const BOTTOM = 22;

interface Point {
  at: number;
  effective: string;
  numbers: number[];
}

/**
 * One vital sign's readings with a time and a number in its unit, oldest first: a reading without
 * a time cannot be placed on the time axis and is left to the flowsheet.
 */
function series(rows: readonly VitalRow[], vital: VitalSign): Point[] {
  return rows
    .filter((row) => signOf(row) === vital && row.effective !== null && !Number.isNaN(Date.parse(row.effective)))
    .flatMap((row) => {
      const numbers = numbersOf(row, vital);
      return numbers ? [{ at: Date.parse(row.effective!), effective: row.effective!, numbers }] : [];
    })
    .sort((a, b) => a.at - b.at)
    .slice(-MAX_POINTS);
}

/** The value axis's ends: the readings' low and high, opened a little so no line runs along an edge. */
function valueRange(points: readonly Point[]): [number, number] {
  const all = points.flatMap((p) => p.numbers);
  const min = Math.min(...all);
  const max = Math.max(...all);
  const pad = max === min ? Math.max(1, Math.abs(max) * 0.05) : (max - min) * 0.1;
  return [min - pad, max + pad];
}

const LINE_NAMES: Record<string, readonly string[]> = { bloodPressure: ['Systolic', 'Diastolic'] };

function TrendChart({ vital, points }: { vital: VitalSign; points: readonly Point[] }) {
  const [low, high] = valueRange(points);
  const first = points[0]!.at;
  const last = points[points.length - 1]!.at;
  const x = (at: number) => LEFT + (last === first ? 0.5 : (at - first) / (last - first)) * (WIDTH - LEFT - RIGHT);
  const y = (value: number) => TOP + ((high - value) * (HEIGHT - TOP - BOTTOM)) / (high - low);
  const lines = vital.fields.map((_field, index) => ({
    name: LINE_NAMES[vital.key]?.[index] ?? vital.name,
    values: points.map((p) => p.numbers[index]!),
  }));
  // The text alternative carries every value drawn, per line and in order: the picture adds nothing it lacks.
  const description =
    lines.length === 1
      ? `${vital.name} trend: ${lines[0]!.values.map(formatNumber).join(', ')} ${vital.unit}`
      : `${vital.name} trend: ${lines.map((l) => `${l.name.toLowerCase()} ${l.values.map(formatNumber).join(', ')}`).join('; ')} ${vital.unit}`;
  const ticks = [high, (high + low) / 2, low];
  return (
    <figure className="trend">
      <figcaption className="trend__name">
        {vital.name} ({vital.unit})
      </figcaption>
      <svg
        className="trend__chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={description}
        focusable="false"
      >
        {/* Axes: values on the left, reading times below (first and last). */}
        <line className="trend__axis" x1={LEFT} y1={TOP} x2={LEFT} y2={HEIGHT - BOTTOM} />
        <line className="trend__axis" x1={LEFT} y1={HEIGHT - BOTTOM} x2={WIDTH - RIGHT} y2={HEIGHT - BOTTOM} />
        {ticks.map((tick) => (
          <g key={tick}>
            <line className="trend__grid" x1={LEFT} y1={y(tick)} x2={WIDTH - RIGHT} y2={y(tick)} />
            <text className="trend__tick" x={LEFT - 4} y={y(tick) + 3} textAnchor="end">
              {formatNumber(tick)}
            </text>
          </g>
        ))}
        <text className="trend__tick" x={LEFT} y={HEIGHT - 6} textAnchor="start">
          {formatDate(points[0]!.effective)}
        </text>
        {points.length > 1 && (
          <text className="trend__tick" x={WIDTH - RIGHT} y={HEIGHT - 6} textAnchor="end">
            {formatDate(points[points.length - 1]!.effective)}
          </text>
        )}
        {lines.map((line, index) => (
          <g key={line.name} className={`trend__series trend__series--${index}`}>
            <polyline
              className="trend__line"
              points={points.map((p, i) => `${x(p.at).toFixed(1)},${y(line.values[i]!).toFixed(1)}`).join(' ')}
              fill="none"
              vectorEffect="non-scaling-stroke"
            />
            {points.map((p, i) => (
              <circle key={p.at} className="trend__point" cx={x(p.at)} cy={y(line.values[i]!)} r={2.5} />
            ))}
          </g>
        ))}
      </svg>
      {lines.length > 1 && (
        // The legend names each line by its mark as well as its colour; hidden from screen readers, which have the values.
        <p className="trend__legend" aria-hidden="true">
          {lines.map((line, index) => (
            <span key={line.name} className={`trend__key trend__key--${index}`}>
              {line.name}
            </span>
          ))}
        </p>
      )}
    </figure>
  );
}

/** A trend chart for each vital sign with two or more readings, above the flowsheet. */
export function VitalsTrends({ rows }: { rows: readonly VitalRow[] }) {
  const drawn = VITAL_SIGN_ROWS.map((vital) => ({ vital, points: series(rows, vital) })).filter(
    (trend) => trend.points.length >= 2,
  );
  if (drawn.length === 0) return null;
  return (
    <div className="trends">
      {drawn.map(({ vital, points }) => (
        <TrendChart key={vital.code} vital={vital} points={points} />
      ))}
    </div>
  );
}
