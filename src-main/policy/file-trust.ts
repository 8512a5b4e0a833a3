import fs from 'node:fs';

/**
 * Who may change the managed policy file (issue 17, "Policy trust"). The policy sets the central
 * address, the lock timers and the break-glass rules: whoever can write the file can point the
 * workstation at another server or switch the lock off. On Linux and macOS it must therefore be
 * owned by root and writable by nobody else; a file that is not is refused (fail closed), naming
 * the file, its owner and its mode, so IT can put it right. Windows keeps ACLs, not modes, and is
 * not checked here (the IT guide says so).
 */
export interface OwnedFile {
  text: string;
  /** The owner's user id and the mode bits of the file that was read (after symbolic links). */
  uid: number;
  mode: number;
}

/**
 * Reads a file and its owner and mode from the one open descriptor (fstat on what was read, so
 * the file cannot be swapped between the check and the read). Null when it does not exist.
 */
export function readFileWithOwner(file: string): OwnedFile | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
    return { text: fs.readFileSync(fd, 'utf8'), uid: stat.uid, mode: stat.mode };
  } finally {
    fs.closeSync(fd);
  }
}

/** Why a policy file may not be trusted, in words for IT; null when it may. */
export function policyFileDistrust(platform: NodeJS.Platform, owned: Pick<OwnedFile, 'uid' | 'mode'>): string | null {
  if (platform !== 'linux' && platform !== 'darwin') return null;
  const problems: string[] = [];
  if (owned.uid !== 0) problems.push(`owned by uid ${owned.uid}, not root`);
  const writable = [owned.mode & 0o020 ? 'group' : null, owned.mode & 0o002 ? 'others' : null].filter(Boolean);
  if (writable.length > 0) problems.push(`writable by ${writable.join(' and ')}`);
  return problems.length > 0 ? problems.join(' and ') : null;
}

/** The permission bits as IT types them for chmod: 0644. */
export function modeText(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}
