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
      cache: { retentionDays: 90, maxOfflineDays: 7 },
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
    ];
    for (const [input, path] of cases) {
      const result = Policy.safeParse(input);
      expect(result.success, JSON.stringify(input)).toBe(false);
      expect(result.error!.issues[0]!.path.join('.')).toBe(path);
    }
  });
});
