import { describe, expect, it } from 'vitest';
import { Policy } from '../../src-shared/policy/schema.ts';

describe('policy schema', () => {
  it('fills every section with its documented defaults', () => {
    expect(Policy.parse({})).toEqual({
      vault: {},
      identity: { pinMinLength: 6, pinMaxFailures: 5, offlineSignInHours: 72, maxSessionHours: 12 },
      lock: { idleSeconds: 300, warningSeconds: 30 },
      breakGlass: {
        roles: ['physician', 'nurse'],
        reasons: [
          { code: 'ETREAT', display: 'Emergency treatment' },
          { code: 'BTG', display: 'Break the glass: urgent access for care' },
        ],
        minJustificationLength: 20,
        durationMinutes: 60,
        endAfterLockedMinutes: 15,
        alertThresholdPerShift: 3,
        shiftHours: 12,
      },
      audit: { retentionDays: 2190 },
      alerts: {
        chartOpensMax: 50,
        chartOpensWindowMinutes: 10,
        failedAuthMax: 4,
        failedAuthWindowMinutes: 15,
        familyName: true,
      },
      drafts: { expiryHours: 12 },
      cache: { retentionDays: 90, maxOfflineDays: 7, scope: { kind: 'all' } },
      updates: { enabled: false },
    });
  });

  it('refuses unknown fields, wrong types and out-of-range values, naming the field', () => {
    const cases: [unknown, string][] = [
      [{ lock: { idleSecs: 60 } }, 'lock'],
      [{ identity: { pinMinLength: 3 } }, 'identity.pinMinLength'],
      [{ identity: { pinMaxFailures: '5' } }, 'identity.pinMaxFailures'],
      [{ lock: { idleSeconds: 60, warningSeconds: 60 } }, 'lock.warningSeconds'],
      [{ vault: { recoveryPublicKeyPem: '' } }, 'vault.recoveryPublicKeyPem'],
      [{ telemetry: true }, ''],
      [{ breakGlass: { roles: ['frontDesk'] } }, 'breakGlass.roles.0'],
      [{ breakGlass: { reasons: [{ code: 'etreat', display: 'x' }] } }, 'breakGlass.reasons.0.code'],
      [{ breakGlass: { minJustificationLength: 2 } }, 'breakGlass.minJustificationLength'],
      [{ drafts: { expiryHours: 0 } }, 'drafts.expiryHours'],
      [{ drafts: { expiryHours: 49 } }, 'drafts.expiryHours'],
      [{ updates: { enabled: true } }, 'updates.feedUrl'],
      [{ updates: { feedUrl: 'http://updates.clinic.example/' } }, 'updates.feedUrl'],
      [{ cache: { scope: { kind: 'team' } } }, 'cache.scope.kind'],
      [{ cache: { scope: { kind: 'group' } } }, 'cache.scope.group'],
      [{ cache: { scope: { kind: 'group', group: 'clinic panel' } } }, 'cache.scope.group'],
      [{ cache: { scope: { kind: 'group', group: 'clinic-panel', maxMembers: 0 } } }, 'cache.scope.maxMembers'],
      [{ cache: { scope: { kind: 'all', group: 'clinic-panel' } } }, 'cache.scope'],
      [{ cache: { scope: { kind: 'careTeam', practitioners: [] } } }, 'cache.scope.practitioners'],
      [{ cache: { scope: { kind: 'careTeam', practitioners: ['Practitioner/x'] } } }, 'cache.scope.practitioners.0'],
      [{ cache: { scope: { kind: 'organization', organization: 'Organization/org-1' } } }, 'cache.scope.organization'],
      [{ cache: { scope: { kind: 'organization' } } }, 'cache.scope.organization'],
      [{ cache: { scope: { kind: 'location', location: 'loc-1', withinDays: 0 } } }, 'cache.scope.withinDays'],
      [{ cache: { scope: { kind: 'location', location: 'loc-1', withinDays: 3651 } } }, 'cache.scope.withinDays'],
      [{ cache: { scope: { kind: 'location', location: 'loc-1', withinDays: 1.5 } } }, 'cache.scope.withinDays'],
      [{ cache: { scope: { kind: 'location', location: 'loc 1' } } }, 'cache.scope.location'],
      [{ cache: { scope: { kind: 'organization', organization: 'org-1', withinDays: 30 } } }, 'cache.scope'],
    ];
    for (const [input, path] of cases) {
      const result = Policy.safeParse(input);
      expect(result.success, JSON.stringify(input)).toBe(false);
      expect(result.error!.issues[0]!.path.join('.')).toBe(path);
    }
  });

  it('takes a group, careTeam, organization or location scope with its bounds (cache.scope)', () => {
    expect(Policy.parse({ cache: { scope: { kind: 'group', group: 'clinic-panel' } } }).cache.scope).toEqual({
      kind: 'group',
      group: 'clinic-panel',
      maxMembers: 20_000,
    });
    expect(Policy.parse({ cache: { scope: { kind: 'careTeam', practitioners: ['prac-1'] } } }).cache.scope).toEqual({
      kind: 'careTeam',
      practitioners: ['prac-1'],
      maxMembers: 20_000,
    });
    expect(Policy.parse({ cache: { scope: { kind: 'organization', organization: 'org-1' } } }).cache.scope).toEqual({
      kind: 'organization',
      organization: 'org-1',
      maxMembers: 20_000,
    });
    expect(Policy.parse({ cache: { scope: { kind: 'location', location: 'loc-1' } } }).cache.scope).toEqual({
      kind: 'location',
      location: 'loc-1',
      withinDays: 365,
      maxMembers: 20_000,
    });
    expect(
      Policy.parse({ cache: { scope: { kind: 'location', location: 'loc-1', withinDays: 3650, maxMembers: 5 } } }).cache
        .scope,
    ).toMatchObject({ withinDays: 3650, maxMembers: 5 });
  });
});
