/**
 * Electron's fuses as they are in the packaged binary (build/after-pack.mjs flips them): read
 * from the fuse wire after its sentinel, as @electron/fuses reads it (a build-time tool that is
 * not shipped, so the few bytes are read here). Each fuse byte is '0' off, '1' on, 'r' removed.
 */
import fs from 'node:fs';
import path from 'node:path';

const SENTINEL = Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX');
/** FuseV1Options, in wire order. */
const FUSES = [
  'RunAsNode',
  'EnableCookieEncryption',
  'EnableNodeOptionsEnvironmentVariable',
  'EnableNodeCliInspectArguments',
  'EnableEmbeddedAsarIntegrityValidation',
  'OnlyLoadAppFromAsar',
  'LoadBrowserProcessSpecificV8Snapshot',
  'GrantFileProtocolExtraPrivileges',
  'WasmTrapHandlers',
] as const;

/** What PRODUCT.md capability 9 asks for (build/after-pack.mjs sets exactly these). */
export const REQUIRED_FUSES: Readonly<Record<string, 'on' | 'off'>> = {
  RunAsNode: 'off',
  EnableCookieEncryption: 'on',
  EnableNodeOptionsEnvironmentVariable: 'off',
  EnableNodeCliInspectArguments: 'off',
  EnableEmbeddedAsarIntegrityValidation: 'on',
  OnlyLoadAppFromAsar: 'on',
  GrantFileProtocolExtraPrivileges: 'off',
};

const STATES: Readonly<Record<number, string>> = { 0x30: 'off', 0x31: 'on', 0x72: 'removed' };

/** The fuse states in a binary's bytes; null when it has no fuse wire. */
export function fusesInWire(bytes: Buffer): Record<string, string> | null {
  const at = bytes.indexOf(SENTINEL);
  if (at < 0) return null;
  const start = at + SENTINEL.length;
  const version = bytes[start];
  const length = bytes[start + 1] ?? 0;
  if (version !== 1) return { wire: `unknown version ${String(version)}` };
  const fuses: Record<string, string> = {};
  for (let i = 0; i < length && start + 2 + i < bytes.length; i++)
    fuses[FUSES[i] ?? `fuse${i}`] = STATES[bytes[start + 2 + i]!] ?? 'unknown';
  return fuses;
}

/** The file holding the fuse wire: on macOS the Electron Framework inside the app bundle. */
export function fuseFileOf(execPath: string): string {
  const bundle = /^(.*\.app)[\\/]Contents[\\/]MacOS[\\/]/.exec(execPath);
  return bundle
    ? path.join(bundle[1]!, 'Contents', 'Frameworks', 'Electron Framework.framework', 'Electron Framework')
    : execPath;
}

/** Reads the binary in 4 MiB chunks (it is 100+ MB), overlapping so a sentinel across two is found. */
export function readFuses(execPath: string): Record<string, string> | null {
  const fd = fs.openSync(fuseFileOf(execPath), 'r');
  try {
    const chunk = 4 * 1024 * 1024;
    const overlap = SENTINEL.length + 2 + 255; // the header and the longest wire one byte can count
    const buffer = Buffer.alloc(chunk + overlap);
    for (let position = 0; ; position += chunk) {
      const read = fs.readSync(fd, buffer, 0, buffer.length, position);
      if (read === 0) return null;
      const found = fusesInWire(buffer.subarray(0, read));
      if (found) return found;
      if (read < buffer.length) return null;
    }
  } finally {
    fs.closeSync(fd);
  }
}
