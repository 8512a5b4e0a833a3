import type { z } from 'zod';
import type { Permission } from '../access/roles.ts';

/**
 * Who may call a channel:
 * - `public`: any session state, no PHI (status, starting a sign-in);
 * - `signedIn`: someone is signed in, locked or not (unlock, lock now, switch user); no PHI;
 * - `session`: an unlocked session whose role holds the permission. When the channel is about one
 *   patient, `patientOf` names that patient in the (validated) request, and the router asks the
 *   authorization module about that patient too (care team, break-glass), not only the role.
 */
export type ChannelAccess =
  | { readonly kind: 'public' }
  | { readonly kind: 'signedIn' }
  | { readonly kind: 'session'; readonly permission: Permission; readonly patientOf?: (request: never) => string };

export interface ChannelDefinition<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  readonly request: Req;
  readonly response: Res;
  readonly access: ChannelAccess;
  /** True when the response carries PHI: such channels are refused with LOCKED while locked. */
  readonly phi: boolean;
}

export function defineChannel<Req extends z.ZodType, Res extends z.ZodType>(
  def: ChannelDefinition<Req, Res>,
): ChannelDefinition<Req, Res> {
  return Object.freeze(def);
}
