/**
 * The open patient: demographics, the access level the main process decided, and the clinical
 * sections when that level is 'full'. PHI: in memory only, registered with the PHI stores so a
 * lock, a sign-out or a switch of user clears it, and any answer still on its way is dropped.
 */
import { create } from 'zustand';
import type { ChartAccess, ChartSections } from '../../src-shared/chart/chart.ts';
import type { PatientSummary } from '../../src-shared/ipc/contract.ts';
import type { IpcError } from '../../src-shared/ipc/errors.ts';
import { invoke } from '../api.ts';
import { registerPhiStore } from './phi.ts';
import { mayShowPhi, useSessionStore } from './session.ts';

export type ChartView =
  | { phase: 'none' }
  | { phase: 'loading' }
  | { phase: 'error'; error: IpcError }
  | { phase: 'open'; patient: PatientSummary; access: ChartAccess; sections: ChartSections | null; emergencyAccessUntil: number | null };

interface ChartStore {
  view: ChartView;
  open(patientId: string): Promise<void>;
  close(): void;
}

let sequence = 0;

export const useChartStore = create<ChartStore>()((set) => ({
  view: { phase: 'none' },
  async open(patientId) {
    const mine = ++sequence;
    set({ view: { phase: 'loading' } });
    const opened = await invoke('patients.open', { patientId });
    if (mine !== sequence) return;
    if (!opened.ok) return set({ view: { phase: 'error', error: opened.error } });
    const { patient, access, sections, emergencyAccessUntil } = opened.data;
    set({ view: { phase: 'open', patient, access, sections, emergencyAccessUntil } });
  },
  close() {
    sequence++;
    set({ view: { phase: 'none' } });
  },
}));

registerPhiStore(() => useChartStore.getState().close());

/**
 * A chart shown under a break-glass grant is asked for again when the grant is gone (expired or
 * ended), so the clinical sections leave the screen at once and the record shows as restricted.
 */
useSessionStore.subscribe((state) => {
  const view = useChartStore.getState().view;
  if (view.phase !== 'open' || view.emergencyAccessUntil === null || !mayShowPhi(state.status)) return;
  const stillGranted = state.status?.emergencyAccess.grants.some((grant) => grant.patientId === view.patient.id) ?? false;
  if (!stillGranted) {
    useChartStore.setState({ view: { ...view, access: 'restricted', sections: null, emergencyAccessUntil: null } });
    void useChartStore.getState().open(view.patient.id);
  }
});
