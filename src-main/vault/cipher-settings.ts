import fs from 'node:fs';
import type { Database } from './sqlcipher.ts';

/** SQLCipher's hmac_algorithm and kdf_algorithm numbers, as SQLite3 Multiple Ciphers reports them. */
const HMAC = ['HMAC-SHA1', 'HMAC-SHA256', 'HMAC-SHA512'] as const;

export interface CipherSettings {
  cipher: string;
  /** SQLCipher format version (4: AES-256-CBC, HMAC-SHA512, 4 KiB pages). */
  legacy: number;
  hmacAlgorithm: string;
  /** Every page is authenticated by its HMAC (SQLCipher's integrity for data at rest). */
  hmacUse: boolean;
  pageSize: number;
  /** Bytes at the start of the file left unencrypted (0: the whole file, header included). */
  plaintextHeaderSize: number;
  secureDelete: boolean;
}

/**
 * The cipher settings read back from the open database (not what the code meant to set): the
 * compliance report's evidence for encryption at rest.
 */
export function cipherSettings(db: Database): CipherSettings {
  const value = (pragma: string): string => String(db.pragma(pragma, { simple: true }));
  const hmac = Number(value('hmac_algorithm'));
  return {
    cipher: value('cipher'),
    legacy: Number(value('legacy')),
    hmacAlgorithm: HMAC[hmac] ?? `unknown (${hmac})`,
    hmacUse: value('hmac_use') === '1',
    pageSize: Number(value('page_size')),
    plaintextHeaderSize: Number(value('plaintext_header_size')),
    secureDelete: value('secure_delete') === '1',
  };
}

/** False when the file starts as a plaintext SQLite database does ("SQLite format 3\0"). */
export function fileHeaderEncrypted(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const header = Buffer.alloc(16);
    fs.readSync(fd, header, 0, 16, 0);
    return !header.equals(Buffer.from('SQLite format 3\0', 'latin1'));
  } finally {
    fs.closeSync(fd);
  }
}
