import type { PolicySettingView } from '../../src-shared/ipc/contract.ts';
import type { CacheScope, Policy } from '../../src-shared/policy/schema.ts';
import { POLICY_SETTINGS } from './settings.ts';

/**
 * The policy in force in words for the settings screen (issue 16: "Settings is a list of dotted
 * keys and JSON"): each setting grouped, with a short label, the schema's own description, its
 * value in units ("5 minutes", "64 MiB", "On"), and whether it is the built-in default or was
 * changed by the policy. The recovery public key is said as set or not (a PEM block helps nobody
 * on screen); nothing here is secret or PHI.
 */
/** Each section's group, in the order the screen shows them (what a clinician meets first). */
const GROUPS: Readonly<Record<string, string>> = {
  lock: 'Lock',
  identity: 'Sign-in',
  breakGlass: 'Break-glass',
  central: 'Sync and central',
  cache: 'Cache',
  audit: 'Audit',
  alerts: 'Alerts',
  drafts: 'Drafts',
  vault: 'Encryption and escrow',
  updates: 'Updates',
};

const SECTION_ORDER = Object.keys(GROUPS);

const LABELS: Readonly<Record<string, string>> = {
  'vault.recoveryPublicKeyPem': 'IT recovery key (escrow)',
  'identity.pinMinLength': 'Shortest PIN',
  'identity.pinMaxFailures': 'Wrong PINs before a full sign-in',
  'identity.offlineSignInHours': 'PIN sign-in after the last full sign-in',
  'identity.maxSessionHours': 'Longest session',
  'lock.idleSeconds': 'Lock after idle',
  'lock.warningSeconds': '"Locking soon" warning',
  'central.fhirBaseUrl': 'FHIR API address',
  'central.issuer': 'Identity provider',
  'central.clientId': 'Client id',
  'central.scope': 'Scopes',
  'central.roleClaim': 'Role claim',
  'central.tlsPins': 'TLS key pins',
  'central.allowLoopbackHttp': 'Plain HTTP to this machine',
  'central.maxResponseMiB': 'Largest answer read',
  'central.maxResourceMiB': 'Largest resource kept',
  'central.maxAttachmentKiB': 'Largest attachment kept in the cache',
  'central.maxPagesPerType': 'Pages per type in one round',
  'central.roleMap': 'Role mapping',
  'breakGlass.roles': 'Roles that may use it',
  'breakGlass.reasons': 'Reasons offered',
  'breakGlass.minJustificationLength': 'Shortest justification',
  'breakGlass.durationMinutes': 'Access lasts',
  'breakGlass.endAfterLockedMinutes': 'Ends when locked for',
  'breakGlass.alertThresholdPerShift': 'Alert after grants per shift',
  'breakGlass.shiftHours': 'Shift length',
  'audit.retentionDays': 'Keep shipped entries for',
  'alerts.chartOpensMax': 'Alert after charts opened',
  'alerts.chartOpensWindowMinutes': 'Chart opens counted over',
  'alerts.failedAuthMax': 'Alert after failed sign-ins',
  'alerts.failedAuthWindowMinutes': 'Failed sign-ins counted over',
  'alerts.familyName': 'Alert on a shared family name',
  'drafts.expiryHours': 'Keep unsaved drafts for',
  'cache.retentionDays': 'Keep records for',
  'cache.maxOfflineDays': 'Longest time without central',
  'cache.scope': 'Patients kept on this workstation',
  'updates.enabled': 'Updates',
  'updates.feedUrl': 'Update feed',
};

