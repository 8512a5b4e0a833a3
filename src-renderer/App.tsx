/**
 * Picks the one screen the window shows: connecting, "cannot reach the workstation service", the
 * IT error screen when the encrypted cache cannot be opened (fail closed: nothing else is
 * reachable then), and otherwise by session: sign-in, PIN setup, the lock screen, or the
 * workspace. Patient data is only ever rendered inside the workspace.
 */
import { useEffect, useState } from 'react';
import { onEvent } from './api.ts';
import { CoreUnreachableScreen } from './screens/CoreUnreachableScreen.tsx';
import { LoadingScreen } from './screens/LoadingScreen.tsx';
import { LockScreen } from './screens/LockScreen.tsx';
import { PinSetupScreen } from './screens/PinSetupScreen.tsx';
import { SignInScreen } from './screens/SignInScreen.tsx';
import { VaultErrorScreen } from './screens/VaultErrorScreen.tsx';
import { Workspace } from './screens/Workspace.tsx';
import { useSessionStore } from './stores/session.ts';
import { useSyncStore } from './stores/sync.ts';
import { useWorkstationStore } from './stores/workstation.ts';

export function App() {
  const view = useWorkstationStore((state) => state.view);
  const load = useWorkstationStore((state) => state.load);
  const setStatus = useWorkstationStore((state) => state.setStatus);
  const session = useSessionStore((state) => state.status);
  const applySession = useSessionStore((state) => state.apply);
  const loadSession = useSessionStore((state) => state.load);
  const applySync = useSyncStore((state) => state.apply);
  // After "Try again" the button that had focus is gone: the next screen takes focus on its heading.
  const [retried, setRetried] = useState(false);

  useEffect(() => {
    const unsubscribeStatus = onEvent('workstation.statusChanged', setStatus);
    const unsubscribeSession = onEvent('session.changed', applySession);
    // Counts only (no PHI): applied in any state, so the lock screen's status stays current too.
    const unsubscribeSync = onEvent('sync.changed', applySync);
    void load();
    void loadSession();
    return () => {
      unsubscribeStatus();
      unsubscribeSession();
      unsubscribeSync();
    };
  }, [load, setStatus, applySession, loadSession, applySync]);

  useEffect(() => {
    if (view.phase === 'ready') document.title = view.status.appName;
  }, [view]);

  const retry = () => {
    setRetried(true);
    void load();
    void loadSession();
  };

  switch (view.phase) {
    case 'loading':
      return <LoadingScreen />;
    case 'unreachable':
      return <CoreUnreachableScreen message={view.message} onRetry={retry} focusHeading={retried} />;
    case 'ready':
      if (view.status.vault.state === 'error')
        return <VaultErrorScreen status={view.status} vault={view.status.vault} focusHeading={retried} />;
      if (!session) return <LoadingScreen />;
      switch (session.state) {
        case 'signedOut':
          return <SignInScreen workstation={view.status} session={session} />;
        case 'pinSetup':
          return <PinSetupScreen session={session} />;
        case 'locked':
          return <LockScreen session={session} />;
        case 'active':
        case 'warning':
          return <Workspace workstation={view.status} session={session} />;
      }
  }
}
