import { z } from 'zod';
import { Role } from '../../src-shared/access/roles.ts';
import { UserId } from './errors.ts';
import { OidcError } from './oidc-errors.ts';
import { isAllowedTransport } from '../net/index.ts';

/**
 * Pure parts of the sign-in: turning the ID token's claims into the workstation's identity.
 * Nothing here guesses: an unknown or missing role is refused, never defaulted; a fhirUser that
 * is not a well-formed Practitioner reference is refused.
 */

/** Claim value (as the provider spells it) -> workstation role. Set by policy. */
export type RoleMap = Readonly<Record<string, Role>>;

export const RoleMapSchema = z.record(z.string().min(1).max(128), Role);

export function parseRoleMap(value: unknown): RoleMap {
  const result = RoleMapSchema.safeParse(value);
  if (!result.success) throw new OidcError('INVALID_INPUT', 'The role map is not valid.');
  return Object.freeze({ ...result.data });
}

/**
 * The one role the claim maps to. The claim may be a string or an array of strings; values not in
 * the map are ignored, but at least one must map (NO_ROLE) and all that map must agree
 * (AMBIGUOUS_ROLE): a user is never given a role by default or by picking one of several.
 */
export function mapRole(claim: unknown, roleMap: RoleMap): Role {
  const values = typeof claim === 'string' ? [claim] : Array.isArray(claim) ? claim : [];
  const mapped = new Set<Role>();
  for (const value of values) {
    if (typeof value !== 'string' || !Object.hasOwn(roleMap, value)) continue;
    const role = roleMap[value];
    if (role !== undefined) mapped.add(role);
  }
  if (mapped.size === 0)
    throw new OidcError('NO_ROLE', 'The identity provider gave no role that this workstation knows.');
  if (mapped.size > 1)
    throw new OidcError('AMBIGUOUS_ROLE', 'The identity provider gave more than one workstation role.');
  const [role] = [...mapped];
  if (role === undefined)
    throw new OidcError('NO_ROLE', 'The identity provider gave no role that this workstation knows.');
  return role;
}

/** A FHIR resource id (FHIR R4: 1-64 of letters, digits, '-' and '.'). */
const FHIR_ID = /^[A-Za-z0-9.-]{1,64}$/;

/**
 * The Practitioner id of a SMART `fhirUser` claim: `Practitioner/<id>`, or the absolute form
 * `<fhirBaseUrl>/Practitioner/<id>` on this clinic's FHIR server. Undefined or null -> null (no
 * link); anything else malformed, another resource type or another server -> INVALID_IDENTITY.
 */
export function parseFhirUser(claim: unknown, fhirBaseUrl?: string): string | null {
  if (claim === undefined || claim === null) return null;
  const invalid = () =>
    new OidcError('INVALID_IDENTITY', 'The fhirUser claim is not a Practitioner reference of this clinic.');
  if (typeof claim !== 'string' || claim.length > 2048) throw invalid();
  let reference = claim;
  if (/^https?:\/\//i.test(claim)) {
    if (!fhirBaseUrl) throw invalid();
    const base = fhirBaseUrl.replace(/\/+$/, '');
    if (!claim.startsWith(`${base}/`)) throw invalid();
    reference = claim.slice(base.length + 1);
  }
  const match = /^Practitioner\/([^/]+)$/.exec(reference);
  const id = match?.[1];
  if (id === undefined || !FHIR_ID.test(id)) throw invalid();
  return id;
}

/** The user's id is the provider's `sub`, which must fit the app's user id shape. */
export function parseSubject(claim: unknown): string {
  const result = UserId.safeParse(claim);
  if (!result.success) throw new OidcError('INVALID_IDENTITY', 'The ID token has no usable subject.');
  return result.data;
}

function optionalText(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= 256 ? trimmed : null;
}

export interface IdentityClaims {
  userId: string;
  username: string | null;
  displayName: string;
  role: Role;
  practitionerId: string | null;
}

/** Roles that work with patients and so need a Practitioner to link them to their care teams. */
const CLINICAL_ROLES: ReadonlySet<Role> = new Set<Role>(['physician', 'nurse']);

/** The workstation identity from validated ID token claims. */
export function identityFromClaims(
  claims: Readonly<Record<string, unknown>>,
  options: { roleClaim: string; roleMap: RoleMap; fhirBaseUrl?: string },
): IdentityClaims {
  const userId = parseSubject(claims['sub']);
  const role = mapRole(claims[options.roleClaim], options.roleMap);
  const practitionerId = parseFhirUser(claims['fhirUser'], options.fhirBaseUrl);
  if (practitionerId === null && CLINICAL_ROLES.has(role)) {
    throw new OidcError('INVALID_IDENTITY', 'A clinical role needs a fhirUser Practitioner reference.');
  }
  const username = optionalText(claims['preferred_username']);
  return { userId, username, displayName: optionalText(claims['name']) ?? username ?? userId, role, practitionerId };
}

/**
 * https anywhere; plain http only to this machine, and only when policy allows it for development
 * (central.allowLoopbackHttp); anything else is refused with INSECURE_ISSUER.
 */
export function checkTransport(url: string | URL, what: string, allowLoopbackHttp = false): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OidcError('INVALID_INPUT', `The ${what} is not a valid URL.`);
  }
  if (isAllowedTransport(parsed, allowLoopbackHttp)) return parsed;
  throw new OidcError(
    'INSECURE_ISSUER',
    `The ${what} must use HTTPS (plain HTTP only to this machine, and only when policy allows it for development).`,
  );
}
