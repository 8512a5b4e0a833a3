import { useEffect, useRef } from 'react';

/**
 * Moves focus to a screen's heading when it replaces a screen the person was working in (so
 * keyboard and screen reader users land on the new content instead of the top of the page).
 */
export function useHeadingFocus<T extends HTMLElement>(enabled: boolean) {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (enabled) ref.current?.focus();
  }, [enabled]);
  return ref;
}
