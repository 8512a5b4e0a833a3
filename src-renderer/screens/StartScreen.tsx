import type { WorkstationStatus } from '../../src-shared/ipc/contract.ts';
import { PatientSearch } from './PatientSearch.tsx';
import { useHeadingFocus } from './focus.ts';

interface Props {
  status: WorkstationStatus;
  focusHeading: boolean;
}

export function StartScreen({ status, focusHeading }: Props) {
  const heading = useHeadingFocus<HTMLHeadingElement>(focusHeading);
  return (
    <div className="layout">
      <header className="app-header">
        <h1 className="app-title" ref={heading} tabIndex={-1}>
          {status.appName}
        </h1>
        <p className="app-version">Version {status.appVersion}</p>
      </header>
      <main className="screen start">
        <section className="panel" aria-labelledby="sign-in-heading">
          <h2 id="sign-in-heading">Sign in</h2>
          <p>
            You sign in with your own clinic account, through your clinic&apos;s identity provider
            (the same sign-in, and the same multi-factor check, as your other clinic systems).
          </p>
          <p className="hint">Sign-in is not available in this version yet.</p>
        </section>
        <section className="panel" aria-labelledby="search-heading">
          <h2 id="search-heading">Patient search</h2>
          <PatientSearch />
        </section>
      </main>
    </div>
  );
}
