/**
 * The one application window. Its options are built by a pure function so a test can assert
 * every security-relevant preference; createMainWindow only turns them into a BrowserWindow.
 */
import { BrowserWindow } from 'electron';
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import { SESSION_PARTITION } from './origin.ts';

export interface MainWindowConfig {
  /** Absolute path of the built preload (out/preload/preload.cjs). */
  preloadPath: string;
  /** app.isPackaged: developer tools exist only in development builds. */
  isPackaged: boolean;
}

/**
 * The Electron security checklist as preferences, for every window the app opens: the page runs
 * sandboxed and isolated from any preload, with no Node anywhere (main frame, workers, sub-frames),
 * full web security, no webviews, no experimental Blink features, no spellchecker (it would send
 * typed PHI to a dictionary service on some platforms), no navigation by dropping a file.
 */
export const HARDENED_WEB_PREFERENCES = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  spellcheck: false,
  navigateOnDragDrop: false,
  // A page cannot trap the clinician in a loop of alert() dialogs.
  safeDialogs: true,
} satisfies WebPreferences);

/** The application window: the checklist, our preload, and the in-memory session. */
export function buildWebPreferences(config: MainWindowConfig): WebPreferences {
  return {
    preload: config.preloadPath,
    partition: SESSION_PARTITION,
    ...HARDENED_WEB_PREFERENCES,
    devTools: !config.isPackaged,
  };
}

export function buildMainWindowOptions(config: MainWindowConfig): BrowserWindowConstructorOptions {
  return {
    title: 'Clinic Workstation',
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    // Shown on ready-to-show so the clinician never sees a half-painted window.
    show: false,
    backgroundColor: '#ffffff',
    webPreferences: buildWebPreferences(config),
  };
}

export function createMainWindow(config: MainWindowConfig): BrowserWindow {
  const window = new BrowserWindow(buildMainWindowOptions(config));
  window.once('ready-to-show', () => window.show());
  return window;
}
