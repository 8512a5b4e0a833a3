/**
 * App entry (out/main/main.js). Wires Electron to the core and does nothing else: the core owns
 * every decision about data, sessions and access; this file creates the window, serves the
 * renderer, forwards IPC, hands the core its OS ports (power events, the sign-in window), clears
 * chart text from the clipboard when a session locks or ends, and shuts the core down cleanly.
 *
 * Deliberately absent: crashReporter.start() (a crash dump of the renderer or main process would
 * hold PHI from memory in clear on disk), and any persistent session (see origin.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Menu, app, dialog, protocol, session } from 'electron';
import type { BrowserWindow } from 'electron';
import { createCore } from '../core.ts';
import type { Core } from '../core.ts';
import { createJsonLogger } from '../log/index.ts';
import { systemClock } from '../ports.ts';
import { createKeytarKeyStore } from '../vault/index.ts';
import { createElectronAuthBrowser } from './auth-browser.ts';
import { createClipboardGuard } from './clipboard-guard.ts';
import { applicationMenuTemplate } from './menu.ts';
import { registerIpcBridge } from './ipc.ts';
import { APP_ENTRY_URL, APP_SCHEME, SESSION_PARTITION } from './origin.ts';
import { createElectronPowerEvents } from './power-events.ts';
import { APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from './protocol.ts';
import { hardenSession, installSecurityHooks } from './security.ts';
import { startUpdates } from './updater.ts';
import { PolicyError, type LoadedPolicy, loadOsPolicy, readFileWithOwner } from '../policy/index.ts';
import { errorName, readIfExists } from '../base/index.ts';
import { runCliProcess } from '../cli/index.ts';
import { createMainWindow } from './window.ts';

// Bundled layout: out/main/main.js, out/preload/preload.cjs, out/renderer/index.html.
const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const RENDERER_DIR = path.join(outDir, 'renderer');
const PRELOAD_PATH = path.join(outDir, 'preload', 'preload.cjs');

const logger = createJsonLogger();

/** The managed policy: the OS's file, or Group Policy / managed preferences, never both. */
function loadPolicyForShell(): Promise<LoadedPolicy> {
  return loadOsPolicy({
    platform: process.platform,
    isPackaged: app.isPackaged,
    env: process.env,
    readFile: readIfExists,
    readOwned: readFileWithOwner,
  });
}

