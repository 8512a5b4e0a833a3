import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normalizePem } from '../../src-main/vault/escrow.ts';
import { loadManagedPolicy, PolicyError, type PolicyReadPorts } from '../../src-main/policy/load.ts';
import { POLICY_SETTINGS, policyFromSettings } from '../../src-main/policy/settings.ts';
import { POLICY_LOCATIONS } from '../../src-shared/policy/locations.ts';

const CENTRAL = {
  fhirBaseUrl: 'https://fhir.clinic.example/R4',
  issuer: 'https://login.clinic.example',
  clientId: 'clinic-workstation',
  roleMap: { 'ws-physician': 'physician', 'ws-nurse': 'nurse' },
};

function ports(files: Record<string, string>, extra: Partial<PolicyReadPorts> = {}): PolicyReadPorts {
  // The OS file as root would install it (owner and mode are policy-trust.test.ts's, on real files).
  const readOwned = (file: string) =>
    files[file] === undefined ? null : { text: files[file], uid: 0, mode: 0o100644 };
  return { platform: 'linux', isPackaged: true, env: {}, readFile: (file) => files[file] ?? null, readOwned, ...extra };
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

describe('managed policy loader', () => {
  it('reads /etc/clinic-workstation/policy.json on Linux; settings IT left out take their documented defaults', () => {
    const loaded = loadManagedPolicy(
      ports({ [POLICY_LOCATIONS.linuxFile]: JSON.stringify({ central: CENTRAL, lock: { idleSeconds: 120 } }) }),
    );
    expect(loaded.source).toBe(POLICY_LOCATIONS.linuxFile);
    expect(loaded.policy.lock).toEqual({ idleSeconds: 120, warningSeconds: 30 });
    expect(loaded.policy.central?.allowLoopbackHttp).toBe(false);
  });

  it('fails closed, naming the setting and the file: unknown, wrong type, out of range, not JSON, missing', () => {
    const file = POLICY_LOCATIONS.linuxFile;
    const cases: [string, RegExp][] = [
      [JSON.stringify({ lock: { idleSecs: 60 } }), /lock\.idleSecs: not a setting this version knows/],
      [JSON.stringify({ telemetry: true }), /telemetry: not a setting this version knows/],
      [JSON.stringify({ lock: { idleSeconds: '60' } }), /lock\.idleSeconds: /],
      [JSON.stringify({ lock: { idleSeconds: 5 } }), /lock\.idleSeconds: Too small/],
      [JSON.stringify({ central: { ...CENTRAL, issuer: 'ftp://login.clinic.example' } }), /central\.issuer/],
      ['{ "lock": ', /not valid JSON/],
    ];
    for (const [text, message] of cases) {
      const error = failure(() => loadManagedPolicy(ports({ [file]: text })));
      expect(error.code).toBe('POLICY_INVALID');
      expect(error.message).toContain(file);
      expect(error.message).toMatch(message);
    }
    const missing = failure(() => loadManagedPolicy(ports({})));
    expect(missing.code).toBe('POLICY_MISSING');
    expect(missing.message).toContain(file);
  });

  it('reads Group Policy registry values on Windows: numbers, booleans as 0/1, lists and maps as JSON text', () => {
    const loaded = loadManagedPolicy(
      ports(
        {},
        {
          platform: 'win32',
          env: { ProgramData: 'C:\\ProgramData' },
          readManagedSettings: () => ({
            'central.fhirBaseUrl': CENTRAL.fhirBaseUrl,
            'central.issuer': CENTRAL.issuer,
            'central.clientId': CENTRAL.clientId,
            'central.roleMap': JSON.stringify(CENTRAL.roleMap),
            'lock.idleSeconds': 240,
            'updates.enabled': 0,
            'breakGlass.roles': '["physician"]',
          }),
        },
      ),
    );
    expect(loaded.source).toBe('the registry (Group Policy)');
    expect(loaded.policy.central?.roleMap).toEqual(CENTRAL.roleMap);
    expect(loaded.policy.lock.idleSeconds).toBe(240);
    expect(loaded.policy.updates.enabled).toBe(false);
    expect(loaded.policy.breakGlass.roles).toEqual(['physician']);
  });

  it('refuses bad registry values by name, and a policy set in two places', () => {
    const win = (settings: Record<string, string | number | boolean>, files: Record<string, string> = {}) =>
      ports(files, { platform: 'win32', env: { ProgramData: 'C:\\ProgramData' }, readManagedSettings: () => settings });
    expect(failure(() => loadManagedPolicy(win({ 'central.roleMap': '{not json' }))).message).toMatch(
      /central\.roleMap: is not valid JSON/,
    );
    expect(failure(() => loadManagedPolicy(win({ 'lock.idleMinutes': 5 }))).message).toMatch(
      /lock\.idleMinutes: not a setting/,
    );
    const both = failure(() =>
      loadManagedPolicy(win({ 'lock.idleSeconds': 60 }, { 'C:\\ProgramData\\ClinicWorkstation\\policy.json': '{}' })),
    );
    expect(both.code).toBe('POLICY_AMBIGUOUS');
  });

  it('checks the IT recovery key is a usable key, and accepts it as a one-line registry string', () => {
    const file = POLICY_LOCATIONS.linuxFile;
    const { publicKey } = generateKeyPairSync('x25519');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(
      loadManagedPolicy(ports({ [file]: JSON.stringify({ vault: { recoveryPublicKeyPem: pem } }) })).policy.vault
        .recoveryPublicKeyPem,
    ).toBe(pem);
    const oneLine = pem.replace(/\n/g, ' ');
    const fromRegistry = loadManagedPolicy(
      ports({}, { platform: 'win32', env: {}, readManagedSettings: () => ({ 'vault.recoveryPublicKeyPem': oneLine }) }),
    );
    expect(createPublicKey(normalizePem(fromRegistry.policy.vault.recoveryPublicKeyPem!)).equals(publicKey)).toBe(true);
    const weak = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    for (const bad of ['-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----', weak]) {
      const error = failure(() =>
        loadManagedPolicy(ports({ [file]: JSON.stringify({ vault: { recoveryPublicKeyPem: bad } }) })),
      );
      expect(error.message).toMatch(/vault\.recoveryPublicKeyPem: /);
    }
  });

  it('takes a development file only when the app is not packaged', () => {
    const dev = '/home/dev/policy.json';
    expect(
      loadManagedPolicy(ports({ [dev]: '{}' }, { isPackaged: false, env: { CLINIC_POLICY_FILE: dev } })).source,
    ).toBe(dev);
    expect(
      failure(() => loadManagedPolicy(ports({ [dev]: '{}' }, { isPackaged: true, env: { CLINIC_POLICY_FILE: dev } })))
        .code,
    ).toBe('POLICY_AMBIGUOUS');
  });

  it('names every setting of the schema, each with the kind the registry holds it as', () => {
    const byName = Object.fromEntries(POLICY_SETTINGS.map((s) => [s.name, s.kind]));
    expect(byName).toMatchObject({
      'central.fhirBaseUrl': 'string',
      'central.roleMap': 'json',
      'central.tlsPins': 'json',
      'central.allowLoopbackHttp': 'boolean',
      'lock.idleSeconds': 'number',
      'breakGlass.reasons': 'json',
      'updates.enabled': 'boolean',
      'audit.retentionDays': 'number',
      'vault.recoveryPublicKeyPem': 'string',
    });
    expect(policyFromSettings({ 'a.b.c': 1 })).toEqual({ 'a.b.c': {} });
  });
});
