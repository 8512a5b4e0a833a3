import { useEffect, useState } from 'react';

/** "Emergency access active" with the minutes left, on every screen of that patient. */
export function EmergencyBanner({ until }: { until: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, []);
  const minutes = Math.max(0, Math.ceil((until - now) / 60_000));
  return (
    <div role="banner" aria-label="Emergency access active" className="emergency-banner">
      <strong>Emergency access active</strong> · {minutes} {minutes === 1 ? 'minute' : 'minutes'} left. Everything you
      view is recorded and reviewed.
    </div>
  );
}
