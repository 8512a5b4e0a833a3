/**
 * The IPC wire between the window and the core. Two jobs only: make sure a request really comes
 * from the top frame of our window showing our own page, then hand it to the core unchanged (the
 * core's router validates, authorizes and audits it); and forward the core's events to that page.
 */
import { ipcMain } from 'electron';
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { BRIDGE_EVENT, BRIDGE_INVOKE, isChannelName } from '../../src-shared/ipc/contract.ts';
import type { IpcResult } from '../../src-shared/ipc/errors.ts';
import type { Core } from '../core.ts';
import type { Logger } from '../log/index.ts';
import { isAppUrl } from './origin.ts';
import { errorName } from '../base/index.ts';

export type SenderCheck = { ok: true } | { ok: false; reason: string };

/**
 * A request is accepted only from the main frame of our window's webContents, whose document is
 * an app:// page. Sub-frames, other webContents (a devtools page, anything a bug opens) and a frame
 * that navigated away are refused. `senderFrame` is null once the frame has gone: refused too.
 */
export function checkSender(event: IpcMainInvokeEvent, window: BrowserWindow | null): SenderCheck {
  try {
    return inspectSender(event, window);
  } catch {
    // Electron throws when a disposed frame is read (it navigated or closed mid-request).
    return { ok: false, reason: 'frame_gone' };
  }
}

function inspectSender(event: IpcMainInvokeEvent, window: BrowserWindow | null): SenderCheck {
  if (!window || window.isDestroyed()) return { ok: false, reason: 'no_window' };
  const contents = window.webContents;
  if (event.sender.id !== contents.id) return { ok: false, reason: 'foreign_contents' };
  const frame = event.senderFrame;
  if (!frame) return { ok: false, reason: 'frame_gone' };
  if (frame.parent !== null || frame.frameTreeNodeId !== contents.mainFrame.frameTreeNodeId) {
    return { ok: false, reason: 'sub_frame' };
  }
  if (!isAppUrl(frame.url)) return { ok: false, reason: 'foreign_origin' };
  return { ok: true };
}

const FORBIDDEN: IpcResult<never> = Object.freeze({
  ok: false,
  error: Object.freeze({ code: 'FORBIDDEN', message: 'This request did not come from the Clinic Workstation window.' }),
}) as IpcResult<never>;

const INTERNAL: IpcResult<never> = Object.freeze({
  ok: false,
  error: Object.freeze({ code: 'INTERNAL', message: 'The request could not be completed.' }),
}) as IpcResult<never>;

export interface IpcBridgeOptions {
  core: Pick<Core, 'invoke' | 'onEvent'>;
  /** The window whose page may talk to the core; read on every message (it can be recreated). */
  getWindow: () => BrowserWindow | null;
  logger: Logger;
}

/** Registers the invoke handler and event forwarding; returns a function that removes both. */
export function registerIpcBridge({ core, getWindow, logger }: IpcBridgeOptions): () => void {
  ipcMain.handle(BRIDGE_INVOKE, async (event, channel: unknown, request: unknown): Promise<IpcResult<unknown>> => {
    const check = checkSender(event, getWindow());
    if (!check.ok) {
      // Only the reason and a known channel name are logged: never the request, never the URL.
      logger.log('warn', 'ipc.sender_rejected', {
        reason: check.reason,
        channel: isChannelName(channel) ? channel : 'unknown',
      });
      return FORBIDDEN;
    }
    try {
      return await core.invoke(channel, request);
    } catch (error) {
      // The core promises never to throw; if it does, the page still gets a typed answer.
      logger.log('error', 'ipc.core_threw', { errorName: errorName(error) });
      return INTERNAL;
    }
  });

  const unsubscribe = core.onEvent((name, payload) => {
    const window = getWindow();
    if (!window || window.isDestroyed()) return;
    const contents = window.webContents;
    // Events can carry data meant for our page only; never send them to anything else.
    if (contents.isDestroyed() || !isAppUrl(contents.getURL())) return;
    contents.send(BRIDGE_EVENT, name, payload);
  });

  return () => {
    ipcMain.removeHandler(BRIDGE_INVOKE);
    unsubscribe();
  };
}
