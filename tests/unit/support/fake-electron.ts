/**
 * A recording stand-in for the parts of 'electron' the shell uses. The Electron binary cannot be
 * downloaded on these machines, so shell tests do `vi.mock('electron', () => import(this file))`
 * and then drive the fakes: emit the events Electron would emit, call the handlers the shell
 * registered, and look at what it recorded.
 *
 * The state is one object kept on globalThis, so a test that re-imports modules after
 * vi.resetModules() still talks to the same fakes; call resetFakeElectron() between tests.
 */
import { vi } from 'vitest';

/* eslint-disable @typescript-eslint/no-explicit-any -- stand-ins for loosely typed Electron APIs */
type Listener = (...args: any[]) => unknown;

export class FakeEmitter {
  readonly listeners = new Map<string, Listener[]>();
  on(name: string, listener: Listener): this {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), listener]);
    return this;
  }
  addListener(name: string, listener: Listener): this {
    return this.on(name, listener);
  }
  once(name: string, listener: Listener): this {
    const wrapper: Listener = (...args) => {
      this.removeListener(name, wrapper);
      return listener(...args);
    };
    return this.on(name, wrapper);
  }
  removeListener(name: string, listener: Listener): this {
    this.listeners.set(
      name,
      (this.listeners.get(name) ?? []).filter((l) => l !== listener),
    );
    return this;
  }
  off(name: string, listener: Listener): this {
    return this.removeListener(name, listener);
  }
  emit(name: string, ...args: unknown[]): boolean {
    const list = [...(this.listeners.get(name) ?? [])];
    for (const listener of list) listener(...args);
    return list.length > 0;
  }
  listenerCount(name: string): number {
    return this.listeners.get(name)?.length ?? 0;
  }
}

