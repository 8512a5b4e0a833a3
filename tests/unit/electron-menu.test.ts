import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { applicationMenuTemplate } from '../../src-main/electron/menu.ts';

type Item = MenuItemConstructorOptions;
const flatten = (items: Item[]): Item[] =>
  items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu) : [])]);
const roles = (items: Item[]) =>
  flatten(items)
    .map((item) => item.role)
    .filter(Boolean);

describe('application menu', () => {
  it('offers no reload and no developer tools in a packaged app, on any platform', () => {
    for (const platform of ['win32', 'darwin', 'linux'] as const) {
      const template = applicationMenuTemplate({ platform, isPackaged: true, onCopy: () => undefined });
      expect(roles(template)).not.toEqual(expect.arrayContaining(['reload']));
      for (const role of ['reload', 'forceReload', 'toggleDevTools', 'viewMenu'])
        expect(roles(template)).not.toContain(role);
      expect(
        flatten(template)
          .map((item) => item.label)
          .filter(Boolean),
      ).not.toContain('Developer');
    }
    // Unpackaged (development) builds keep them.
    expect(roles(applicationMenuTemplate({ platform: 'linux', isPackaged: false, onCopy: () => undefined }))).toContain(
      'toggleDevTools',
    );
  });

  it('menu Copy and Cut run in the focused window and tell the clipboard guard', () => {
    const onCopy = vi.fn();
    const template = applicationMenuTemplate({ platform: 'win32', isPackaged: true, onCopy });
    const items = flatten(template);
    const window = { webContents: { copy: vi.fn(), cut: vi.fn() } };
    for (const label of ['Copy', 'Cut'] as const) {
      const item = items.find((i) => i.label === label)!;
      expect(item.registerAccelerator).toBe(false); // the key itself is watched by the guard
      item.click?.({} as never, window as never, {} as never);
    }
    expect(window.webContents.copy).toHaveBeenCalledOnce();
    expect(window.webContents.cut).toHaveBeenCalledOnce();
    expect(onCopy).toHaveBeenCalledTimes(2);
    // No window focused: nothing copied, nothing noted.
    items.find((i) => i.label === 'Copy')!.click?.({} as never, undefined, {} as never);
    expect(onCopy).toHaveBeenCalledTimes(2);
    expect(roles(template)).toEqual(expect.arrayContaining(['undo', 'redo', 'paste', 'selectAll']));
  });

  it('has the macOS application menu only on macOS', () => {
    expect(roles(applicationMenuTemplate({ platform: 'darwin', isPackaged: true, onCopy: () => undefined }))).toContain(
      'quit',
    );
    expect(
      roles(applicationMenuTemplate({ platform: 'win32', isPackaged: true, onCopy: () => undefined })),
    ).not.toContain('quit');
  });
});
