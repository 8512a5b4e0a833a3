import { z } from 'zod';

/** The five roles of PRODUCT.md; the identity provider's claim is mapped onto these by policy. */
export const Role = z.enum(['physician', 'nurse', 'frontDesk', 'privacyOfficer', 'itAdmin']);
export type Role = z.infer<typeof Role>;

/**
 * What a request may touch. Each IPC channel names exactly one permission; the router in the
 * main process decides, never the UI (45 CFR 164.312(a)(1), minimum necessary).
 */
export const Permission = z.enum([
  'patient.demographics.read',
  'patient.clinical.read',
  'patient.clinical.write',
  /** Asking for break-glass on one patient (policy may narrow the roles further). */
  'patient.emergencyAccess',
  'audit.read',
  /**
   * Deciding a clinician's change nobody else may now decide (a conflict whose patient its
   * clinician no longer has access to): it shows both versions of one record, so it is its own
   * permission, not audit.read's.
   */
  'conflicts.review',
  'workstation.admin',
]);
export type Permission = z.infer<typeof Permission>;

export const rolePermissions: Readonly<Record<Role, readonly Permission[]>> = Object.freeze({
  physician: [
    'patient.demographics.read',
    'patient.clinical.read',
    'patient.clinical.write',
    'patient.emergencyAccess',
  ],
  nurse: ['patient.demographics.read', 'patient.clinical.read', 'patient.clinical.write', 'patient.emergencyAccess'],
  frontDesk: ['patient.demographics.read'],
  privacyOfficer: ['audit.read', 'conflicts.review'],
  itAdmin: ['workstation.admin'],
});

export function roleHasPermission(role: Role, permission: Permission): boolean {
  return rolePermissions[role].includes(permission);
}
