import {
  useEffect,
  useImperativeHandle,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
  type Ref,
} from 'react';

export interface VirtualListHandle {
  /** Scrolls the row into view, renders it if it was not, and moves focus to its control. */
  focusRow(index: number): void;
}

/** What a row's one focusable control must carry (roving tab stop, and the row it belongs to). */
export interface RowFocusProps {
  tabIndex: number;
  'data-row': number;
}

interface Props {
  count: number;
  /** The list's accessible name. */
  label: string;
  rowKey(index: number): string;
  renderRow(index: number, focus: RowFocusProps): ReactNode;
  /** ArrowUp on the first row: back to where the list was entered from (the search box). */
  onLeaveTop?(): void;
  ref?: Ref<VirtualListHandle>;
}

/** Rows rendered beyond each edge of the viewport, so a fast scroll or a key press finds them ready. */
const OVERSCAN = 4;
/** Until the probe has been measured (one frame): 4.75rem at 16px. */
const FALLBACK_ROW_PX = 76;
const FALLBACK_VIEWPORT_PX = 384;

/**
 * A list of fixed-height rows that renders only the rows in view (a large clinic's search brings
 * up to 200). It stays a real list for screen readers: a <ul> with an accessible name whose <li>
 * carry aria-setsize and aria-posinset, so "3 of 200" is announced although only a dozen exist in
 * the DOM. The row height comes from CSS (--row-height, in rem, taller on narrow windows), read
 * through a hidden probe, so zoom and reflow change it without code.
 *
 * Keyboard: one tab stop for the whole list (the active row's control); Up/Down, Home/End and
 * PageUp/PageDown move between rows; Enter activates the control (a native button).
 */
export function VirtualList({ count, label, rowKey, renderRow, onLeaveTop, ref }: Props) {
  const viewport = useRef<HTMLDivElement>(null);
  const probe = useRef<HTMLDivElement>(null);
  const list = useRef<HTMLUListElement>(null);
  const focusWanted = useRef<number | null>(null);
  const [rowHeight, setRowHeight] = useState(FALLBACK_ROW_PX);
  const [viewportHeight, setViewportHeight] = useState(FALLBACK_VIEWPORT_PX);
  const [scrollTop, setScrollTop] = useState(0);
  const [active, setActive] = useState(0);
  const current = Math.min(active, Math.max(0, count - 1));

  useEffect(() => {
    const box = viewport.current;
    const row = probe.current;
    if (!box || !row) return;
    const observer = new ResizeObserver(() => {
      const height = row.getBoundingClientRect().height;
      if (height > 0) setRowHeight(height);
      setViewportHeight(box.clientHeight || FALLBACK_VIEWPORT_PX);
    });
    observer.observe(box);
    observer.observe(row);
    return () => observer.disconnect();
  }, []);

  // Focus goes to a row only after it has been rendered (it may not have existed before the key press).
  useLayoutEffect(() => {
    const index = focusWanted.current;
    if (index === null) return;
    focusWanted.current = null;
    list.current?.querySelector<HTMLElement>(`[data-row="${index}"]`)?.focus();
  });

  const focusRow = (wanted: number) => {
    if (count === 0) return;
    const index = Math.max(0, Math.min(count - 1, wanted));
    const box = viewport.current;
    if (box) {
      const top = index * rowHeight;
      if (top < box.scrollTop) box.scrollTop = top;
      else if (top + rowHeight > box.scrollTop + box.clientHeight) box.scrollTop = top + rowHeight - box.clientHeight;
      setScrollTop(box.scrollTop);
    }
    setActive(index);
    const rendered = list.current?.querySelector<HTMLElement>(`[data-row="${index}"]`);
    // A row not rendered yet (always another than the active one, which stays rendered) gets focus after the render.
    if (rendered) rendered.focus();
    else focusWanted.current = index;
  };

  useImperativeHandle(ref, () => ({ focusRow }));

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const page = Math.max(1, Math.floor(viewportHeight / rowHeight) - 1);
    const moves: Record<string, () => void> = {
      ArrowDown: () => focusRow(current + 1),
      ArrowUp: () => (current === 0 && onLeaveTop ? onLeaveTop() : focusRow(current - 1)),
      Home: () => focusRow(0),
      End: () => focusRow(count - 1),
      PageDown: () => focusRow(current + page),
      PageUp: () => focusRow(current - page),
    };
    const move = moves[event.key];
    if (!move || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    move();
  };

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const last = Math.min(count - 1, Math.ceil((scrollTop + viewportHeight) / rowHeight) + OVERSCAN);
  const indexes: number[] = [];
  // The active row stays rendered even when scrolled away, so the focus it holds is never dropped.
  if (current < first && count > 0) indexes.push(current);
  for (let index = first; index <= last; index++) indexes.push(index);
  if (current > last && count > 0) indexes.push(current);

  return (
    <div className="virtual-list" ref={viewport} onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}>
      <div className="virtual-list__probe" ref={probe} aria-hidden="true" />
      {/* Rows are positioned by CSSOM style (allowed by the CSP's style-src 'self'; no style attribute in markup). */}
      <ul
        className="virtual-list__rows"
        ref={list}
        aria-label={label}
        style={{ height: count * rowHeight }}
        onKeyDown={onKeyDown}
      >
        {indexes.map((index) => (
          <li
            key={rowKey(index)}
            className="virtual-list__row"
            aria-setsize={count}
            aria-posinset={index + 1}
            style={{ transform: `translateY(${index * rowHeight}px)` }}
            onFocus={() => setActive(index)}
          >
            {renderRow(index, { tabIndex: index === current ? 0 : -1, 'data-row': index })}
          </li>
        ))}
      </ul>
    </div>
  );
}
