/**
 * Updates (src-main/electron/updater.ts) against the fake Electron module and a recording
 * electron-updater: the updater is touched only when the app is packaged AND the policy enables
 * updates AND names a feed, and then only with the policy's feed through the generic provider,
 * nothing downloaded or installed on its own.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { Policy } from '../../src-shared/policy/schema.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { FakeEmitter, fake, resetFakeElectron } from './support/fake-electron.ts';

const hoisted = vi.hoisted(() => {
  const state = { reads: 0, updater: null as unknown };
  return {
    state,
    module: {
      // electron-updater builds the platform's updater on first read of autoUpdater.
      get autoUpdater() {
        state.reads += 1;
        return state.updater;
      },
    },
  };
});

vi.mock('electron', () => import('./support/fake-electron.ts'));
vi.mock('electron-updater', () => ({ default: hoisted.module }));

const { decideUpdates, startUpdates } = await import('../../src-main/electron/updater.ts');

class RecordingUpdater extends FakeEmitter {
  logger: unknown = 'console';
  autoDownload = true;
  autoInstallOnAppQuit = true;
  allowDowngrade = true;
  forceDevUpdateConfig = true;
  /** Calls in order. checkForUpdates is a plain method: a vi.fn would observe (and so handle) the promise it returns. */
  readonly calls: string[] = [];
  checkResult: () => Promise<null> = async () => null;
  readonly setFeedURL = vi.fn(() => void this.calls.push('setFeedURL'));
  checkForUpdates(): Promise<null> {
    this.calls.push('checkForUpdates');
    return this.checkResult();
  }
  readonly downloadUpdate = vi.fn();
  readonly quitAndInstall = vi.fn();
}

const FEED = 'https://updates.clinic.example/workstation';
const enabled = Policy.parse({ updates: { enabled: true, feedUrl: FEED } }).updates;

let updater: RecordingUpdater;

beforeEach(() => {
  resetFakeElectron();
  updater = new RecordingUpdater();
  hoisted.state.updater = updater;
  hoisted.state.reads = 0;
});

function start(updates: Policy['updates'], isPackaged: boolean) {
  fake().app.isPackaged = isPackaged;
  const logger = createMemoryLogger();
  const result = startUpdates({ updates, logger });
  return { result, logger };
}

describe('updates stay off', () => {
  it('when the app is not packaged, whatever the policy says', () => {
    const { result, logger } = start(enabled, false);
    expect(result).toBeNull();
    expect(hoisted.state.reads).toBe(0);
    expect(logger.entries).toStrictEqual([{ level: 'info', event: 'updates.off', fields: { reason: 'not_packaged' } }]);
  });

  it('when the policy leaves them off (the default), even with a feed', () => {
    for (const updates of [
      Policy.parse({}).updates,
      Policy.parse({ updates: { enabled: false, feedUrl: FEED } }).updates,
    ]) {
      const { result, logger } = start(updates, true);
      expect(result).toBeNull();
      expect(logger.entries).toStrictEqual([
        { level: 'info', event: 'updates.off', fields: { reason: 'disabled_by_policy' } },
      ]);
    }
    expect(hoisted.state.reads).toBe(0);
  });

  it('without a feed URL (the schema refuses that policy; the updater checks again)', () => {
    const { result, logger } = start({ enabled: true }, true);
    expect(result).toBeNull();
    expect(hoisted.state.reads).toBe(0);
    expect(logger.entries[0]?.fields).toStrictEqual({ reason: 'no_feed_url' });
  });

  it('with a feed that is not HTTPS', () => {
    for (const feedUrl of ['http://updates.clinic.example/', 'file:///srv/updates', 'not a url']) {
      expect(decideUpdates(true, { enabled: true, feedUrl }), feedUrl).toStrictEqual({
        enabled: false,
        reason: 'feed_not_https',
      });
    }
    expect(start({ enabled: true, feedUrl: 'http://updates.clinic.example/' }, true).result).toBeNull();
    expect(hoisted.state.reads).toBe(0);
  });
});

describe('updates on', () => {
  it("use the policy's feed with the generic provider, nothing downloaded or installed by itself", () => {
    const { result, logger } = start(enabled, true);
    expect(result).toBe(updater);
    expect(updater.setFeedURL).toHaveBeenCalledExactlyOnceWith({ provider: 'generic', url: FEED });
    expect(updater).toMatchObject({
      autoDownload: false,
      autoInstallOnAppQuit: false,
      allowDowngrade: false,
      forceDevUpdateConfig: false,
      // Free-text updater logs would bypass the redacting logger.
      logger: null,
    });
    // One look at the feed, after the feed is set; no download, no install.
    expect(updater.calls).toStrictEqual(['setFeedURL', 'checkForUpdates']);
    expect(updater.downloadUpdate).not.toHaveBeenCalled();
    expect(updater.quitAndInstall).not.toHaveBeenCalled();
    expect(logger.entries).toStrictEqual([{ level: 'info', event: 'updates.on', fields: { url: FEED } }]);
  });

  it('log what the updater reports by code, never its free text', () => {
    const { logger } = start(enabled, true);
    updater.emit('update-available', { version: '0.2.0', releaseNotes: 'Fixed chart for Jane Smith' });
    const invalid = Object.assign(
      new Error('New version 0.2.0 is not signed by the application owner: raw info C:\\Users\\jsmith'),
      {
        code: 'ERR_UPDATER_INVALID_SIGNATURE',
      },
    );
    updater.emit('error', invalid, invalid.message);
    expect(logger.entries.slice(1)).toStrictEqual([
      { level: 'info', event: 'updates.available', fields: { to: '0.2.0' } },
      { level: 'error', event: 'updates.error', fields: { code: 'ERR_UPDATER_INVALID_SIGNATURE', errorName: 'Error' } },
    ]);
    expect(JSON.stringify(logger.entries)).not.toMatch(/Smith|jsmith/);
  });

  it('a failed check does not go unhandled (electron-updater reports it as an error event)', async () => {
    updater.checkResult = () => Promise.reject(new Error('net::ERR_NAME_NOT_RESOLVED'));
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      start(enabled, true);
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('an updater that cannot be built is logged and leaves the app running', () => {
    Object.defineProperty(hoisted.module, 'autoUpdater', {
      configurable: true,
      get: () => {
        throw Object.assign(new Error('App version is not a valid semver version'), {
          code: 'ERR_UPDATER_INVALID_VERSION',
        });
      },
    });
    try {
      const { result, logger } = start(enabled, true);
      expect(result).toBeNull();
      expect(logger.entries).toStrictEqual([
        { level: 'error', event: 'updates.error', fields: { code: 'ERR_UPDATER_INVALID_VERSION', errorName: 'Error' } },
      ]);
    } finally {
      Object.defineProperty(hoisted.module, 'autoUpdater', {
        configurable: true,
        get: () => {
          hoisted.state.reads += 1;
          return hoisted.state.updater;
        },
      });
    }
  });
});
