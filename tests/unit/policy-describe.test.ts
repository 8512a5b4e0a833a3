/**
 * Settings in words (issue 16): every setting of the schema is shown with a label, the schema's
 * own description, its value in units and words, its group, and whether it is the built-in
 * default; never a bare dotted key with JSON.
 */
import { describe, expect, it } from 'vitest';
import { describePolicy } from '../../src-main/policy/describe.ts';
import { POLICY_SETTINGS } from '../../src-main/policy/settings.ts';
import { Policy } from '../../src-shared/policy/schema.ts';

const central = {
  fhirBaseUrl: 'https://fhir.clinic.example/R4',
  issuer: 'https://id.clinic.example',
  clientId: 'clinic-workstation',
  roleMap: { 'ward-physician': 'physician', 'it-staff': 'itAdmin' },
} as const;

const byName = (policy: Policy) => new Map(describePolicy(policy).map((s) => [s.name, s]));

describe('describePolicy', () => {
  it('gives every setting a label, the description from the schema and a group', () => {
    const settings = describePolicy(Policy.parse({ central, vault: {} }));
    expect(new Set(settings.map((s) => s.name))).toEqual(new Set(POLICY_SETTINGS.map((s) => s.name)));
    for (const s of settings) {
      expect(s.label, s.name).not.toBe(s.name);
      expect(s.label, s.name).not.toMatch(/^[a-z]+\.[a-zA-Z]+$/);
      expect(s.description.length, s.name).toBeGreaterThan(10);
      expect(s.group, s.name).toMatch(/^[A-Z]/);
    }
    // Each group's settings come together (the screen shows one table per group), Lock first.
    const order = settings.map((s) => s.group).filter((g, i, all) => i === 0 || all[i - 1] !== g);
    expect(order).toEqual([...new Set(order)]);
    const known = ['Lock', 'Sign-in', 'Break-glass', 'Sync and central', 'Cache', 'Audit', 'Alerts'];
    expect(order.filter((g) => known.includes(g))).toEqual(known);
    expect(order.slice(-2)).toEqual(['Encryption and escrow', 'Updates']);
  });

  it('says the defaults in words and units, marked as defaults', () => {
    const s = byName(Policy.parse({}));
    expect(s.get('lock.idleSeconds')).toMatchObject({ value: '5 minutes', isDefault: true, group: 'Lock' });
    expect(s.get('lock.warningSeconds')).toMatchObject({ value: '30 seconds' });
    expect(s.get('identity.pinMinLength')).toMatchObject({ value: '6 characters', group: 'Sign-in' });
    expect(s.get('identity.offlineSignInHours')).toMatchObject({ value: '72 hours' });
    expect(s.get('breakGlass.durationMinutes')).toMatchObject({ value: '1 hour', group: 'Break-glass' });
    expect(s.get('breakGlass.endAfterLockedMinutes')).toMatchObject({ value: '15 minutes' });
    expect(s.get('breakGlass.roles')).toMatchObject({ value: 'Physician, Nurse' });
    expect(s.get('breakGlass.reasons')?.value).toContain('Emergency treatment (ETREAT)');
    expect(s.get('audit.retentionDays')).toMatchObject({ value: '2,190 days (6 years)', group: 'Audit' });
    expect(s.get('cache.maxOfflineDays')).toMatchObject({ value: '7 days', group: 'Cache' });
    expect(s.get('alerts.familyName')).toMatchObject({ value: 'On', group: 'Alerts' });
    expect(s.get('updates.enabled')).toMatchObject({ value: 'Off' });
    expect(s.get('vault.recoveryPublicKeyPem')).toMatchObject({ value: 'Not set: no escrow', isDefault: true });
    // No central section until IT names one: nothing to show for it.
    expect(s.has('central.fhirBaseUrl')).toBe(false);
    for (const setting of s.values()) expect(setting.value, setting.name).not.toMatch(/^[[{]/);
  });

  it('marks what the policy changed, and says lists and maps in words', () => {
    const s = byName(
      Policy.parse({
        central: { ...central, maxResponseMiB: 32 },
        lock: { idleSeconds: 900, warningSeconds: 45 },
        cache: { scope: { kind: 'group', group: 'clinic-panel' } },
        vault: { recoveryPublicKeyPem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VuAyEA\n-----END PUBLIC KEY-----' },
      }),
    );
    expect(s.get('lock.idleSeconds')).toMatchObject({ value: '15 minutes', isDefault: false });
    expect(s.get('lock.warningSeconds')).toMatchObject({ value: '45 seconds', isDefault: false });
    expect(s.get('central.maxResponseMiB')).toMatchObject({
      value: '32 MiB',
      isDefault: false,
      group: 'Sync and central',
    });
    expect(s.get('central.maxResourceMiB')).toMatchObject({ value: '16 MiB', isDefault: true });
    expect(s.get('central.maxAttachmentKiB')).toMatchObject({ value: '256 KiB' });
    expect(s.get('central.tlsPins')).toMatchObject({ value: 'None: the OS trust store alone decides' });
    expect(s.get('central.roleMap')).toMatchObject({
      value: 'ward-physician → Physician; it-staff → IT administrator',
    });
    expect(s.get('cache.scope')).toMatchObject({
      value: 'The members of Group clinic-panel at central (at most 20,000 patients)',
      isDefault: false,
      group: 'Cache',
    });
    expect(s.get('vault.recoveryPublicKeyPem')).toMatchObject({ value: 'Set', isDefault: false });
    expect(JSON.stringify([...s.values()])).not.toContain('BEGIN PUBLIC KEY');
  });

  it('says an organization or location scope in words', () => {
    const scope = (value: unknown) => byName(Policy.parse({ cache: { scope: value } })).get('cache.scope')?.value;
    expect(scope({ kind: 'organization', organization: 'org-0001' })).toBe(
      'The patients Organization org-0001 manages, records marked inactive left out (at most 20,000 patients)',
    );
    expect(scope({ kind: 'location', location: 'loc-0002', withinDays: 30, maxMembers: 5000 })).toBe(
      'The patients of encounters at Location loc-0002 in the last 30 days, in progress or planned (at most 5,000 patients)',
    );
    expect(scope({ kind: 'location', location: 'loc-0002', withinDays: 1 })).toMatch(/in the last 1 day,/);
  });
});
