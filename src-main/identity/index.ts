/**
 * Identity: who a person is. OIDC sign-in and refresh at the clinic's provider, PINs (rules,
 * scrypt hashes, failures, lockout, the offline window), refresh tokens and the users known here.
 * Sessions (src-main/session) use these; nothing else reads identity's tables.
 */
export { identityMigrations } from './schema.ts';
export { PinError, type PinRuleReason } from './errors.ts';
export { OidcError } from './oidc-errors.ts';
export { signIn, type SignedInIdentity } from './oidc.ts';
export { checkOfflineSignIn, checkPin, pinStatus, recordFullSignIn, setPin, type PinCheckResult } from './pin-store.ts';
export { deleteRefreshToken, loadRefreshToken, refreshStoredSession, storeRefreshToken } from './tokens-store.ts';
export {
  displayNamesOf,
  findUserByUsername,
  knownUserById,
  practitionerIdOf,
  rememberUser,
  type KnownUser,
} from './user-store.ts';
