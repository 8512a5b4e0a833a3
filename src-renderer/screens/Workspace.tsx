import { useEffect, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import { roleHasPermission } from '../../src-shared/access/roles.ts';
import type { WorkstationStatus } from '../../src-shared/ipc/contract.ts';
import type { SessionStatus } from '../../src-shared/session/status.ts';
import { invoke } from '../api.ts';
import { ChartView } from './ChartView.tsx';
import { LockingSoonDialog } from './LockingSoonDialog.tsx';
import { PatientPane } from './PatientPane.tsx';
import { ReviewQueue } from './ReviewQueue.tsx';
import { AccessAlerts } from './AccessAlerts.tsx';
import { RestrictedConflicts } from './RestrictedConflicts.tsx';
import { ReviewHistory } from './ReviewHistory.tsx';
import { SettingsPanel } from './SettingsPanel.tsx';
import { ChangePinPanel } from './ChangePinPanel.tsx';
import { EmergencyBanner } from './EmergencyBanner.tsx';
import { useChartStore } from '../stores/chart.ts';
import { useSyncStore } from '../stores/sync.ts';
import { sessionAction } from './session-actions.ts';
import { SyncConflicts } from './SyncConflicts.tsx';
import { SyncStatusBar } from './SyncStatusBar.tsx';
import { SwitchUserDialog } from './SwitchUserDialog.tsx';
import { KeepDraftsDialog } from './KeepDraftsDialog.tsx';
import { useDraftsStore } from '../stores/drafts.ts';
import { WorkstationStatusPanel } from './WorkstationStatusPanel.tsx';

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

/**
 * Ctrl+Shift+F (Cmd+Shift+F) puts focus in "Search patients" from anywhere in the workspace
 * (documented in the README's keyboard table; the search box says so in aria-keyshortcuts).
 */
function useSearchHotkey(): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.shiftKey && event.key.toLowerCase() === 'f') {
        const search = document.getElementById('patient-search');
        if (!search) return;
        event.preventDefault();
        search.focus();
      }
    };
    window.addEventListener('keydown', onKey, { capture: true });
    return () => window.removeEventListener('keydown', onKey, { capture: true });
  }, []);
}

/** Central cannot be reached: said as a banner across the workspace, not only in the header's words. */
function OfflineBanner() {
  const offline = useSyncStore((state) => state.status?.connection === 'offline');
  if (!offline) return null;
  return (
    <section className="offline-banner" aria-label="Offline">
      <p>
        <strong>Offline:</strong> central cannot be reached. You can keep working; changes are kept on this workstation
        and sent when central answers again.
      </p>
    </section>
  );
}

/**
 * The signed-in workspace: who is signed in, sync status, lock and switch user, patient search
 * and the chart (or, by role, the review queue). Panels opened from the header take focus on
 * their heading and give it back to the button that opened them when they close.
 */
