/**
 * Picks the one screen the window shows: connecting, the start screen, the IT error screen when
 * the encrypted cache cannot be opened (fail closed: nothing else is reachable then), or "cannot
 * reach the workstation service" when the core does not answer at all.
 */
import { useEffect, useState } from 'react';
import { onEvent } from './api.ts';
import { CoreUnreachableScreen } from './screens/CoreUnreachableScreen.tsx';
import { LoadingScreen } from './screens/LoadingScreen.tsx';
import { StartScreen } from './screens/StartScreen.tsx';
import { VaultErrorScreen } from './screens/VaultErrorScreen.tsx';
import { useWorkstationStore } from './stores/workstation.ts';

export function App() {
  const view = useWorkstationStore((state) => state.view);
  const load = useWorkstationStore((state) => state.load);
  const setStatus = useWorkstationStore((state) => state.setStatus);
  // After "Try again" the button that had focus is gone: the next screen takes focus on its heading.
  const [retried, setRetried] = useState(false);

  useEffect(() => {
    const unsubscribe = onEvent('workstation.statusChanged', setStatus);
    void load();
    return unsubscribe;
  }, [load, setStatus]);

  useEffect(() => {
    if (view.phase === 'ready') document.title = view.status.appName;
  }, [view]);

  const retry = () => {
    setRetried(true);
    void load();
  };

  switch (view.phase) {
    case 'loading':
      return <LoadingScreen />;
    case 'unreachable':
      return <CoreUnreachableScreen message={view.message} onRetry={retry} focusHeading={retried} />;
    case 'ready':
      return view.status.vault.state === 'error' ? (
        <VaultErrorScreen status={view.status} vault={view.status.vault} focusHeading={retried} />
      ) : (
        <StartScreen status={view.status} focusHeading={retried} />
      );
  }
}
