/**
 * The shell's PowerEvents for the lock controller, against a recording powerMonitor fake: the OS
 * events that lock, the machine-wide idle time, and "cannot tell" where the OS idle time lies.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { PowerEvent } from '../../src-main/ports.ts';
import { fake, resetFakeElectron } from './support/fake-electron.ts';

vi.mock('electron', () => import('./support/fake-electron.ts'));
const { createElectronPowerEvents, systemIdleIsReliable } = await import('../../src-main/electron/power-events.ts');

beforeEach(() => {
  resetFakeElectron();
});

describe('Electron power events', () => {
  it('maps lock-screen, suspend and fast user switching to locking events, and unsubscribes', () => {
    const power = createElectronPowerEvents({ platform: 'darwin', env: {} });
    const seen: PowerEvent[] = [];
    const unsubscribe = power.subscribe((event) => seen.push(event));
    const monitor = fake().powerMonitor;
    monitor.emit('lock-screen');
    monitor.emit('suspend');
    monitor.emit('user-did-resign-active');
    monitor.emit('resume'); // not a reason to lock
    expect(seen).toEqual(['lock-screen', 'suspend', 'session-switch']);
    unsubscribe();
    monitor.emit('lock-screen');
    expect(seen).toHaveLength(3);
    for (const name of ['lock-screen', 'suspend', 'user-did-resign-active'])
      expect(monitor.listenerCount(name)).toBe(0);
  });

  it('reports the machine-wide idle time where the OS knows it', () => {
    fake().powerMonitor.idleSeconds = 42;
    expect(createElectronPowerEvents({ platform: 'win32', env: {} }).getSystemIdleSeconds()).toBe(42);
    expect(
      createElectronPowerEvents({ platform: 'linux', env: { XDG_SESSION_TYPE: 'x11' } }).getSystemIdleSeconds(),
    ).toBe(42);
  });

  it('says "cannot tell" under Wayland, where the idle time is stuck at 0', () => {
    fake().powerMonitor.idleSeconds = 0;
    for (const env of [{ XDG_SESSION_TYPE: 'wayland' }, { WAYLAND_DISPLAY: 'wayland-0' }]) {
      expect(systemIdleIsReliable('linux', env)).toBe(false);
      expect(createElectronPowerEvents({ platform: 'linux', env }).getSystemIdleSeconds()).toBeNull();
    }
    expect(fake().powerMonitor.getSystemIdleTime).not.toHaveBeenCalled();
  });
});
