import type { z } from 'zod';
import type { Permission } from '../access/roles.ts';

/**
 * Who may call a channel. `public` channels answer in any session state and carry no PHI;
 * every other channel needs an unlocked session whose role holds the permission.
 */
export type ChannelAccess = { readonly kind: 'public' } | { readonly kind: 'session'; readonly permission: Permission };

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
