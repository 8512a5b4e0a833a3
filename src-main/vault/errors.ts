import type { VaultErrorCode } from '../../src-shared/vault/status.ts';

/**
 * A typed reason the vault refused to open or operate. The message is for IT and never holds PHI
 * (it names files and keychain entries, never contents). Every case fails closed.
 */
export class VaultError extends Error {
  override readonly name = 'VaultError';
  constructor(
    readonly code: VaultErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What IT sees on the error screen and from `ws status`: what happened, and what to do. */
export const vaultErrorGuide: Readonly<Record<VaultErrorCode, { title: string; action: string }>> = {
  KEYCHAIN_UNAVAILABLE: {
    title: 'The OS keychain could not be reached, so the encrypted cache stays closed.',
    action:
      'Check that the keychain service is running for this user (Windows Credential Manager, macOS Keychain, or the Secret Service on Linux) and restart the app.',
  },
  KEY_MISSING: {
    title: 'The encrypted cache exists but its key is missing from the OS keychain.',
    action:
      'Do not delete the cache: it may hold changes that were not synced and audit entries not yet shipped. If the keychain was reset (a new, empty keyring), the entry may still be in the old one: restore it from the user profile backup. Otherwise recover the key with the IT recovery private key (`ws vault recover --private-key <file>`).',
  },
  DATABASE_MISSING: {
    title: 'The key for this cache is in the keychain, but the cache file is missing.',
    action:
      'Restore the cache file from the machine backup. Only if there is none, and what the cache held is accounted for, reset the workstation with `ws vault wipe --discard-unsynced`, which removes what is left so a new cache can be created.',
  },
  WRONG_KEY: {
    title: 'The key in the OS keychain does not open the encrypted cache.',
    action:
      'The keychain entry was replaced or belongs to another cache. Recover the right key with `ws vault recover --private-key <file>`; do not delete the cache, which may hold unsynced changes.',
  },
  CORRUPT: {
    title: 'The encrypted cache file is damaged.',
    action:
      'Keep the cache folder as it is (copy it for investigation): it may hold changes that were not synced and audit entries not yet shipped. Save what can still be read with `ws vault salvage --out <file>` (sealed for the IT recovery key) before anything else, then contact support. Nothing was changed.',
  },
  SCHEMA_TOO_NEW: {
    title: 'The cache was written by a newer version of the app than this one.',
    action:
      'Install the newer version of Clinic Workstation; this version will not touch the cache to avoid damaging it.',
  },
  IN_USE: {
    title: 'Another Clinic Workstation process is using this cache, so this one leaves it alone.',
    action:
      'Close the other window or command (the details name its process) and try again. Only one app or IT command may use a cache at a time; nothing was changed.',
  },
  ROLLED_BACK: {
    title:
      'The cache is older than its audit trail says it should be: audit entries, and perhaps changes, are missing.',
    action:
      'Do not use the cache until you know why (a backup put back, damage after a crash, tampering); this was recorded in the audit trail. Restore the right copy of the cache folder if there is one. To go on with the cache as it is, `ws audit accept-rollback --yes` records the loss and lets the app start.',
  },
  DISK_FULL: {
    title: 'The disk holding the encrypted cache is full. Nothing stored was lost; the cache is whole.',
    action:
      'Free disk space on this machine (or ask IT to): the app opens the cache by itself once there is room (it tries every 10 seconds), and a `ws` command can simply be run again. Do not delete or wipe the cache: it is not damaged, and it may hold changes not yet synced.',
  },
  WIPED: {
    title: 'This workstation was wiped by IT.',
    action:
      'Its encrypted cache and both keys were destroyed on an order from central; nothing of it can be recovered on this machine. To use the machine again, IT re-enrolls it with `ws enroll` (a new, empty cache, a new workstation id).',
  },
  ESCROW_FAILED: {
    title: 'The cache key could not be wrapped for the IT recovery key named in policy.',
    action:
      'Check the recovery public key in policy (RSA of at least 3072 bits or X25519, PEM); the cache was not created.',
  },
};
