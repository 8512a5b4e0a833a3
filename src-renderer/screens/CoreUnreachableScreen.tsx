import { useHeadingFocus } from './focus.ts';

interface Props {
  message: string;
  onRetry(): void;
  focusHeading: boolean;
}

/** The core did not answer `workstation.status`: nothing can be shown, only a way to try again. */
export function CoreUnreachableScreen({ message, onRetry, focusHeading }: Props) {
  const heading = useHeadingFocus<HTMLHeadingElement>(focusHeading);
  return (
    <main className="screen screen--centered">
      <section className="panel panel--problem" aria-labelledby="unreachable-heading">
        <h1 id="unreachable-heading" ref={heading} tabIndex={-1}>
          Cannot reach the workstation service
        </h1>
        <p>
          This window could not talk to the part of the app that keeps the encrypted cache, so no patient information
          can be shown.
        </p>
        <p>
          <span className="label">Details:</span> {message}
        </p>
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
        <p className="hint">If this keeps happening, restart the app or contact IT.</p>
      </section>
    </main>
  );
}
