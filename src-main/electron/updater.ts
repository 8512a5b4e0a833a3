/**
 * Application updates (PRODUCT.md capability 9): electron-updater, only from the feed IT names in
 * the managed policy, and only when the app is packaged and the policy turns updates on.
 * Otherwise nothing is configured and the log says why.
 *
 * What protects an update:
 * - the feed: HTTPS (the policy schema accepts nothing else; checked again here), set with
 *   setFeedURL before anything runs, so resources/app-update.yml's URL (a placeholder on an
 *   .invalid host, see electron-builder.yml) is never used as an address;
 * - Windows: electron-updater refuses an installer whose Authenticode signer does not match the
 *   publisherName that electron-builder wrote into app-update.yml (pinned in
 *   build/windows-signing.mjs; win.verifyUpdateCodeSignature);
 * - macOS: Squirrel.Mac installs only an update signed with the running app's designated
 *   requirement (same Developer ID team);
 * - every platform: the sha512 of each file, listed in the feed's latest*.yml.
 *
 * Nothing is downloaded or installed on its own: autoDownload and autoInstallOnAppQuit are off
 * until the app decides how a shared clinic workstation takes an update.
 */
import electronUpdater from 'electron-updater';
import type { AppUpdater, UpdateInfo } from 'electron-updater';
import { app } from 'electron';
import type { Policy } from '../../src-shared/policy/schema.ts';
import type { Logger } from '../log/index.ts';
import { errorName } from '../base/index.ts';

type Updates = Policy['updates'];

export type UpdatesDecision =
  | { enabled: true; feedUrl: string }
  | { enabled: false; reason: 'not_packaged' | 'disabled_by_policy' | 'no_feed_url' | 'feed_not_https' };

/** Pure: whether updates run, and from where. */
export function decideUpdates(isPackaged: boolean, updates: Updates): UpdatesDecision {
  // A development build has no signed installer to compare with, and no app-update.yml.
  if (!isPackaged) return { enabled: false, reason: 'not_packaged' };
  if (!updates.enabled) return { enabled: false, reason: 'disabled_by_policy' };
  if (!updates.feedUrl) return { enabled: false, reason: 'no_feed_url' };
  let url: URL;
  try {
    url = new URL(updates.feedUrl);
  } catch {
    return { enabled: false, reason: 'feed_not_https' };
  }
  if (url.protocol !== 'https:') return { enabled: false, reason: 'feed_not_https' };
  return { enabled: true, feedUrl: updates.feedUrl };
}

/** What may be logged of an updater error: its code (e.g. ERR_UPDATER_INVALID_SIGNATURE) and class. */
function errorFields(error: unknown): { code: string; errorName: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return { code: typeof code === 'string' ? code : 'unknown', errorName: errorName(error) };
}

function configure(feedUrl: string, logger: Logger): AppUpdater {
  // The autoUpdater getter builds the platform's updater (NSIS, Squirrel.Mac, AppImage or deb).
  const updater = electronUpdater.autoUpdater;
  // electron-updater's own log lines are free text (paths, URLs, raw signature dumps) and would
  // bypass the redacting logger; the events below say what happened instead.
  updater.logger = null;
  updater.autoDownload = false;
  updater.autoInstallOnAppQuit = false;
  updater.allowDowngrade = false;
  updater.forceDevUpdateConfig = false;
  updater.setFeedURL({ provider: 'generic', url: feedUrl });

  // ERR_UPDATER_INVALID_SIGNATURE is what a wrongly signed Windows update gives.
  updater.on('error', (error: Error) => logger.log('error', 'updates.error', errorFields(error)));
  updater.on('update-available', (info: UpdateInfo) => logger.log('info', 'updates.available', { to: info.version }));
  updater.on('update-not-available', () => logger.log('info', 'updates.none'));

  return updater;
}

/**
 * Configures electron-updater from the policy and checks the feed once, or does nothing.
 * Returns the configured updater (for the app to download and install later), or null.
 */
export function startUpdates(options: { updates: Updates; logger: Logger }): AppUpdater | null {
  const { logger } = options;
  const decision = decideUpdates(app.isPackaged, options.updates);
  if (!decision.enabled) {
    logger.log('info', 'updates.off', { reason: decision.reason });
    return null;
  }

  let updater: AppUpdater;
  try {
    updater = configure(decision.feedUrl, logger);
  } catch (error) {
    // An updater that cannot be set up must not stop the app clinicians are working in.
    logger.log('error', 'updates.error', errorFields(error));
    return null;
  }

  logger.log('info', 'updates.on', { url: decision.feedUrl });
  // Only asks the feed (latest*.yml); with autoDownload off nothing is fetched beyond that. A
  // failure is emitted as 'error' too (logged above), so the rejection is only kept from going
  // unhandled.
  updater.checkForUpdates().catch(() => undefined);
  return updater;
}
