/**
 * Drafts of the chart's forms (issue 16): what is typed into a note, vitals or an allergy edit and
 * not saved yet. The window holds them only while the form is on screen (a PHI store, emptied at
 * every lock like the others); the main process keeps them, encrypted in the cache for this user:
 * each change is sent a second after typing pauses, and at once at the "Locking soon" warning, at
 * the lock itself (before the stores are emptied) and before switching user. After an unlock or
 * the same user's next sign-in they come back: the chart reopens on the newest draft's patient
 * and its forms open filled in.
 */
import { create } from 'zustand';
import { roleHasPermission } from '../../src-shared/access/roles.ts';
import type { DraftContent, DraftFieldsOf, DraftForm } from '../../src-shared/chart/drafts.ts';
import { invoke } from '../api.ts';
import { useChartStore } from './chart.ts';
import { registerPhiFlush, registerPhiStore } from './phi.ts';
import { mayShowPhi, useSessionStore } from './session.ts';

/** Long enough to skip the keystrokes of a word, short enough that a lock loses almost nothing. */
export const DRAFT_SAVE_DEBOUNCE_MS = 1000;

const keyOf = (patientId: string, form: DraftForm) => `${patientId}|${form}`;

interface DraftsState {
  /** The forms being filled in (and those given back, until their form opens), by patient and form. */
  forms: Readonly<Record<string, { patientId: string; draft: DraftContent }>>;
  /** Drafts the main process keeps that this user may no longer see (access ended): a count only. */
  unreachable: number;
}

interface DraftsStore extends DraftsState {
  /** A form changed: kept here and sent to the main process once the typing pauses. */
  edit(patientId: string, draft: DraftContent): void;
  /** The form was saved or cancelled: its draft is thrown away here and in the main process. */
  done(patientId: string, form: DraftForm): void;
  /** Sends every change not sent yet, now; resolves when the main process has answered. */
  flush(): Promise<void>;
  /** Asks the main process for this user's drafts and reopens the chart of the newest one. */
  restore(openChart: (patientId: string) => Promise<void>): Promise<void>;
  /** Throws away every draft of this user (the "Discard drafts" answer before switching user). */
  discardAll(): Promise<void>;
  reset(): void;
}

const initial: DraftsState = { forms: {}, unreachable: 0 };
/** Changes waiting for the typing to pause, by key. */
const pending = new Map<string, ReturnType<typeof setTimeout>>();

function send(patientId: string, draft: DraftContent): Promise<unknown> {
  return invoke('drafts.save', { patientId, draft });
}

export const useDraftsStore = create<DraftsStore>()((set, get) => ({
  ...initial,
  edit(patientId, draft) {
    const key = keyOf(patientId, draft.form);
    set({ forms: { ...get().forms, [key]: { patientId, draft } } });
    const waiting = pending.get(key);
    if (waiting !== undefined) clearTimeout(waiting);
    pending.set(
      key,
      setTimeout(() => {
        pending.delete(key);
        const current = get().forms[key];
        if (current) void send(current.patientId, current.draft);
      }, DRAFT_SAVE_DEBOUNCE_MS),
    );
  },
  done(patientId, form) {
    const key = keyOf(patientId, form);
    const waiting = pending.get(key);
    if (waiting !== undefined) clearTimeout(waiting);
    pending.delete(key);
    const { [key]: _gone, ...rest } = get().forms;
    set({ forms: rest });
    void invoke('drafts.discard', { patientId, form });
  },
  flush() {
    // Taken now, in this tick: the stores may be emptied right after (a lock) while the sends go.
    const due = [...pending.keys()].flatMap((key) => {
      clearTimeout(pending.get(key));
      const current = get().forms[key];
      return current ? [current] : [];
    });
    pending.clear();
    return Promise.all(due.map((d) => send(d.patientId, d.draft))).then(() => undefined);
  },
  async restore(openChart) {
    const answer = await invoke('drafts.mine', {});
    if (!answer.ok || !mayShowPhi(useSessionStore.getState().status)) return;
    const forms: Record<string, { patientId: string; draft: DraftContent }> = {};
    let unreachable = 0;
    for (const kept of answer.data.drafts) {
      if (!kept.restorable) unreachable++;
      else forms[keyOf(kept.patientId, kept.draft.form)] = { patientId: kept.patientId, draft: kept.draft };
    }
    set({ forms: { ...forms, ...get().forms }, unreachable });
    // The chart open at the lock; else (a new sign-in) the newest draft's; else none.
    const newest = answer.data.drafts.find((kept) => kept.restorable);
    const reopen = answer.data.openChart ?? (newest?.restorable ? newest.patientId : null);
    if (reopen !== null) await openChart(reopen);
  },
  async discardAll() {
    for (const waiting of pending.values()) clearTimeout(waiting);
    pending.clear();
    set({ ...initial });
    await invoke('drafts.discard', { all: true });
  },
  reset() {
    for (const waiting of pending.values()) clearTimeout(waiting);
    pending.clear();
    set({ ...initial });
  },
}));

/** The draft of one form, as given back or as typed so far; undefined when there is none. */
export function draftOf<F extends DraftForm>(patientId: string, form: F): DraftFieldsOf<F> | undefined {
  const kept = useDraftsStore.getState().forms[keyOf(patientId, form)];
  return kept?.draft.form === form ? (kept.draft.fields as unknown as DraftFieldsOf<F>) : undefined;
}

// Before a lock empties the stores, what was typed since the last send goes to the main process,
// and which chart was open, so the unlock reopens it. Taken now: the chart store is emptied next.
registerPhiFlush((next) => {
  void useDraftsStore.getState().flush();
  const role = useSessionStore.getState().status?.user?.role;
  if (next !== 'locked' || !role || !roleHasPermission(role, 'patient.clinical.write')) return;
  const view = useChartStore.getState().view;
  void invoke('drafts.keepPlace', { patientId: view.phase === 'open' ? view.patient.id : null });
});
registerPhiStore(() => useDraftsStore.getState().reset());

useSessionStore.subscribe((state, previous) => {
  // "Locking soon": send everything now, not a second later, in case nobody comes back.
  if (state.status?.state === 'warning' && previous.status?.state !== 'warning') void useDraftsStore.getState().flush();
  // Unlocked or signed in: this user's drafts come back, and the chart they were in reopens.
  const role = state.status?.user?.role;
  if (
    mayShowPhi(state.status) &&
    !mayShowPhi(previous.status) &&
    role &&
    roleHasPermission(role, 'patient.clinical.write')
  )
    void useDraftsStore.getState().restore((patientId) => useChartStore.getState().open(patientId));
});