const ROLE_WORDS: Readonly<Record<string, string>> = {
  physician: 'Physician',
  nurse: 'Nurse',
  frontDesk: 'Front desk',
  privacyOfficer: 'Privacy officer',
  itAdmin: 'IT administrator',
};

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** A number in the unit its name carries (idleSeconds, maxResponseMiB, pinMinLength, ...). */
function numberInWords(field: string, n: number): string {
  if (field.endsWith('Seconds'))
    return n % 60 === 0
      ? plural(n / 60, 'minute')
      : n > 60
        ? `${plural(n, 'second')} (${Math.floor(n / 60)} min ${n % 60} s)`
        : plural(n, 'second');
  if (field.endsWith('Minutes')) return n % 60 === 0 && n >= 60 ? plural(n / 60, 'hour') : plural(n, 'minute');
  if (field.endsWith('Hours')) return n === 0 ? 'Never (0 hours)' : plural(n, 'hour');
  if (field.endsWith('Days'))
    return n % 365 === 0 ? `${plural(n, 'day')} (${plural(n / 365, 'year')})` : plural(n, 'day');
  if (field.endsWith('MiB')) return `${n} MiB`;
  if (field.endsWith('KiB')) return `${n} KiB`;
  if (field.endsWith('Length')) return plural(n, 'character');
  if (field === 'pinMaxFailures' || field === 'failedAuthMax') return plural(n, 'failure');
  if (field === 'chartOpensMax') return plural(n, 'chart');
  if (field === 'alertThresholdPerShift') return plural(n, 'grant');
  if (field === 'maxPagesPerType') return plural(n, 'page');
  return n.toLocaleString('en-US');
}

function valueInWords(name: string, field: string, value: unknown): string {
  if (name === 'vault.recoveryPublicKeyPem') return value === undefined ? 'Not set: no escrow' : 'Set';
  if (value === undefined) return 'Not set';
  if (typeof value === 'boolean') return value ? 'On' : 'Off';
  if (typeof value === 'number') return numberInWords(field, value);
  if (typeof value === 'string') return value;
  if (name === 'breakGlass.roles') {
    const roles = value as string[];
    return roles.length ? roles.map((r) => ROLE_WORDS[r] ?? r).join(', ') : 'Nobody';
  }
  if (name === 'breakGlass.reasons')
    return (value as { code: string; display: string }[]).map((r) => `${r.display} (${r.code})`).join('; ');
  if (name === 'central.tlsPins') {
    const pins = value as string[];
    return pins.length ? `${plural(pins.length, 'pin')}: ${pins.join(', ')}` : 'None: the OS trust store alone decides';
  }
  if (name === 'central.roleMap')
    return Object.entries(value as Record<string, string>)
      .map(([claim, role]) => `${claim} → ${ROLE_WORDS[role] ?? role}`)
      .join('; ');
  if (name === 'cache.scope') return scopeInWords(value as CacheScope);
  return JSON.stringify(value);
}

/** Which patients the cache keeps (cache.scope), as IT would say it. */
function scopeInWords(scope: CacheScope): string {
  if (scope.kind === 'all') return 'All patients central holds';
  const most = `at most ${plural(scope.maxMembers, 'patient')}`;
  switch (scope.kind) {
    case 'group':
      return `The members of Group ${scope.group} at central (${most})`;
    case 'careTeam':
      return `The patients of the active care teams of ${plural(scope.practitioners.length, 'practitioner')}: ${scope.practitioners.join(', ')} (${most})`;
    case 'organization':
      return `The patients Organization ${scope.organization} manages, records marked inactive left out (${most})`;
    case 'location':
      return `The patients of encounters at Location ${scope.location} in the last ${plural(scope.withinDays, 'day')}, in progress or planned (${most})`;
  }
}

/** A name not given words above, said as words ("maxOfflineDays" → "Max offline days"). */
function words(camel: string): string {
  const spaced = camel.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

const fieldOf = (policy: Policy, section: string, field: string): unknown =>
  (policy[section as keyof Policy] as Record<string, unknown> | undefined)?.[field];

/**
 * Every setting of the schema in force (a `central` section only once IT has named one), group by
 * group in GROUPS' order, each group in the schema's order.
 */
export function describePolicy(policy: Policy): PolicySettingView[] {
  // A section not named in GROUPS yet goes last, under its own name, rather than nowhere.
  const rank = (name: string) => {
    const at = SECTION_ORDER.indexOf(name.split('.')[0]!);
    return at < 0 ? SECTION_ORDER.length : at;
  };
  const ordered = [...POLICY_SETTINGS].sort((a, b) => rank(a.name) - rank(b.name));
  return ordered.flatMap(({ name, description, default: fallback }) => {
    const [section, field] = name.split('.') as [string, string];
    if (policy[section as keyof Policy] === undefined) return [];
    const value = fieldOf(policy, section, field);
    return [
      {
        name,
        group: GROUPS[section] ?? words(section),
        label: LABELS[name] ?? words(field),
        description,
        value: valueInWords(name, field, value),
        isDefault: fallback !== undefined && JSON.stringify(value) === JSON.stringify(fallback.value),
      },
    ];
  });
}
