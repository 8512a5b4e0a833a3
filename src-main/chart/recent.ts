/**
 * "Recent" in the patient pane: the charts each user opened lately, newest first. Kept here in the
 * main process (ids only, in memory, for as long as the app runs), never in the window, whose
 * stores are emptied at every lock: the list is there again after an unlock or when the same
 * clinician comes back to this workstation later in the shift. The app's restart forgets it.
 */
export interface RecentPatients {
  /** A chart was opened by this user (moved to the top if already listed). */
  viewed(userId: string, patientId: string): void;
  /** This user's list, newest first. */
  of(userId: string): readonly string[];
}

export function createRecentPatients(max: number): RecentPatients {
  const byUser = new Map<string, string[]>();
  return {
    viewed(userId, patientId) {
      const list = (byUser.get(userId) ?? []).filter((id) => id !== patientId);
      list.unshift(patientId);
      byUser.set(userId, list.slice(0, max));
    },
    of: (userId) => byUser.get(userId) ?? [],
  };
}