function start(): void {
  // Every renderer sandboxed, whatever a window's preferences say. Must precede 'ready'.
  app.enableSandbox();
  // Gives app:// an origin of its own. Must precede 'ready' and can be called only once.
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
  installSecurityHooks(logger);

  let window: BrowserWindow | null = null;
  let core: Core | null = null;
  // Stops IPC and every other subscription to the core's events.
  let disconnectCore: (() => void) | null = null;
  let quitRequested = false;
  const clipboardGuard = createClipboardGuard({ logger });

  // A second launch (another clinician double-clicking the icon) focuses the running window.
  app.on('second-instance', () => {
    if (!window || window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  // One window per app: closing it ends the app on every platform, macOS included, so no
  // session lingers on a shared workstation without a window to lock.
  app.on('window-all-closed', () => app.quit());

  // Quitting waits for the core to close the vault (checkpoint, release the key) exactly once;
  // further quit requests while it closes are held until it is done.
  let closing: Promise<void> | null = null;
  let closed = false;
  app.on('before-quit', (event) => {
    quitRequested = true;
    if (closed) return;
    if (closing) {
      event.preventDefault();
      return;
    }
    if (core === null) return;
    event.preventDefault();
    const running = core;
    core = null;
    disconnectCore?.();
    disconnectCore = null;
    closing = Promise.all([
      // Quitting ends the session too: chart text must not outlive the app on the clipboard.
      clipboardGuard.clearChartText(),
      running
        .close()
        .catch((error: unknown) => logger.log('error', 'shell.core_close_failed', { errorName: errorName(error) })),
    ])
      .then(() => undefined)
      .finally(() => {
        closed = true;
        app.quit();
      });
  });

  const ready = async (): Promise<void> => {
    const ses = session.fromPartition(SESSION_PARTITION);
    // Our own menu: no Reload or Developer Tools in a packaged app; menu Copy/Cut reach the guard.
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        applicationMenuTemplate({
          platform: process.platform,
          isPackaged: app.isPackaged,
          onCopy: () => clipboardGuard.noteCopy(),
        }),
      ),
    );
    hardenSession(session.defaultSession, logger);
    hardenSession(ses, logger);
    ses.setSpellCheckerEnabled(false);
    // The partition is in memory already; clearing makes sure no cache survives from anything.
    await ses.clearCache();
    // protocol.handle on the module would serve the default session only; the window uses ours.
    ses.protocol.handle(APP_SCHEME, createAppProtocolHandler({ rendererDir: RENDERER_DIR }));

    // The managed policy loader arrives with the IT deployment issue; until then, defaults.
    // Fail closed: without a valid managed policy the app does not start (fatal() names why).
    const { policy, source: policySource } = await loadPolicyForShell();
    const created = await createCore({
      keyStore: createKeytarKeyStore(),
      clock: systemClock,
      paths: { dataDir: path.join(app.getPath('userData'), 'vault'), exportsDir: app.getPath('downloads') },
      policy,
      policySource,
      logger,
      power: createElectronPowerEvents(),
      // Without the clinic's identity provider in the policy there is nowhere to sign in: no window.
      authBrowser: policy.central
        ? createElectronAuthBrowser({
            issuer: policy.central.issuer,
            logger,
            // The sign-in starts from the app window, so it exists by then.
            getParent: () => window,
            // Closing the provider's window cancels the sign-in now, not at its five-minute timeout.
            onClosedByUser: () => void core?.invoke('session.cancelSignIn', {}),
          })
        : undefined,
    });
    if (quitRequested) {
      // The app was asked to quit while the core was starting: close it and stop here.
      await created.close();
      closed = true;
      app.quit();
      return;
    }
    core = created;

    window = createMainWindow({ preloadPath: PRELOAD_PATH, isPackaged: app.isPackaged });
    window.on('closed', () => {
      window = null;
    });
    clipboardGuard.watch(window.webContents);
    const disposeBridge = registerIpcBridge({ core: created, getWindow: () => window, logger });
    const stopClipboardGuard = clipboardGuard.followSessions(created);
    disconnectCore = () => {
      disposeBridge();
      stopClipboardGuard();
    };
    await window.loadURL(APP_ENTRY_URL);
    // Only when packaged and the policy names a feed; otherwise it logs why and does nothing.
    startUpdates({ updates: policy.updates, logger });
  };

  // Fail closed: if the shell cannot start, say so and exit; never show a half-working window.
  const fatal = async (error: unknown): Promise<void> => {
    logger.log('error', 'shell.start_failed', {
      errorName: errorName(error),
      code: error instanceof PolicyError ? error.code : null,
    });
    dialog.showErrorBox(
      'Clinic Workstation could not start',
      error instanceof PolicyError
        ? // The policy message names the setting and the file: what IT needs, and no PHI.
          `${error.message}\n\nPlease contact IT.`
        : 'The application could not start on this workstation. Please contact IT; the details are in the application log.',
    );
    const running = core;
    core = null;
    await running?.close().catch(() => undefined);
    app.exit(1);
  };

  app.whenReady().then(ready).catch(fatal);
}

// Only one instance per user session: two cores must never open the same vault.
// `Clinic Workstation --ws <command>`: the IT command line in the installed binary (no window,
// no single-instance lock: it can run beside the app, as `ws status` on a workstation in use).
const adminArgument = process.argv.indexOf('--ws');
if (adminArgument >= 0) {
  // The shell's own facts for `compliance report`: packaged or not, and the binary (its fuses).
  void runCliProcess(process.argv.slice(adminArgument + 1), {
    packaged: app.isPackaged,
    execPath: process.execPath,
  }).then((code) => app.exit(code));
} else if (app.requestSingleInstanceLock()) {
  start();
} else {
  app.quit();
}
