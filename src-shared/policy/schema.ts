import { z } from 'zod';

/**
 * Managed policy set by IT. This is the part the vault needs; the IT deployment issue grows it
 * into the full schema (addresses, lock timers, break-glass rules) with the OS-specific loader.
 * Unknown fields are refused so a typo in a policy file cannot silently switch a control off.
 */
export const VaultPolicy = z
  .object({
    /**
     * IT's recovery public key (PEM, SPKI): RSA of at least 3072 bits or X25519. When set, the
     * cache key is also wrapped for it (escrow) so IT can recover a cache whose keychain entry
     * was lost, with the offline private key.
     */
    recoveryPublicKeyPem: z.string().min(1).optional(),
  })
  .strict();

export const Policy = z
  .object({
    vault: VaultPolicy.default({}),
  })
  .strict();
export type Policy = z.infer<typeof Policy>;
export type PolicyInput = z.input<typeof Policy>;
