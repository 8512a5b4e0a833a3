import type { PowerEvent, PowerEvents } from '../../src-main/ports.ts';

/**
 * The web host's PowerEvents: a browser cannot see the OS lock screen, suspend or a user switch,
 * nor input in other apps, so the idle time is unknown (window input alone counts) and OS events
 * are raised by hand (WebHost.simulatePowerEvent) in tests, the benchmark and development.
 */
export type ManualPowerEvents = PowerEvents & { emit(event: PowerEvent): void };

export function createManualPowerEvents(): ManualPowerEvents {
  const listeners = new Set<(event: PowerEvent) => void>();
  return {
    subscribe(listener) {
      const entry = (event: PowerEvent) => listener(event);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    getSystemIdleSeconds: () => null,
    emit(event) {
      for (const listener of [...listeners]) listener(event);
    },
  };
}
