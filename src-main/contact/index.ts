/**
 * The workstation's contact with central: when it was last reached, and whether it has been
 * offline longer than policy allows (offline expiry: no PIN sign-in, no charts until it is reached).
 */
export { offlineExpiredMessage, offlineWindow, recordCentralContact, type OfflineWindow } from './offline-window.ts';
