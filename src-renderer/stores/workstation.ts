/**
 * What the window knows about the workstation: the answer of `workstation.status` (app name and
 * version, the vault's state). No PHI. In memory only, like every store of the renderer.
 */
import { create } from 'zustand';
import type { WorkstationStatus } from '../../src-shared/ipc/contract.ts';
import { invoke } from '../api.ts';

export type WorkstationView =
  | { readonly phase: 'loading' }
  | { readonly phase: 'ready'; readonly status: WorkstationStatus }
  | { readonly phase: 'unreachable'; readonly message: string };

interface WorkstationStore {
  view: WorkstationView;
  /** Asks the core for its status; any failure of this public channel means the core is unreachable. */
  load(): Promise<void>;
  /** A status pushed by the core (`workstation.statusChanged`). */
  setStatus(status: WorkstationStatus): void;
}

let loadSequence = 0;

export const useWorkstationStore = create<WorkstationStore>()((set) => ({
  view: { phase: 'loading' },
  async load() {
    const sequence = ++loadSequence;
    set({ view: { phase: 'loading' } });
    const result = await invoke('workstation.status', {});
    if (sequence !== loadSequence) return; // a newer load (e.g. "Try again") owns the screen
    set({
      view: result.ok
        ? { phase: 'ready', status: result.data }
        : { phase: 'unreachable', message: result.error.message },
    });
  },
  setStatus(status) {
    loadSequence++;
    set({ view: { phase: 'ready', status } });
  },
}));
