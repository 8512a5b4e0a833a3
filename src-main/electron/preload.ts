/**
 * The preload: the only code that sees both the page and Electron's IPC. It exposes one frozen
 * object, window.clinic, with invoke and on, and nothing else crosses the bridge (no ipcRenderer,
 * no event objects, no Node). It runs sandboxed and is bundled to CommonJS, so it imports only
 * 'electron' and the pure contract from src-shared. Unknown channels and events are stopped here
 * already; the main process checks again, because a compromised page could skip this file.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import { BRIDGE_EVENT, BRIDGE_INVOKE, isChannelName, isEventName } from '../../src-shared/ipc/contract.ts';
import type { ClinicBridge, EventPayload } from '../../src-shared/ipc/contract.ts';
import type { IpcResult } from '../../src-shared/ipc/errors.ts';

function failure(code: 'INVALID' | 'UNAVAILABLE', message: string): IpcResult<never> {
  return { ok: false, error: { code, message } };
}

// The contract promises a result object, never a thrown exception: an unknown channel or a main
// process that does not answer both come back as typed failures.
const invoke: ClinicBridge['invoke'] = async (channel, request) => {
  if (!isChannelName(channel)) return failure('INVALID', 'Unknown channel.');
  try {
    return await ipcRenderer.invoke(BRIDGE_INVOKE, channel, request);
  } catch {
    return failure('UNAVAILABLE', 'The workstation service did not answer.');
  }
};

// Subscribing with a wrong name or a non-function is a programming error in the page: it throws
// at once rather than silently never firing. The listener gets the payload only; the
// IpcRendererEvent (which carries `sender`, i.e. ipcRenderer itself) never reaches the page.
const on: ClinicBridge['on'] = (event, listener) => {
  if (!isEventName(event)) throw new TypeError('Unknown event.');
  if (typeof listener !== 'function') throw new TypeError('The listener must be a function.');
  const forward = (_ipcEvent: IpcRendererEvent, name: unknown, payload: unknown) => {
    if (name === event) listener(payload as EventPayload<typeof event>);
  };
  ipcRenderer.on(BRIDGE_EVENT, forward);
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    ipcRenderer.removeListener(BRIDGE_EVENT, forward);
  };
};

const bridge: ClinicBridge = Object.freeze({ invoke, on });

contextBridge.exposeInMainWorld('clinic', bridge);
