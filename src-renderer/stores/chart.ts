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

export type ChartView =
  | { phase: 'none' }
  | { phase: 'loading' }
  | { phase: 'error'; error: IpcError }
  | { phase: 'open'; patient: PatientSummary; access: ChartAccess; sections: ChartSections | null };

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
    const { patient, access, sections } = opened.data;
    set({ view: { phase: 'open', patient, access, sections } });
  },
  close() {
    sequence++;
    set({ view: { phase: 'none' } });
  },
}));

registerPhiStore(() => useChartStore.getState().close());
