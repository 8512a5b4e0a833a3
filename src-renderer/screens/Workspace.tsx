import { useEffect, useState } from 'react';
import type { WorkstationStatus } from '../../src-shared/ipc/contract.ts';
import type { SessionStatus } from '../../src-shared/session/status.ts';
import { invoke } from '../api.ts';
import { ChartView } from './ChartView.tsx';
import { LockingSoonDialog } from './LockingSoonDialog.tsx';
import { PatientSearch } from './PatientSearch.tsx';
import { ReviewQueue } from './ReviewQueue.tsx';
import { SettingsPanel } from './SettingsPanel.tsx';
import { EmergencyBanner } from './EmergencyBanner.tsx';
import { useChartStore } from '../stores/chart.ts';
import { sessionAction } from './session-actions.ts';

const roleNames: Record<NonNullable<SessionStatus['user']>['role'], string> = {
  physician: 'Physician',
  nurse: 'Nurse',
  frontDesk: 'Front desk',
  privacyOfficer: 'Privacy officer',
  itAdmin: 'IT administrator',
};

/** Input that counts as someone at the keyboard. Reported at most once a second. */
const ACTIVITY_EVENTS = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart'] as const;
const ACTIVITY_THROTTLE_MS = 1000;

function useActivityReports(): void {
  useEffect(() => {
    let last = 0;
    const report = () => {
      const now = Date.now();
      if (now - last < ACTIVITY_THROTTLE_MS) return;
      last = now;
      void invoke('session.activity', {});
    };
    for (const type of ACTIVITY_EVENTS) window.addEventListener(type, report, { capture: true, passive: true });
    return () => {
      for (const type of ACTIVITY_EVENTS) window.removeEventListener(type, report, { capture: true });
    };
  }, []);
}

/** Ctrl+Shift+L (Cmd+Shift+L on macOS) locks at once, wherever the focus is. */
function useLockHotkey(): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.shiftKey && event.key.toLowerCase() === 'l') {
        event.preventDefault();
        void sessionAction('session.lock', {});
      }
    };
    window.addEventListener('keydown', onKey, { capture: true });
    return () => window.removeEventListener('keydown', onKey, { capture: true });
  }, []);
}

/** The signed-in workspace: who is signed in, lock and switch user, patient search and the chart. */
export function Workspace({ workstation, session }: { workstation: WorkstationStatus; session: SessionStatus }) {
  useActivityReports();
  useLockHotkey();
  const user = session.user;
  const chart = useChartStore((state) => state.view);
  const [showSettings, setShowSettings] = useState(false);
  const emergencyUntil = chart.phase === 'open' ? chart.emergencyAccessUntil : null;
  return (
    <div className="layout">
      {/* A region, not a banner: the one banner landmark is "Emergency access active" when shown. */}
      <div className="app-header app-header--session" role="region" aria-label="Session">
        <p className="app-title">{workstation.appName}</p>
        <p className="session-user">
          {user?.displayName} · {user ? roleNames[user.role] : ''}
          {session.offline && ' · signed in with PIN'}
        </p>
        <div className="actions">
          <button type="button" className="button button--secondary" onClick={() => void sessionAction('session.lock', {})} aria-keyshortcuts="Control+Shift+L Meta+Shift+L">
            Lock now
          </button>
          <button type="button" className="button button--secondary" onClick={() => setShowSettings((shown) => !shown)} aria-expanded={showSettings}>
            Settings
          </button>
          <button type="button" className="button button--secondary" onClick={() => void sessionAction('session.end', { reason: 'switchUser' })}>
            Switch user
          </button>
        </div>
      </div>
      {emergencyUntil !== null && <EmergencyBanner until={emergencyUntil} />}
      <main className="screen workspace">
        {showSettings && <SettingsPanel onClose={() => setShowSettings(false)} />}
        {user?.role === 'privacyOfficer' ? (
          <ReviewQueue />
        ) : user?.role === 'itAdmin' ? (
          <section className="panel" aria-labelledby="no-records-heading">
            <h1 id="no-records-heading">No patient records for this role</h1>
            <p>Your role does not show patient data on this workstation.</p>
          </section>
        ) : (
          <>
            <section className="panel" aria-labelledby="search-heading">
              <h1 id="search-heading">Patient search</h1>
              <PatientSearch />
            </section>
            <ChartView />
          </>
        )}
      </main>
      {session.state === 'warning' && session.lockDeadline !== null && <LockingSoonDialog deadline={session.lockDeadline} />}
    </div>
  );
}
