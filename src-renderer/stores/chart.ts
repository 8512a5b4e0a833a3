/**
 * The open patient: demographics, the access level the main process decided, and the clinical
 * sections when that level is 'full'. PHI: in memory only, registered with the PHI stores so a
 * lock, a sign-out or a switch of user clears it, and any answer still on its way is dropped.
 */
import { create } from 'zustand';
import type { ChartAccess, ChartSections } from '../../src-shared/chart/chart.ts';
import type { OnDemandChart, PatientSummary } from '../../src-shared/ipc/contract.ts';
import type { IpcError } from '../../src-shared/ipc/errors.ts';
import { invoke } from '../api.ts';
import { registerPhiStore } from './phi.ts';
import { mayShowPhi, useSessionStore } from './session.ts';
import { useSyncStore } from './sync.ts';

export type ChartView =
  | { phase: 'none' }
  /** `fromCentral`: the patient is not on this workstation, so the chart is being brought from central. */
  | { phase: 'loading'; fromCentral: boolean }
  | { phase: 'error'; error: IpcError }
  | {
      phase: 'open';
      patient: PatientSummary;
      access: ChartAccess;
      sections: ChartSections | null;
      emergencyAccessUntil: number | null;
      /** Brought from central on demand; null when the sync rounds keep this patient here. */
      onDemand: OnDemandChart | null;
    };

interface ChartStore {
  view: ChartView;
  /**
   * Opens a chart. `from` names the list the person opened it from ('patient-results',
   * 'my-patients', 'recent'): closing the chart gives focus back to that patient's row there.
   */
  open(patientId: string, from?: string): Promise<void>;
  /** Where the open chart was opened from (list id and patient), for focus on close. */
  openedFrom: { list: string; patientId: string } | null;
  /**
   * Asks for the open chart's clinical sections again (after a save, or when a sync round changed
   * what is pending) without leaving the screen: focus and open forms stay where they are. Returns
   * the error to show, or null; a chart closed or replaced meanwhile is left alone.
   */
  refresh(): Promise<IpcError | null>;
  close(): void;
}

/** The list of patients found at central, not on this workstation (PatientSearch). */
export const CENTRAL_RESULTS_LIST = 'central-results';

let sequence = 0;
/** Reads of the open chart on their way, and whether a sync round changed the counts meanwhile. */
let refreshing = 0;
let staleRead = false;

export const useChartStore = create<ChartStore>()((set, get) => ({
  view: { phase: 'none' },
  openedFrom: null,
  async open(patientId, from) {
    const mine = ++sequence;
    set({
      view: { phase: 'loading', fromCentral: from === CENTRAL_RESULTS_LIST },
      ...(from ? { openedFrom: { list: from, patientId } } : {}),
    });
    const opened = await invoke('patients.open', { patientId });
    if (mine !== sequence) return;
    if (!opened.ok) return set({ view: { phase: 'error', error: opened.error } });
    const { patient, access, sections, emergencyAccessUntil, onDemand } = opened.data;
    set({ view: { phase: 'open', patient, access, sections, emergencyAccessUntil, onDemand } });
  },
  async refresh() {
    const view = get().view;
    if (view.phase !== 'open' || view.sections === null) return null;
    const mine = ++sequence;
    refreshing++;
    let read;
    try {
      read = await invoke('chart.read', { patientId: view.patient.id });
    } finally {
      refreshing--;
    }
    // A sync round ended while this read was on its way: what it read may already be out of date.
    if (staleRead && refreshing === 0) {
      staleRead = false;
      if (mine === sequence) return get().refresh();
    }
    const now = get().view;
    if (mine !== sequence || now.phase !== 'open' || now.patient.id !== view.patient.id) return null;
    if (!read.ok) return read.error;
    set({ view: { ...now, sections: read.data } });
    return null;
  },
  close() {
    sequence++;
    set({ view: { phase: 'none' } });
  },
}));

registerPhiStore(() => {
  useChartStore.getState().close();
  useChartStore.setState({ openedFrom: null });
});

/**
 * A chart shown under a break-glass grant is asked for again when the grant is gone (expired or
 * ended), so the clinical sections leave the screen at once and the record shows as restricted.
 */
useSessionStore.subscribe((state) => {
  const view = useChartStore.getState().view;
  if (view.phase !== 'open' || view.emergencyAccessUntil === null || !mayShowPhi(state.status)) return;
  const stillGranted =
    state.status?.emergencyAccess.grants.some((grant) => grant.patientId === view.patient.id) ?? false;
  if (!stillGranted) {
    useChartStore.setState({ view: { ...view, access: 'restricted', sections: null, emergencyAccessUntil: null } });
    void useChartStore.getState().open(view.patient.id);
  }
});

/**
 * A sync round that changed the counts may have changed the marks of the rows on screen ("Pending
 * sync" accepted by central, a new "Sync conflict"). The chart is read again only when that can
 * matter: some row is not synced yet, or the number of conflicts changed. Each read is audited as
 * a view, so it is not done on every event.
 */
let seenCounts: { pending: number; conflicts: number } | null = null;
useSyncStore.subscribe((state, previous) => {
  const next = state.status;
  // Mid-round counts move on their own; the round's end says where they landed.
  if (!next || next.syncing) return;
  const roundEnded = previous.status?.syncing === true;
  const seen = seenCounts;
  seenCounts = { pending: next.pending, conflicts: next.conflicts };
  const countsChanged = seen !== null && (seen.pending !== next.pending || seen.conflicts !== next.conflicts);
  if (!countsChanged && !roundEnded) return;
  const view = useChartStore.getState().view;
  if (view.phase !== 'open' || view.sections === null || !mayShowPhi(useSessionStore.getState().status)) return;
  const s = view.sections;
  const rows = [s.allergies, s.problems, s.medications, s.vitals, s.notes].flat();
  const unsynced = rows.some((row) => row.sync !== 'synced');
  // A change saved during a round was never seen pending between rounds: if fewer changes wait
  // anywhere than this chart shows as pending, some of these were sent.
  const sentSome = roundEnded && rows.filter((row) => row.sync === 'pending').length > next.pending;
  const worthReading = (countsChanged && (unsynced || seen.conflicts !== next.conflicts)) || sentSome;
  if (!worthReading) return;
  // A read already on its way (a form just saved) may have read the rows before the round sent them.
  if (refreshing > 0) staleRead = true;
  else void useChartStore.getState().refresh();
});
