/**
 * The privacy officer's unusual access alerts. A family-name alert names its patient, so this is
 * a PHI store: in memory only, cleared on lock, sign-out and switch user.
 */
import { create } from 'zustand';
import type { AccessAlertQueue } from '../../src-shared/ipc/contract.ts';
import type { IpcError } from '../../src-shared/ipc/errors.ts';
import { invoke } from '../api.ts';
import { registerPhiStore } from './phi.ts';

interface AccessAlertsStore {
  queue: AccessAlertQueue | null;
  error: IpcError | null;
  load(): Promise<void>;
  /** Marks one alert reviewed; returns the error to show beside it, or null. */
  markReviewed(alertId: string, comment: string): Promise<IpcError | null>;
  reset(): void;
}

let sequence = 0;

export const useAccessAlertsStore = create<AccessAlertsStore>()((set, get) => ({
  queue: null,
  error: null,
  async load() {
    const mine = ++sequence;
    const result = await invoke('alerts.queue', {});
    if (mine !== sequence) return;
    set(result.ok ? { queue: result.data, error: null } : { queue: null, error: result.error });
  },
  async markReviewed(alertId, comment) {
    const result = await invoke('alerts.markReviewed', { alertId, comment });
    if (!result.ok) return result.error;
    await get().load();
    return null;
  },
  reset() {
    sequence++;
    set({ queue: null, error: null });
  },
}));

registerPhiStore(() => useAccessAlertsStore.getState().reset());
