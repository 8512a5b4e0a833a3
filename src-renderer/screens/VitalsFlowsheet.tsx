import type { ReactNode } from 'react';
import type { SyncMark } from '../../src-shared/sync/status.ts';
import { formatDate } from '../format.ts';
import {
  flagOf,
  formatNumber,
  numbersOf,
  signOf,
  VITAL_SIGN_ROWS,
  type VitalRow,
  type VitalSign,
} from './vital-signs.ts';

/** A reading time: its column. Readings recorded together (one form) share their time. */
interface Column {
  effective: string | null;
  label: string;
}

const NO_TIME = 'Time not recorded';

/** The columns, newest first (a reading without a time last), at most `limit`. */
export function flowsheetColumns(rows: readonly VitalRow[], limit: number): Column[] {
  const times = [...new Set(rows.map((row) => row.effective))];
  const at = (t: string | null) => (t === null ? -Infinity : Date.parse(t) || -Infinity);
  times.sort((a, b) => at(b) - at(a));
  return times.slice(0, limit).map((effective) => ({ effective, label: formatDate(effective, NO_TIME) }));
}

function Cell({ row, vital, tag }: { row: VitalRow; vital: VitalSign | undefined; tag(sync: SyncMark): ReactNode }) {
  const numbers = vital ? numbersOf(row, vital) : null;
  const flag = vital && numbers ? flagOf(vital, numbers) : null;
  return (
    <td className={flag ? `flowsheet__cell flowsheet__cell--${flag}` : 'flowsheet__cell'}>
      {numbers ? numbers.map(formatNumber).join('/') : row.value}
      {/* In words, not by colour alone. */}
      {flag && <span className={`flag flag--${flag}`}>{flag === 'high' ? ' High' : ' Low'}</span>} {tag(row.sync)}
    </td>
  );
}

/**
 * The vitals flowsheet: reading times as columns (newest first, in the locale's date and time),
 * vital signs as rows in plain words with their unit, each value flagged "High" or "Low" outside
 * the usual adult range. Other observations the chart holds get a row of their own, by name.
 */
export function VitalsFlowsheet({
  rows,
  limit,
  tag,
}: {
  rows: readonly VitalRow[];
  limit: number;
  tag(sync: SyncMark): ReactNode;
}) {
  const columns = flowsheetColumns(rows, limit);
  const shownTimes = new Set(columns.map((c) => c.effective));
  const shown = rows.filter((row) => shownTimes.has(row.effective));
  const others = [...new Set(shown.filter((row) => !signOf(row)).map((row) => row.name))];
  const lines = [
    ...VITAL_SIGN_ROWS.map((vital) => ({
      key: vital.code,
      label: `${vital.name} (${vital.unit})`,
      vital,
      of: (row: VitalRow) => signOf(row) === vital,
    })),
    ...others.map((name) => ({
      key: `other:${name}`,
      label: name,
      vital: undefined,
      of: (row: VitalRow) => !signOf(row) && row.name === name,
    })),
  ].filter((line) => shown.some(line.of));
  return (
    <div className="flowsheet" role="group" aria-label="Flowsheet, scrolls sideways" tabIndex={0}>
      <table className="chart-table flowsheet__table">
        <caption className="visually-hidden">Vitals flowsheet: vital signs by reading time, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Vital sign</th>
            {columns.map((column) => (
              <th scope="col" key={column.effective ?? ''}>
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {lines.map((line) => (
            <tr key={line.key}>
              <th scope="row">{line.label}</th>
              {columns.map((column) => {
                const row = shown.find((r) => r.effective === column.effective && line.of(r));
                return row ? (
                  <Cell key={column.effective ?? ''} row={row} vital={line.vital} tag={tag} />
                ) : (
                  <td key={column.effective ?? ''}>
                    <span className="visually-hidden">Not taken</span>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
