/**
 * The preload is the only bridge between the page and Electron's IPC. These tests load it against
 * recording fakes and check that exactly one frozen object with invoke and on crosses, that unknown
 * channels and events are stopped before IPC, and that the page never receives the IPC event.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BRIDGE_EVENT, BRIDGE_INVOKE } from '../../src-shared/ipc/contract.ts';
import type { ClinicBridge } from '../../src-shared/ipc/contract.ts';
import { FakeEvent, fake, resetFakeElectron } from './support/fake-electron.ts';

vi.mock('electron', () => import('./support/fake-electron.ts'));

let bridge: ClinicBridge;
let exposed: { key: string; api: unknown }[];

beforeAll(async () => {
  resetFakeElectron();
  await import('../../src-main/electron/preload.ts');
  exposed = [...fake().exposed];
  bridge = exposed[0]?.api as ClinicBridge;
});

beforeEach(() => {
  // Keep the exposure recorded at load; start each test with fresh IPC fakes.
  const ipc = fake().ipcRenderer;
  ipc.listeners.clear();
  ipc.invoke.mockReset();
});

// The bridge is typed for valid names; tests also pass what a hostile page could pass.
type LooseBridge = {
  invoke(channel: unknown, request: unknown): Promise<unknown>;
  on(event: unknown, listener: unknown): () => void;
};
const loose = () => bridge as unknown as LooseBridge;

describe('preload exposure', () => {
  it('exposes exactly one key, clinic', () => {
    expect(exposed.map((e) => e.key)).toStrictEqual(['clinic']);
  });

  it('exposes a frozen object with exactly invoke and on', () => {
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(Reflect.ownKeys(bridge).sort()).toStrictEqual(['invoke', 'on']);
    expect(typeof bridge.invoke).toBe('function');
    expect(typeof bridge.on).toBe('function');
  });
});

describe('invoke', () => {
  it('sends a known channel over the bridge channel and returns the answer', async () => {
    const answer = { ok: true, data: { appName: 'Clinic Workstation' } };
    fake().ipcRenderer.invoke.mockResolvedValueOnce(answer);
    await expect(bridge.invoke('workstation.status', {})).resolves.toStrictEqual(answer);
    expect(fake().ipcRenderer.invoke).toHaveBeenCalledExactlyOnceWith(BRIDGE_INVOKE, 'workstation.status', {});
  });

  it.each([
    'nope',
    '__proto__',
    'toString',
    'constructor',
    '',
    42,
    null,
    undefined,
    { toString: () => 'workstation.status' },
  ])('answers INVALID for an unknown channel (%s) without touching IPC', async (channel) => {
    await expect(loose().invoke(channel, {})).resolves.toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(fake().ipcRenderer.invoke).not.toHaveBeenCalled();
  });

  it('answers UNAVAILABLE instead of throwing when the main process does not answer', async () => {
    fake().ipcRenderer.invoke.mockRejectedValueOnce(
      new Error("Error invoking remote method 'clinic:invoke': no handler"),
    );
    await expect(bridge.invoke('workstation.status', {})).resolves.toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE' },
    });
  });
});

describe('on', () => {
  const payload = {
    appName: 'Clinic Workstation',
    appVersion: '0.1.0',
    workstationId: null,
    vault: { state: 'ready', schemaVersion: 1, escrowed: false },
  } as const;

  it('passes the payload only, never the IPC event object', () => {
    const listener = vi.fn();
    bridge.on('workstation.statusChanged', listener);
    const ipcEvent = new FakeEvent({ sender: fake().ipcRenderer, senderId: 0 });
    fake().ipcRenderer.emit(BRIDGE_EVENT, ipcEvent, 'workstation.statusChanged', payload);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener.mock.calls[0]).toStrictEqual([payload]);
  });

  it('does not call the listener for other events', () => {
    const listener = vi.fn();
    bridge.on('workstation.statusChanged', listener);
    fake().ipcRenderer.emit(BRIDGE_EVENT, new FakeEvent(), 'something.else', payload);
    expect(listener).not.toHaveBeenCalled();
  });

  it('returns an unsubscribe function that removes the IPC listener', () => {
    const listener = vi.fn();
    const unsubscribe = bridge.on('workstation.statusChanged', listener);
    expect(fake().ipcRenderer.listenerCount(BRIDGE_EVENT)).toBe(1);
    unsubscribe();
    unsubscribe();
    expect(fake().ipcRenderer.listenerCount(BRIDGE_EVENT)).toBe(0);
    fake().ipcRenderer.emit(BRIDGE_EVENT, new FakeEvent(), 'workstation.statusChanged', payload);
    expect(listener).not.toHaveBeenCalled();
  });

  it.each(['nope', '__proto__', 'hasOwnProperty', '', 7, null])('refuses an unknown event (%s)', (event) => {
    expect(() => loose().on(event, () => undefined)).toThrow(TypeError);
    expect(fake().ipcRenderer.listenerCount(BRIDGE_EVENT)).toBe(0);
  });

  it('refuses a listener that is not a function', () => {
    expect(() => loose().on('workstation.statusChanged', 'alert(1)')).toThrow(TypeError);
    expect(fake().ipcRenderer.listenerCount(BRIDGE_EVENT)).toBe(0);
  });
});
