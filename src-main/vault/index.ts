/**
 * The vault: the workstation's encrypted cache (SQLCipher, key in the OS keychain, IT escrow).
 * The ground floor of the core's data: it knows no capability; each capability brings its own
 * tables as migrations and its own SQL over the connection it gets here.
 */
export {
  openVault,
  openVaultReadOnly,
  keychainHoldsKey,
  checkVault,
  asDiskFull,
  eraseVault,
  recoverVault,
  prepareVaultRecovery,
  releaseAndRemove,
  type ReadOnlyVault,
  type Vault,
  type VaultOptions,
} from './vault.ts';
export { acquireOwnerLock, type OwnerLock } from './owner-lock.ts';
export { VaultError, vaultErrorGuide } from './errors.ts';
export { runMigrations, schemaVersion, type Migration } from './migrations.ts';
export {
  afterDurableCommit,
  durably,
  enterRollbackJournal,
  openDatabase,
  storageFailure,
  withRollbackJournal,
  type Database,
} from './sqlcipher.ts';
export {
  EscrowKeyError,
  escrowIsIntact,
  escrowTagFile,
  writeEscrow,
  sealForRecoveryKey,
  openSealed,
  parseRecoveryPublicKey,
  recoveryKeyThumbprint,
  unwrapCacheKey,
  wrapCacheKey,
} from './escrow.ts';
export { vaultFiles, type VaultFiles } from './files.ts';
export { cipherSettings, fileHeaderEncrypted, type CipherSettings } from './cipher-settings.ts';
export { createKeytarKeyStore, KEYCHAIN_SERVICE } from './keytar-key-store.ts';
export { salvageRows, type SalvageCount, type SalvageTable } from './salvage.ts';
