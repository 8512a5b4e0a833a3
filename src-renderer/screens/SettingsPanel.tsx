import { useEffect, useRef, useState } from 'react';
import type { ChannelResponse } from '../../src-shared/ipc/contract.ts';
import { invoke } from '../api.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

type PolicyView = ChannelResponse<'workstation.policy'>;

/**
 * The workstation's settings, read-only: IT sets them by managed policy and nobody can change
 * them from the app ("Managed by your organization").
 */
export function SettingsPanel({ onClose }: { onClose(): void }) {
  const [view, setView] = useState<PolicyView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    void invoke('workstation.policy', {}).then((result) =>
      result.ok ? setView(result.data) : setError(result.error.message),
    );
  }, []);
  return (
    <section className="panel" aria-labelledby="settings-heading">
      <div className="chart__header">
        <h1 id="settings-heading" ref={heading} tabIndex={-1}>
          Settings
        </h1>
        <button type="button" className="button button--secondary" onClick={onClose}>
          Close settings
        </button>
      </div>
      <p className="lead">
        <strong>Managed by your organization.</strong> IT sets these for every workstation; they cannot be changed here.
      </p>
      {error && <ErrorAlert label="Not loaded:" message={error} />}
      {view && (
        <>
          <p className="hint">Source: {view.source}</p>
          <table className="chart-table">
            <caption className="visually-hidden">Managed settings</caption>
            <thead>
              <tr>
                <th scope="col">Setting</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {view.settings.map((s) => (
                <tr key={s.name}>
                  <td>
                    <code>{s.name}</code>
                  </td>
                  <td className="setting-value">{s.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
