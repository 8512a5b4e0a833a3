import { useEffect, useRef, useState } from 'react';
import { invoke } from '../api.ts';

/**
 * "Locking soon": shown by the core's idle warning. Any input anywhere cancels it (the window's
 * input reaches the core as activity; in Electron, input in other apps counts too).
 */
export function LockingSoonDialog({ deadline }: { deadline: number }) {
  const [now, setNow] = useState(() => Date.now());
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    button.current?.focus();
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const seconds = Math.max(0, Math.ceil((deadline - now) / 1000));
  return (
    <div className="dialog-backdrop">
      <div
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="locking-soon-heading"
        aria-describedby="locking-soon-text"
        className="dialog"
      >
        <h2 id="locking-soon-heading">Locking soon</h2>
        <p id="locking-soon-text">
          The workstation locks in {seconds} {seconds === 1 ? 'second' : 'seconds'} because nobody is using it. Press
          any key or move the mouse to stay signed in.
        </p>
        <button ref={button} type="button" className="button" onClick={() => void invoke('session.activity', {})}>
          Stay signed in
        </button>
      </div>
    </div>
  );
}