/** Electron's Event: records whether a handler called preventDefault. */
export class FakeEvent {
  defaultPrevented = false;
  constructor(props: Record<string, unknown> = {}) {
    Object.assign(this, props);
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

let nextId = 1;

export class FakeFrame {
  readonly frameTreeNodeId = nextId++;
  constructor(
    public url: string,
    public parent: FakeFrame | null = null,
  ) {}
}

export class FakeWebContents extends FakeEmitter {
  readonly id = nextId++;
  readonly mainFrame = new FakeFrame('');
  destroyed = false;
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  readonly send = vi.fn();
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  getURL(): string {
    return this.mainFrame.url;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Test helper: the page committed a navigation to `url`. */
  navigateTo(url: string): void {
    this.mainFrame.url = url;
  }
  /**
   * Test helper: a key reaches the window, announced as Electron does before the page and the menu
   * see it ('before-input-event'). Defaults: a keyDown with no modifier. Returns the event.
   */
  pressKey(input: Partial<FakeInput> & { key: string }): FakeEvent {
    const event = new FakeEvent();
    const full: FakeInput = {
      type: 'keyDown',
      code: '',
      isAutoRepeat: false,
      isComposing: false,
      shift: false,
      control: false,
      alt: false,
      meta: false,
      location: 0,
      modifiers: [],
      ...input,
    };
    this.emit('before-input-event', event, full);
    return event;
  }
}

/** Electron's Input (the 'before-input-event' payload). */
export interface FakeInput {
  type: string;
  key: string;
  code: string;
  isAutoRepeat: boolean;
  isComposing: boolean;
  shift: boolean;
  control: boolean;
  alt: boolean;
  meta: boolean;
  location: number;
  modifiers: string[];
}

/**
 * The system clipboard, with Electron 45's API: readText and writeText return promises, clear is
 * synchronous. readText and writeText are plain methods, not vi.fn, so no mock record keeps a copy
 * of the text (a test may look for the text in the heap); `reads` counts the reads.
 */
export class FakeClipboard {
  text = '';
  reads = 0;
  /** Test helper: make the next reads reject, as a clipboard owned by a hung application can. */
  failReads = false;
  readonly clear = vi.fn((): void => {
    this.text = '';
  });
  async readText(): Promise<string> {
    this.reads += 1;
    if (this.failReads) throw new Error('clipboard unavailable');
    return this.text;
  }
  async writeText(text: string): Promise<void> {
    this.text = text;
  }
}

export class FakeProtocol {
  readonly handlers = new Map<string, (request: Request) => Response | Promise<Response>>();
  readonly handle = vi.fn((scheme: string, handler: (request: Request) => Response | Promise<Response>) => {
    this.handlers.set(scheme, handler);
  });
  readonly registerSchemesAsPrivileged = vi.fn();
}

export class FakeSession extends FakeEmitter {
  permissionRequestHandler: Listener | null = null;
  permissionCheckHandler: Listener | null = null;
  devicePermissionHandler: Listener | null = null;
  readonly protocol = new FakeProtocol();
  readonly setSpellCheckerEnabled = vi.fn();
  readonly clearCache = vi.fn(async () => undefined);
  readonly clearStorageData = vi.fn(async () => undefined);
  constructor(readonly partition: string) {
    super();
  }
  setPermissionRequestHandler(handler: Listener | null): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: Listener | null): void {
    this.permissionCheckHandler = handler;
  }
  setDevicePermissionHandler(handler: Listener | null): void {
    this.devicePermissionHandler = handler;
  }
}

export class FakeApp extends FakeEmitter {
  isPackaged = false;
  readonly enableSandbox = vi.fn();
  readonly requestSingleInstanceLock = vi.fn(() => true);
  readonly quit = vi.fn();
  readonly exit = vi.fn();
  readonly getPath = vi.fn((name: string) => `/fake/${name}`);
  readyResolvers: (() => void)[] = [];
  readonly whenReady = vi.fn(() => new Promise<void>((resolve) => this.readyResolvers.push(resolve)));
  /** Test helper: Electron became ready. */
  becomeReady(): void {
    for (const resolve of this.readyResolvers.splice(0)) resolve();
  }
}

export interface FakeElectronState {
  app: FakeApp;
  windows: FakeBrowserWindow[];
  sessions: Map<string, FakeSession>;
  defaultSession: FakeSession;
  protocol: FakeProtocol;
  ipcMainHandlers: Map<string, Listener>;
  ipcRenderer: FakeIpcRenderer;
  exposed: { key: string; api: unknown }[];
  errorBoxes: { title: string; content: string }[];
  powerMonitor: FakePowerMonitor;
  clipboard: FakeClipboard;
  /** The template given to Menu.setApplicationMenu(Menu.buildFromTemplate(...)), if any. */
  applicationMenu: unknown[] | null;
}

/** powerMonitor: OS events to emit by hand, and an idle time the test sets. */
export class FakePowerMonitor extends FakeEmitter {
  idleSeconds = 0;
  readonly getSystemIdleTime = vi.fn((): number => this.idleSeconds);
}

export class FakeIpcRenderer extends FakeEmitter {
  readonly invoke = vi.fn(async (..._args: unknown[]): Promise<unknown> => undefined);
}

const STATE_KEY = Symbol.for('clinic-workstation.tests.fake-electron');

function freshState(): FakeElectronState {
  return {
    app: new FakeApp(),
    windows: [],
    sessions: new Map(),
    defaultSession: new FakeSession(''),
    protocol: new FakeProtocol(),
    ipcMainHandlers: new Map(),
    ipcRenderer: new FakeIpcRenderer(),
    exposed: [],
    errorBoxes: [],
    powerMonitor: new FakePowerMonitor(),
    clipboard: new FakeClipboard(),
    applicationMenu: null,
  };
}

const holder = globalThis as unknown as Record<symbol, FakeElectronState | undefined>;

/** The current fakes; the object is replaced by resetFakeElectron(). */
export function fake(): FakeElectronState {
  return (holder[STATE_KEY] ??= freshState());
}

export function resetFakeElectron(): FakeElectronState {
  holder[STATE_KEY] = freshState();
  return fake();
}

export class FakeBrowserWindow extends FakeEmitter {
  readonly webContents = new FakeWebContents();
  destroyed = false;
  readonly loadURL = vi.fn(async (url: string) => this.webContents.navigateTo(url));
  readonly show = vi.fn();
  readonly focus = vi.fn();
  readonly restore = vi.fn();
  readonly isMinimized = vi.fn(() => false);
  constructor(readonly options: Record<string, any>) {
    super();
    fake().windows.push(this);
    // As in Electron: every new webContents is announced to the app.
    fake().app.emit('web-contents-created', new FakeEvent(), this.webContents);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** As in Electron: the window goes away and says so. */
  close(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

// ---- the module surface: what `import { ... } from 'electron'` gives the shell ----
// Getters on objects forward to the current state, so a reset takes effect everywhere.

export const app = new Proxy({} as FakeApp, {
  get: (_target, property) => {
    const value = (fake().app as any)[property];
    return typeof value === 'function' ? value.bind(fake().app) : value;
  },
});

export const BrowserWindow = FakeBrowserWindow;

export const ipcMain = {
  handle: vi.fn((channel: string, listener: Listener) => {
    if (fake().ipcMainHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    fake().ipcMainHandlers.set(channel, listener);
  }),
  removeHandler: vi.fn((channel: string) => {
    fake().ipcMainHandlers.delete(channel);
  }),
};

export const ipcRenderer = new Proxy({} as FakeIpcRenderer, {
  get: (_target, property) => {
    const value = (fake().ipcRenderer as any)[property];
    return typeof value === 'function' && !vi.isMockFunction(value) ? value.bind(fake().ipcRenderer) : value;
  },
});

export const contextBridge = {
  exposeInMainWorld: vi.fn((key: string, api: unknown) => {
    fake().exposed.push({ key, api });
  }),
};

export const protocol = new Proxy({} as FakeProtocol, {
  get: (_target, property) => (fake().protocol as any)[property],
});

export const session = {
  fromPartition: vi.fn((partition: string) => {
    const sessions = fake().sessions;
    let found = sessions.get(partition);
    if (!found) {
      found = new FakeSession(partition);
      sessions.set(partition, found);
      fake().app.emit('session-created', found);
    }
    return found;
  }),
  get defaultSession(): FakeSession {
    return fake().defaultSession;
  },
};

export const powerMonitor = new Proxy({} as FakePowerMonitor, {
  get: (_target, property) => {
    const value = (fake().powerMonitor as any)[property];
    return typeof value === 'function' && !vi.isMockFunction(value) ? value.bind(fake().powerMonitor) : value;
  },
});

export const clipboard = new Proxy({} as FakeClipboard, {
  get: (_target, property) => {
    const value = (fake().clipboard as any)[property];
    return typeof value === 'function' && !vi.isMockFunction(value) ? value.bind(fake().clipboard) : value;
  },
});

/** Menu: buildFromTemplate keeps the template, setApplicationMenu records it. */
export const Menu = {
  buildFromTemplate: vi.fn((template: unknown[]) => ({ template })),
  setApplicationMenu: vi.fn((menu: { template: unknown[] } | null) => {
    fake().applicationMenu = menu?.template ?? null;
  }),
};

export const dialog = {
  showErrorBox: vi.fn((title: string, content: string) => {
    fake().errorBoxes.push({ title, content });
  }),
};
