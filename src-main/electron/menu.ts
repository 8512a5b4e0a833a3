/**
 * The application menu. Electron's default one offers Reload and Toggle Developer Tools to
 * anyone at a shared workstation; this one has only what a clinician needs: on macOS the app
 * menu, Edit (whose Copy and Cut tell the clipboard guard, since a click sends no key), and
 * Window. Developer items exist only when the app is not packaged.
 */
import type { BrowserWindow, MenuItemConstructorOptions } from 'electron';
import { APP_NAME } from '../../src-shared/app-info.ts';

export interface MenuOptions {
  platform: NodeJS.Platform;
  isPackaged: boolean;
  /** Called after Copy or Cut from the menu has run in the focused window. */
  onCopy(): void;
}

export function applicationMenuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const mac = options.platform === 'darwin';
  const copyLike = (
    label: 'Copy' | 'Cut',
    accelerator: string,
    run: (window: BrowserWindow) => void,
  ): MenuItemConstructorOptions => ({
    label,
    accelerator,
    // The key is seen by the guard already (before-input-event); a click is not, so note it here.
    registerAccelerator: false,
    click: (_item, window) => {
      if (!window || !('webContents' in window)) return;
      run(window as BrowserWindow);
      options.onCopy();
    },
  });
  const template: MenuItemConstructorOptions[] = [];
  if (mac) {
    template.push({
      label: APP_NAME,
      submenu: [
        { role: 'about' },
        { type: 'separator' },
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        { type: 'separator' },
        { role: 'quit' },
      ],
    });
  }
  template.push({
    label: 'Edit',
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      { type: 'separator' },
      copyLike('Cut', 'CmdOrCtrl+X', (window) => window.webContents.cut()),
      copyLike('Copy', 'CmdOrCtrl+C', (window) => window.webContents.copy()),
      { role: 'paste' },
      { role: 'selectAll' },
    ],
  });
  template.push({
    label: 'Window',
    submenu: mac
      ? [{ role: 'minimize' }, { role: 'zoom' }, { role: 'close' }]
      : [{ role: 'minimize' }, { role: 'close' }],
  });
  if (!options.isPackaged)
    template.push({ label: 'Developer', submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }] });
  return template;
}
