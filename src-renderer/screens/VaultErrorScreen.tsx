import type { ReactNode } from 'react';
import type { WorkstationStatus } from '../../src-shared/ipc/contract.ts';
import type { VaultStatus } from '../../src-shared/vault/status.ts';
import { useHeadingFocus } from './focus.ts';

interface Props {
  status: WorkstationStatus;
  vault: Extract<VaultStatus, { state: 'error' }>;
  focusHeading: boolean;
}

/** The guide for IT marks commands with backticks; show them as code. */
function withCode(text: string): ReactNode[] {
  return text.split('`').map((part, index) => (index % 2 === 1 ? <code key={index}>{part}</code> : part));
}

/**
 * Fail closed: the encrypted cache could not be opened. The window shows what IT needs (the code,
 * what happened, what to do) and nothing else: no search, no sign-in, no patient data.
 */
export function VaultErrorScreen({ status, vault, focusHeading }: Props) {
  const heading = useHeadingFocus<HTMLHeadingElement>(focusHeading);
  // A remote wipe is not a fault to fix: the cache is gone on purpose, and stays gone.
  const wiped = vault.code === 'WIPED';
  return (
    <main className="screen screen--centered">
      <section className="panel panel--problem" aria-labelledby="vault-error-heading">
        <h1 id="vault-error-heading" ref={heading} tabIndex={-1}>
          {wiped ? 'This workstation was wiped by IT' : 'Encrypted cache unavailable'}
        </h1>
        <p className="lead">
          {wiped
            ? 'Its encrypted cache was erased on an order from central. It holds no records and cannot be used until IT enrolls it again.'
            : 'This workstation cannot open its encrypted cache. Show this screen to IT.'}
        </p>
        <dl className="facts">
          <div className="facts__row">
            <dt>Error code</dt>
            <dd>
              <code className="error-code">{vault.code}</code>
            </dd>
          </div>
          <div className="facts__row">
            <dt>What happened</dt>
            <dd>{withCode(vault.title)}</dd>
          </div>
          {vault.detail ? (
            <div className="facts__row">
              <dt>Details</dt>
              <dd className="facts__long">{vault.detail}</dd>
            </div>
          ) : null}
          <div className="facts__row">
            <dt>What to do</dt>
            <dd>{withCode(vault.action)}</dd>
          </div>
          <div className="facts__row">
            <dt>App version</dt>
            <dd>
              {status.appName} {status.appVersion}
            </dd>
          </div>
        </dl>
      </section>
    </main>
  );
}
