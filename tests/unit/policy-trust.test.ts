/**
 * Issue 17, "Policy trust": real policy files under a temporary folder, with real owners and modes
 * (the tests run as root, so chown and chmod work), read through the same reader the app and `ws`
 * use. On Linux and macOS a policy file not owned by root, or writable by group or others, is
 * refused, naming the file and its mode; a packaged app refuses central.allowLoopbackHttp.
 * Windows (ACLs) is out of reach here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManagedPolicy, PolicyError, type PolicyReadPorts } from '../../src-main/policy/load.ts';
import { readFileWithOwner } from '../../src-main/policy/file-trust.ts';
import { readIfExists } from '../../src-main/base/atomic-file.ts';
import { POLICY_LOCATIONS } from '../../src-shared/policy/locations.ts';

const CENTRAL = {
  fhirBaseUrl: 'https://fhir.clinic.example/R4',
  issuer: 'https://login.clinic.example',
  clientId: 'clinic-workstation',
  roleMap: { 'ws-physician': 'physician' },
};

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clinic-policy-trust-'));
  file = path.join(dir, 'policy.json');
  fs.writeFileSync(file, JSON.stringify({ central: CENTRAL }));
  fs.chownSync(file, 0, 0);
  fs.chmodSync(file, 0o644);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The OS's policy location, mapped to the temporary file; everything else is real. */
function ports(extra: Partial<PolicyReadPorts> = {}): PolicyReadPorts {
  const osFile = extra.platform === 'darwin' ? POLICY_LOCATIONS.macFile : POLICY_LOCATIONS.linuxFile;
  const real = (f: string) => (f === osFile ? file : f);
  return {
    platform: 'linux',
    isPackaged: true,
    env: {},
    readFile: (f) => readIfExists(real(f)),
    readOwned: (f) => readFileWithOwner(real(f)),
    ...extra,
  };
}

function failure(run: () => unknown): PolicyError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

describe('policy file owner and mode (Linux, macOS)', () => {
  it('a file owned by root, writable by root only, is read', () => {
    for (const mode of [0o644, 0o600, 0o640, 0o444]) {
      fs.chmodSync(file, mode);
      expect(loadManagedPolicy(ports()).policy.central?.clientId).toBe('clinic-workstation');
    }
  });

  it.each(['linux', 'darwin'] as const)(
    '%s: refuses a file not owned by root, naming the file, its owner and mode',
    (platform) => {
      fs.chownSync(file, 1000, 1000);
      const error = failure(() => loadManagedPolicy(ports({ platform })));
      expect(error.code).toBe('POLICY_UNTRUSTED');
      const osFile = platform === 'darwin' ? POLICY_LOCATIONS.macFile : POLICY_LOCATIONS.linuxFile;
      expect(error.source).toBe(osFile);
      expect(error.message).toContain(osFile);
      expect(error.message).toContain('0644');
      expect(error.message).toMatch(/uid 1000/);
    },
  );

  it.each([
    ['0664', 'group'],
    ['0646', 'others'],
    ['0666', 'group and others'],
    ['0777', 'group and others'],
  ])('refuses mode %s (writable by %s), naming the mode', (mode, who) => {
    fs.chmodSync(file, Number.parseInt(mode, 8));
    const error = failure(() => loadManagedPolicy(ports()));
    expect(error.code).toBe('POLICY_UNTRUSTED');
    expect(error.message).toContain(`mode ${mode}`);
    expect(error.message).toContain(`writable by ${who}`);
  });

  it('the check follows what was read: a symbolic link to a file someone else owns is refused', () => {
    const elsewhere = path.join(dir, 'theirs.json');
    fs.writeFileSync(elsewhere, JSON.stringify({ central: CENTRAL }));
    fs.chownSync(elsewhere, 1000, 1000);
    fs.rmSync(file);
    fs.symlinkSync(elsewhere, file);
    expect(failure(() => loadManagedPolicy(ports())).code).toBe('POLICY_UNTRUSTED');
  });

  it('Windows is not checked here (ACLs, not modes); the development file is not either', () => {
    fs.chownSync(file, 1000, 1000);
    fs.chmodSync(file, 0o666);
    const win = ports({
      platform: 'win32',
      env: { ProgramData: 'C:\\ProgramData' },
      readOwned: (f) =>
        f === path.win32.join('C:\\ProgramData', POLICY_LOCATIONS.windowsProgramDataFile)
          ? readFileWithOwner(file)
          : null,
    });
    expect(loadManagedPolicy(win).policy.central?.clientId).toBe('clinic-workstation');
    const dev = ports({ isPackaged: false, env: { CLINIC_POLICY_FILE: file } });
    expect(loadManagedPolicy(dev).source).toBe(file);
  });

  it('a missing file is still POLICY_MISSING, and an unreadable path POLICY_UNREADABLE', () => {
    fs.rmSync(file);
    expect(failure(() => loadManagedPolicy(ports())).code).toBe('POLICY_MISSING');
    fs.mkdirSync(file);
    expect(failure(() => loadManagedPolicy(ports())).code).toBe('POLICY_UNREADABLE');
  });
});

describe('loopback HTTP in a packaged app', () => {
  const loopback = { central: { ...CENTRAL, allowLoopbackHttp: true } };

  it('a packaged app refuses central.allowLoopbackHttp, naming the setting and the file', () => {
    fs.writeFileSync(file, JSON.stringify(loopback));
    const error = failure(() => loadManagedPolicy(ports()));
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.message).toContain('central.allowLoopbackHttp');
    expect(error.message).toContain(POLICY_LOCATIONS.linuxFile);
  });

  it('also from managed settings (registry, preferences)', () => {
    const error = failure(() =>
      loadManagedPolicy(
        ports({
          platform: 'win32',
          env: {},
          readOwned: () => null,
          readManagedSettings: () => ({
            'central.fhirBaseUrl': CENTRAL.fhirBaseUrl,
            'central.issuer': CENTRAL.issuer,
            'central.clientId': CENTRAL.clientId,
            'central.roleMap': JSON.stringify(CENTRAL.roleMap),
            'central.allowLoopbackHttp': true,
          }),
        }),
      ),
    );
    expect(error.message).toContain('central.allowLoopbackHttp');
  });

  it('an app that is not packaged (development, dev central) still may', () => {
    fs.writeFileSync(file, JSON.stringify(loopback));
    expect(loadManagedPolicy(ports({ isPackaged: false })).policy.central?.allowLoopbackHttp).toBe(true);
  });
});
