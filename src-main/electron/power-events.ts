/**
 * The lock controller's PowerEvents port, fed by Electron's powerMonitor: the OS events that must
 * lock the workstation at once, and the machine-wide idle time (input in any application counts,
 * not only in our window).
 */
import { powerMonitor } from 'electron';
import type { PowerEvent, PowerEvents } from '../ports.ts';

/** Electron's event names, mapped onto the controller's. */
const LOCKING_EVENTS: Readonly<Record<string, PowerEvent>> = {
  'lock-screen': 'lock-screen',
  suspend: 'suspend',
  // macOS fast user switching; Windows locks the session first, which arrives as 'lock-screen'.
  'user-did-resign-active': 'session-switch',
};

/**
 * Under Wayland, getSystemIdleTime() reports 0 for ever (electron/electron#34826), and under
 * XWayland it sees only X clients' input. OS input can only postpone a lock, so a stuck 0 would keep
 * the session open: report "cannot tell" (null) and let window input alone drive the idle lock.
 */
export function systemIdleIsReliable(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): boolean {
  if (platform !== 'linux') return true;
  return env.XDG_SESSION_TYPE !== 'wayland' && !env.WAYLAND_DISPLAY;
}

export function createElectronPowerEvents(
  options: { platform?: NodeJS.Platform; env?: NodeJS.ProcessEnv } = {},
): PowerEvents {
  const reliableIdle = systemIdleIsReliable(options.platform ?? process.platform, options.env ?? process.env);
  return {
    subscribe(listener) {
      const handlers = Object.entries(LOCKING_EVENTS).map(([name, event]) => {
        const handler = () => listener(event);
        powerMonitor.on(name as 'lock-screen', handler);
        return [name, handler] as const;
      });
      return () => {
        for (const [name, handler] of handlers) powerMonitor.removeListener(name as 'lock-screen', handler);
      };
    },
    getSystemIdleSeconds() {
      return reliableIdle ? powerMonitor.getSystemIdleTime() : null;
    },
  };
}
