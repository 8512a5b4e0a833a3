import { describe, expect, it } from 'vitest';
import {
  checkTransport,
  identityFromClaims,
  mapRole,
  parseFhirUser,
  parseRoleMap,
  parseSubject,
} from '../../src-main/identity/oidc-claims.ts';
import { isLoopbackHost } from '../../src-main/net/transport.ts';
import { OidcError } from '../../src-main/identity/oidc-errors.ts';

const roleMap = parseRoleMap({
  'clinic-physician': 'physician',
  'clinic-nurse': 'nurse',
  rn: 'nurse',
  reception: 'frontDesk',
});

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OidcError);
    return (error as OidcError).code;
  }
  return undefined;
}

describe('164.312(a)(1) role mapping', () => {
  it('maps a string or an array claim through the role map', () => {
    expect(mapRole('clinic-physician', roleMap)).toBe('physician');
    expect(mapRole(['clinic-nurse'], roleMap)).toBe('nurse');
    expect(mapRole(['clinic-nurse', 'rn'], roleMap)).toBe('nurse');
    expect(mapRole(['something-else', 'reception'], roleMap)).toBe('frontDesk');
  });

  it('never defaults: a missing, empty or unknown claim is NO_ROLE', () => {
    for (const claim of [undefined, null, '', [], ['admin'], 'physician', 42, { physician: true }, [7]]) {
      expect(codeOf(() => mapRole(claim, roleMap))).toBe('NO_ROLE');
    }
  });

  it('does not pick one of several roles', () => {
    expect(codeOf(() => mapRole(['clinic-physician', 'reception'], roleMap))).toBe('AMBIGUOUS_ROLE');
  });

  it('ignores inherited keys of the map', () => {
    expect(codeOf(() => mapRole(['toString', '__proto__', 'constructor'], roleMap))).toBe('NO_ROLE');
  });

  it('refuses a role map with values that are not workstation roles', () => {
    expect(codeOf(() => parseRoleMap({ admin: 'superuser' }))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseRoleMap(null))).toBe('INVALID_INPUT');
  });
});

describe('fhirUser parsing', () => {
  it('takes the id of a relative or same-server Practitioner reference', () => {
    expect(parseFhirUser('Practitioner/pr-123')).toBe('pr-123');
    expect(parseFhirUser('Practitioner/a.b-C9')).toBe('a.b-C9');
    expect(parseFhirUser('https://fhir.clinic.example/R4/Practitioner/pr-1', 'https://fhir.clinic.example/R4')).toBe(
      'pr-1',
    );
    expect(parseFhirUser('https://fhir.clinic.example/R4/Practitioner/pr-1', 'https://fhir.clinic.example/R4/')).toBe(
      'pr-1',
    );
  });

  it('no claim means no link', () => {
    expect(parseFhirUser(undefined)).toBeNull();
    expect(parseFhirUser(null)).toBeNull();
  });

  it('refuses other resource types, other servers and malformed ids', () => {
    for (const claim of [
      'Patient/p-1',
      'Practitioner/',
      'Practitioner',
      'Practitioner/a/b',
      'Practitioner/a b',
      'Practitioner/../x',
      `Practitioner/${'x'.repeat(65)}`,
      'PractitionerRole/r1',
      'https://evil.example/R4/Practitioner/pr-1',
      42,
      ['Practitioner/a'],
      'Practitioner/pr-1/_history/2',
    ]) {
      expect(
        codeOf(() => parseFhirUser(claim, 'https://fhir.clinic.example/R4')),
        String(claim),
      ).toBe('INVALID_IDENTITY');
    }
    expect(codeOf(() => parseFhirUser('https://fhir.clinic.example/R4/Practitioner/pr-1'))).toBe('INVALID_IDENTITY');
  });
});

describe('164.312(a)(2)(i) identity from claims', () => {
  const options = { roleClaim: 'groups', roleMap, fhirBaseUrl: 'https://fhir.clinic.example/R4' };

  it('builds the identity, falling back from name to username to sub for the display name', () => {
    expect(
      identityFromClaims(
        {
          sub: 'u-1',
          preferred_username: 'jdoe',
          name: 'Dr Jane Doe',
          groups: ['clinic-physician'],
          fhirUser: 'Practitioner/pr-9',
        },
        options,
      ),
    ).toEqual({
      userId: 'u-1',
      username: 'jdoe',
      displayName: 'Dr Jane Doe',
      role: 'physician',
      practitionerId: 'pr-9',
    });
    expect(identityFromClaims({ sub: 'u-2', groups: 'reception' }, options)).toEqual({
      userId: 'u-2',
      username: null,
      displayName: 'u-2',
      role: 'frontDesk',
      practitionerId: null,
    });
  });

  it('refuses a clinical role without a Practitioner, a bad subject, and a missing role', () => {
    expect(codeOf(() => identityFromClaims({ sub: 'u-1', groups: 'rn' }, options))).toBe('INVALID_IDENTITY');
    expect(codeOf(() => identityFromClaims({ sub: 'jane@example.com', groups: 'reception' }, options))).toBe(
      'INVALID_IDENTITY',
    );
    expect(
      codeOf(() =>
        identityFromClaims({ sub: 'u-1', roles: ['clinic-physician'], fhirUser: 'Practitioner/p' }, options),
      ),
    ).toBe('NO_ROLE');
    expect(codeOf(() => parseSubject(undefined))).toBe('INVALID_IDENTITY');
  });

  it('error messages carry no claim values', () => {
    try {
      identityFromClaims({ sub: 'u-secret-77', groups: ['weird-role-x'], fhirUser: 'Patient/pat-55' }, options);
    } catch (error) {
      expect((error as Error).message).not.toMatch(/u-secret-77|weird-role-x|pat-55/);
    }
  });
});

describe('transport', () => {
  it('allows https anywhere and http only to this machine', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('LOCALHOST')).toBe(true);
    expect(isLoopbackHost('127.0.0.1.nip.io')).toBe(false);
    expect(checkTransport('https://idp.clinic.example', 'issuer').hostname).toBe('idp.clinic.example');
    expect(checkTransport('http://127.0.0.1:4000', 'issuer', true).port).toBe('4000');
    expect(checkTransport('http://[::1]:4000', 'issuer', true).port).toBe('4000');
    // Loopback HTTP only when policy allows it for development.
    expect(codeOf(() => checkTransport('http://127.0.0.1:4000', 'issuer'))).toBe('INSECURE_ISSUER');
    expect(codeOf(() => checkTransport('http://idp.clinic.example', 'issuer', true))).toBe('INSECURE_ISSUER');
    expect(codeOf(() => checkTransport('http://localhost.evil.example', 'issuer', true))).toBe('INSECURE_ISSUER');
    expect(codeOf(() => checkTransport('ftp://127.0.0.1', 'issuer'))).toBe('INSECURE_ISSUER');
    expect(codeOf(() => checkTransport('not a url', 'issuer'))).toBe('INVALID_INPUT');
  });
});