export function Workspace({ workstation, session }: { workstation: WorkstationStatus; session: SessionStatus }) {
  useActivityReports();
  useLockHotkey();
  useSearchHotkey();
  const user = session.user;
  const chart = useChartStore((state) => state.view);
  const conflicts = useSyncStore((state) => state.status?.conflicts ?? 0);
  const [showSettings, setShowSettings] = useState(false);
  const [showConflicts, setShowConflicts] = useState(false);
  const settingsButton = useRef<HTMLButtonElement>(null);
  const [showChangePin, setShowChangePin] = useState(false);
  const changePinButton = useRef<HTMLButtonElement>(null);
  const conflictsButton = useRef<HTMLButtonElement>(null);
  const syncNowButton = useRef<HTMLButtonElement>(null);
  const emergencyUntil = chart.phase === 'open' ? chart.emergencyAccessUntil : null;
  const grants = session.emergencyAccess.grants;
  const [confirmSwitch, setConfirmSwitch] = useState(false);
  const switchButton = useRef<HTMLButtonElement>(null);
  const clinicalRole = user?.role !== 'privacyOfficer' && user?.role !== 'itAdmin';
  // Signed in or unlocked: the workspace opens on search, ready to type (one Tab per screen less).
  useEffect(() => {
    document.getElementById('patient-search')?.focus();
  }, []);
  const [draftsToAsk, setDraftsToAsk] = useState<number | null>(null);
  const unreachableDrafts = useDraftsStore((state) => state.unreachable);
  const endForSwitch = () => {
    // Switching ends emergency access: asked first while any is active.
    if (grants.length > 0) setConfirmSwitch(true);
    else void sessionAction('session.end', { reason: 'switchUser' });
  };
  const switchUser = async () => {
    // What was typed in the last second goes first; then the main process says how many are kept.
    await useDraftsStore.getState().flush();
    const kept = clinicalRole ? await invoke('drafts.count', {}) : null;
    if (kept?.ok && kept.data.count > 0) setDraftsToAsk(kept.data.count);
    else endForSwitch();
  };
  const grantNames = grants.map((g) =>
    chart.phase === 'open' && chart.patient.id === g.patientId ? chart.patient.name : 'a patient',
  );
  // The main process decides every request; these only hide buttons it would refuse. Any signed-in
  // person may start a sync round (counts only); conflicts show clinical content to their authors.
  const canSyncNow = user !== null;
  const canResolve = user !== null && roleHasPermission(user.role, 'patient.clinical.write');

  const closeSettings = () => {
    setShowSettings(false);
    settingsButton.current?.focus();
  };
  const closeChangePin = () => {
    setShowChangePin(false);
    changePinButton.current?.focus();
  };
  const closeConflicts = () => {
    // The button leaves with the last conflict: render first, then focus it or its neighbour "Sync now".
    flushSync(() => setShowConflicts(false));
    (conflictsButton.current ?? syncNowButton.current)?.focus();
  };

  return (
    <div className="layout layout--workspace">
      {/* A region, not a banner: the one banner landmark is "Emergency access active" when shown. */}
      <div className="app-header app-header--session" role="region" aria-label="Session">
        <p className="app-title">{workstation.appName}</p>
        <p className="session-user">
          {user?.displayName} · {user ? roleNames[user.role] : ''}
          {session.offline && ' · signed in with PIN'}
        </p>
        <div className="sync-area">
          <SyncStatusBar canSyncNow={canSyncNow} syncNowRef={syncNowButton} />
          {canResolve && (conflicts > 0 || showConflicts) && (
            <button
              type="button"
              ref={conflictsButton}
              className="button button--attention"
              aria-expanded={showConflicts}
              onClick={() => (showConflicts ? closeConflicts() : setShowConflicts(true))}
            >
              Review sync conflicts ({conflicts})
            </button>
          )}
        </div>
        <div className="actions">
          <button
            type="button"
            className="button button--secondary"
            onClick={() => void sessionAction('session.lock', {})}
            aria-keyshortcuts="Control+Shift+L Meta+Shift+L"
          >
            Lock now
          </button>
          <button
            type="button"
            ref={settingsButton}
            className="button button--secondary"
            onClick={() => (showSettings ? closeSettings() : setShowSettings(true))}
            aria-expanded={showSettings}
          >
            Settings
          </button>
          {/* A PIN is changed in a session that began with the password (the main process checks). */}
          {!session.offline && (
            <button
              type="button"
              ref={changePinButton}
              className="button button--secondary"
              onClick={() => (showChangePin ? closeChangePin() : setShowChangePin(true))}
              aria-expanded={showChangePin}
            >
              Change PIN
            </button>
          )}
          <button
            type="button"
            ref={switchButton}
            className="button button--secondary"
            onClick={() => void switchUser()}
          >
            Switch user
          </button>
        </div>
      </div>
      <OfflineBanner />
      {unreachableDrafts > 0 && (
        <div role="status" className="drafts-notice">
          <p>
            {unreachableDrafts === 1 ? 'A draft is' : `${unreachableDrafts} drafts are`} kept; you no longer have access
            to that record, so {unreachableDrafts === 1 ? 'it is' : 'they are'} not shown. Kept drafts expire on their
            own.
          </p>
        </div>
      )}
      {emergencyUntil !== null && chart.phase === 'open' && (
        <EmergencyBanner until={emergencyUntil} patientId={chart.patient.id} patientName={chart.patient.name} />
      )}
      {showSettings && (
        <div className="workspace-panel">
          <SettingsPanel onClose={closeSettings} />
        </div>
      )}
      {showChangePin && (
        <div className="workspace-panel">
          <ChangePinPanel session={session} onClose={closeChangePin} />
        </div>
      )}
      {showConflicts && canResolve && (
        <div className="workspace-panel">
          <SyncConflicts onClose={closeConflicts} />
        </div>
      )}
      {user?.role === 'privacyOfficer' ? (
        <main className="screen workspace">
          <ReviewQueue />
          <ReviewHistory />
          <AccessAlerts />
          <RestrictedConflicts />
        </main>
      ) : user?.role === 'itAdmin' ? (
        <main className="screen workspace">
          <WorkstationStatusPanel />
        </main>
      ) : (
        <div className="workstation">
          <PatientPane chartOpen={chart.phase !== 'none'} clinical={clinicalRole && user?.role !== 'frontDesk'} />
          <main className="chart-main">
            {chart.phase === 'none' ? (
              <p className="chart-main__empty hint">Open a patient from the list or search to see the chart here.</p>
            ) : (
              <ChartView />
            )}
          </main>
        </div>
      )}
      {draftsToAsk !== null && (
        <KeepDraftsDialog
          count={draftsToAsk}
          onCancel={() => {
            setDraftsToAsk(null);
            switchButton.current?.focus();
          }}
          onKeep={() => {
            setDraftsToAsk(null);
            endForSwitch();
          }}
          onDiscard={() => {
            setDraftsToAsk(null);
            void useDraftsStore.getState().discardAll().then(endForSwitch);
          }}
        />
      )}
      {confirmSwitch && (
        <SwitchUserDialog
          patientNames={grantNames}
          onCancel={() => {
            setConfirmSwitch(false);
            switchButton.current?.focus();
          }}
          onConfirm={() => {
            setConfirmSwitch(false);
            void sessionAction('session.end', { reason: 'switchUser' });
          }}
        />
      )}
      {session.state === 'warning' && session.lockDeadline !== null && (
        <LockingSoonDialog deadline={session.lockDeadline} />
      )}
    </div>
  );
}
