import { useEffect, useRef, useState } from 'react';
import type { ChannelResponse, PolicySettingView } from '../../src-shared/ipc/contract.ts';
import { invoke } from '../api.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

type PolicyView = ChannelResponse<'workstation.policy'>;

/** The settings in the main process's order, gathered under their groups (first seen first). */
function byGroup(settings: readonly PolicySettingView[]): [string, PolicySettingView[]][] {
  const groups = new Map<string, PolicySettingView[]>();
  for (const s of settings) groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
  return [...groups];
}

/** Where a value comes from, in words; under a managed policy every one is locked to it. */
function sourceOf(setting: PolicySettingView, managed: boolean): string {
  const from = setting.isDefault ? 'Built-in default' : 'Set by policy';
  return managed ? `${from} · locked by managed policy` : from;
}

function SettingsGroup({
  group,
  settings,
  managed,
}: {
  group: string;
  settings: PolicySettingView[];
  managed: boolean;
}) {
  const id = `settings-${group.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return (
    <section className="status-group" aria-labelledby={id}>
      <h2 id={id}>{group}</h2>
      <table className="chart-table settings-table">
        <caption className="visually-hidden">{`${group} settings`}</caption>
        <thead>
          <tr>
            <th scope="col">Setting</th>
            <th scope="col">Value</th>
            <th scope="col">Comes from</th>
          </tr>
        </thead>
        <tbody>
          {settings.map((s) => (
            <tr key={s.name}>
              <th scope="row" className="settings-table__setting">
                <span className="settings-table__label">{s.label}</span>
                <span className="hint settings-table__description">{s.description}</span>
                <code className="settings-table__name">{s.name}</code>
              </th>
              <td className="setting-value">{s.value}</td>
              <td>{sourceOf(s, managed)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/**
 * The workstation's settings in words, grouped, read-only: IT sets them by managed policy and
 * nobody can change them from the app ("Managed by your organization").
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
          <p className="hint">
            Source: {view.source}
            {view.managed ? ' (managed policy: every setting is locked to it)' : ' (not a managed policy)'}
          </p>
          {byGroup(view.settings).map(([group, settings]) => (
            <SettingsGroup key={group} group={group} settings={settings} managed={view.managed} />
          ))}
        </>
      )}
    </section>
  );
}
