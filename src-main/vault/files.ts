import path from 'node:path';

/** The files that make up one workstation cache, all inside the data directory. */
export interface VaultFiles {
  dataDir: string;
  /** The SQLCipher database. */
  db: string;
  /** SQLite's companions of the database; listed so erase and the plaintext tests cover them. */
  companions: string[];
  /** A new cache is built here and renamed into place, so a crash cannot leave a half-made cache. */
  staging: string;
  /** A key rotation writes the re-encrypted copy here, then renames it over the database. */
  rotation: string;
  /** HMAC of a constant under the key: tells "wrong key" from "damaged file" without the key. */
  keyCheck: string;
  /** The cache key wrapped for IT's recovery public key (JWE), when policy names one. */
  escrow: string;
  /** Escrow for the next key while a rotation is in flight. */
  escrowNext: string;
}

export function vaultFiles(dataDir: string): VaultFiles {
  const db = path.join(dataDir, 'cache.db');
  const staging = path.join(dataDir, 'cache.db.creating');
  const rotation = path.join(dataDir, 'cache.db.rekeying');
  return {
    dataDir,
    db,
    companions: ['-wal', '-shm', '-journal'].flatMap((suffix) => [db + suffix, staging + suffix, rotation + suffix]),
    staging,
    rotation,
    keyCheck: path.join(dataDir, 'cache.keycheck'),
    escrow: path.join(dataDir, 'cache.key-escrow.jwe'),
    escrowNext: path.join(dataDir, 'cache.key-escrow.next.jwe'),
  };
}
