import type { Policy } from '../../src-shared/policy/schema.ts';
import { POLICY_SETTINGS } from './settings.ts';

/**
 * The policy in force as name/value text for the settings screen. The recovery public key is
 * shown as set or not (a PEM block helps nobody on screen); nothing here is secret or PHI.
 */
export function describePolicy(policy: Policy): { name: string; value: string }[] {
  return POLICY_SETTINGS.flatMap(({ name }) => {
    const [section, field] = name.split('.') as [keyof Policy, string];
    const sectionValue = policy[section] as Record<string, unknown> | undefined;
    if (sectionValue === undefined) return [];
    const value = sectionValue[field];
    if (value === undefined) return [];
    if (name === 'vault.recoveryPublicKeyPem') return [{ name, value: 'set' }];
    return [{ name, value: typeof value === 'string' ? value : JSON.stringify(value) }];
  });
}
