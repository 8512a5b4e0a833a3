import type { OnDemandChart } from '../../src-shared/ipc/contract.ts';
import { formatClock } from '../format.ts';

/**
 * Said at the top of a chart the sync rounds do not keep here (the patient is outside this
 * workstation's cache scope, brought from central on demand): when it was read from central, and,
 * when central could not be reached now, that this is the copy kept here and may be out of date.
 * In words, not by color; a note (not an alert): nothing went wrong when it was read now.
 */
export function OnDemandNotice({ onDemand }: { onDemand: OnDemandChart }) {
  const when = onDemand.fetchedAt === null ? null : formatClock(onDemand.fetchedAt);
  return (
    <section className="notice" aria-labelledby="on-demand-heading">
      <h3 id="on-demand-heading">Not kept on this workstation</h3>
      {onDemand.current ? (
        <p>
          Brought from central just now{when ? ` (${when})` : ''}. This patient is outside this workstation&apos;s list,
          so the chart is read from central each time it is opened, and removed from here some time after it was last
          opened.
        </p>
      ) : (
        <p>
          Central cannot be reached: this is the copy kept here
          {when ? `, brought from central ${when}` : ', from when this patient was on this workstation\u2019s list'}. It
          may be out of date.
        </p>
      )}
    </section>
  );
}
