/**
 * Chart text must not stay on the clipboard for the next person at a shared workstation: when the
 * workstation locks, the clinician signs out or the app quits, the shell clears the clipboard if it
 * still holds text copied from the app window. Text another application put there is left alone.
 *
 * Electron reports neither clipboard changes nor copy commands, so the guard watches the window's
 * copy and cut shortcuts ('before-input-event' sees a key before the page and the menu do) and then
 * reads what lands on the clipboard. The copy itself happens later, in the renderer, and reaches the
 * clipboard through another process, so the guard reads a few times over two seconds and takes the
 * first text that differs from what it read first (or that first text, if nothing changed: the copy
 * may have landed before the first read). What it keeps is a keyed SHA-256 digest, never the text.
 *
 * Its mistakes lean towards clearing: a shortcut that copied nothing (no selection) marks whatever
 * was on the clipboard, which is then cleared at the next lock. It misses a copy that takes longer
 * than the settling window, and copies made with the mouse from the Edit menu of Electron's default
 * application menu (they send no key).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { clipboard } from 'electron';
import type { Input, WebContents } from 'electron';
import type { EventPayload } from '../../src-shared/ipc/contract.ts';
import type { SessionState } from '../../src-shared/session/status.ts';
import type { Core } from '../core.ts';
import type { Logger } from '../log/index.ts';
import { errorName } from '../base/index.ts';

/** Delays after the shortcut (ms) at which the clipboard is read while a copy settles. */
export const COPY_SETTLE_READS_MS: readonly number[] = [0, 50, 200, 500, 1000, 2000];

/** Digests kept at most; the oldest go first (a shift of copying must not grow memory for ever). */
const MAX_REMEMBERED = 64;

/** After these session states nothing copied from the chart may stay on the clipboard. */
export function endsChartAccess(state: SessionState): boolean {
  return state === 'locked' || state === 'signedOut';
}

type ShortcutInput = Pick<Input, 'type' | 'key' | 'code' | 'shift' | 'control' | 'alt' | 'meta' | 'isAutoRepeat'>;

/**
 * Copy and cut: Cmd+C / Cmd+X on macOS; Ctrl+C / Ctrl+X, Ctrl+Insert and Shift+Delete elsewhere.
 * The letter is matched by key or by physical key, so Ctrl+C also counts on a Cyrillic layout.
 */
export function isCopyShortcut(input: ShortcutInput, platform: NodeJS.Platform): boolean {
  if (input.type !== 'keyDown' && input.type !== 'rawKeyDown') return false;
  // Holding the keys repeats the same copy; the first keyDown is enough.
  if (input.isAutoRepeat || input.alt) return false;
  const key = input.key.toLowerCase();
  const letter = key === 'c' || key === 'x' || input.code === 'KeyC' || input.code === 'KeyX';
  if (platform === 'darwin') return input.meta && !input.control && !input.shift && letter;
  if (input.meta) return false;
  if (input.control && !input.shift) return letter || key === 'insert';
  return input.shift && !input.control && key === 'delete';
}

export interface ClipboardGuard {
  /** Watches a window's copy and cut shortcuts; returns the function that stops watching. */
  watch(contents: WebContents): () => void;
  /**
   * Clears the clipboard if it holds text copied from a watched window, or if a copy is still
   * settling (it cannot be told apart yet). Resolves whether it cleared; never rejects.
   */
  clearChartText(): Promise<boolean>;
  /** Clears chart text whenever the core reports a lock or a sign-out; returns the unsubscribe. */
  followSessions(core: Pick<Core, 'onEvent'>): () => void;
  /** A copy or cut from the app's own Edit menu (a click sends no key to watch). */
  noteCopy(): void;
}

export interface ClipboardGuardOptions {
  logger: Logger;
  platform?: NodeJS.Platform;
}

interface Settling {
  timer: ReturnType<typeof setTimeout> | null;
}

export function createClipboardGuard(options: ClipboardGuardOptions): ClipboardGuard {
  const platform = options.platform ?? process.platform;
  const { logger } = options;
  // Keyed, so a digest that ever leaked could not be matched against a list of likely values
  // (dates of birth, record numbers); the key lives only in this process's memory.
  const key = randomBytes(32);
  const remembered = new Set<string>();
  const settling = new Set<Settling>();

  /** The digest of the clipboard's text; null when it holds no text. */
  const readDigest = async (): Promise<string | null> => {
    const text = await clipboard.readText();
    return text === '' ? null : createHmac('sha256', key).update(text, 'utf8').digest('base64');
  };

  const remember = (digest: string) => {
    remembered.delete(digest);
    remembered.add(digest);
    if (remembered.size > MAX_REMEMBERED) remembered.delete(remembered.values().next().value as string);
  };

  const settleCopy = () => {
    const copy: Settling = { timer: null };
    settling.add(copy);
    // undefined: nothing read yet (a failed read is skipped, not taken for an empty clipboard).
    let first: string | null | undefined;
    let step = 0;
    const finish = (digest: string | null | undefined) => {
      settling.delete(copy);
      if (typeof digest === 'string') remember(digest);
    };
    const read = async () => {
      copy.timer = null;
      let digest: string | null | undefined;
      try {
        digest = await readDigest();
      } catch (error) {
        logger.log('warn', 'shell.clipboard_read_failed', { errorName: errorName(error) });
      }
      // Cancelled by a lock meanwhile: that lock cleared the clipboard.
      if (!settling.has(copy)) return;
      if (digest !== undefined) {
        if (first === undefined) first = digest;
        else if (digest !== first) return finish(digest);
      }
      step += 1;
      if (step >= COPY_SETTLE_READS_MS.length) return finish(first);
      copy.timer = setTimeout(
        () => void read(),
        (COPY_SETTLE_READS_MS[step] ?? 0) - (COPY_SETTLE_READS_MS[step - 1] ?? 0),
      );
    };
    copy.timer = setTimeout(() => void read(), COPY_SETTLE_READS_MS[0] ?? 0);
  };

  const clearChartText = async (): Promise<boolean> => {
    const copyInFlight = settling.size > 0;
    for (const copy of settling) if (copy.timer !== null) clearTimeout(copy.timer);
    settling.clear();
    if (!copyInFlight && remembered.size === 0) return false;
    let matches = copyInFlight;
    if (!matches) {
      try {
        const digest = await readDigest();
        matches = digest !== null && remembered.has(digest);
      } catch (error) {
        // Cannot tell what is there: fail closed, since chart text was copied at some point.
        logger.log('warn', 'shell.clipboard_read_failed', { errorName: errorName(error) });
        matches = true;
      }
    }
    if (!matches) return false;
    try {
      clipboard.clear();
    } catch (error) {
      logger.log('error', 'shell.clipboard_clear_failed', { errorName: errorName(error) });
      return false;
    }
    remembered.clear();
    logger.log('info', 'shell.clipboard_cleared', { reason: copyInFlight ? 'copy_in_flight' : 'chart_text' });
    return true;
  };

  return {
    clearChartText,
    noteCopy: settleCopy,
    watch(contents) {
      const onInput = (_event: unknown, input: Input) => {
        if (isCopyShortcut(input, platform)) settleCopy();
      };
      contents.on('before-input-event', onInput);
      return () => {
        contents.removeListener('before-input-event', onInput);
      };
    },

    followSessions(core) {
      return core.onEvent((event, payload) => {
        if (event !== 'session.changed') return;
        const { state } = payload as EventPayload<'session.changed'>;
        if (endsChartAccess(state)) void clearChartText();
      });
    },
  };
}
