import { z } from 'zod';
import { Role } from '../access/roles.ts';

/**
 * Managed policy set by IT (PRODUCT.md capability 9): one schema for every setting IT controls,
 * read from the machine-wide policy location and never changeable from the app. Unknown fields are
 * refused so a typo in a policy file cannot silently switch a control off; every field's default
 * is the documented, safe one.
 */
export const VaultPolicy = z
  .object({
    /**
     * IT's recovery public key (PEM, SPKI): RSA of at least 3072 bits or X25519. When set, the
     * cache key is also wrapped for it (escrow) so IT can recover a cache whose keychain entry
     * was lost, with the offline private key.
     */
    recoveryPublicKeyPem: z.string().min(1).optional().meta({
      description:
        "IT's recovery public key (PEM, SPKI): RSA of at least 3072 bits or X25519. When set, the cache key is also wrapped for it (escrow) so IT can recover a cache whose keychain entry was lost, with the offline private key.",
    }),
  })
  .strict();

/** Sign-in and PIN rules (PRODUCT.md capability 2). */
export const IdentityPolicy = z
  .object({
    /** Shortest PIN accepted. */
    pinMinLength: z.number().int().min(4).max(12).default(6).meta({ description: 'Shortest PIN accepted.' }),
    /** Wrong PINs in a row before the user must sign in fully again. */
    pinMaxFailures: z
      .number()
      .int()
      .min(3)
      .max(10)
      .default(5)
      .meta({ description: 'Wrong PINs in a row before the user must sign in fully again.' }),
    /** How long after the last full sign-in a PIN alone may sign a user in (0 = never offline). */
    offlineSignInHours: z.number().int().min(0).max(336).default(72).meta({
      description: 'How long after the last full sign-in a PIN alone may sign a user in (0 = never offline).',
    }),
    /** Longest session before a full sign-in is required again. */
    maxSessionHours: z
      .number()
      .int()
      .min(1)
      .max(24)
      .default(12)
      .meta({ description: 'Longest session before a full sign-in is required again.' }),
  })
  .strict();

/** Automatic logoff (PRODUCT.md capability 3). */
export const LockPolicy = z
  .object({
    /** Idle time (OS-wide where the OS reports it) before the screen locks. */
    idleSeconds: z
      .number()
      .int()
      .min(30)
      .max(3600)
      .default(300)
      .meta({ description: 'Idle time (OS-wide where the OS reports it) before the screen locks.' }),
    /** The "Locking soon" warning shown before an idle lock. */
    warningSeconds: z.number().int().min(5).max(120).default(30).meta({
      description:
        'How long the "Locking soon" warning shows before an idle lock. Must be shorter than lock.idleSeconds.',
    }),
  })
  .strict()
  .refine((lock) => lock.warningSeconds < lock.idleSeconds, {
    message: 'warningSeconds must be shorter than idleSeconds',
    path: ['warningSeconds'],
  });

/**
 * The clinic's central services (PRODUCT.md capabilities 2 and 7). Absent until IT enrolls the
 * workstation: then nobody can sign in, and the sign-in screen says so. Addresses must be HTTPS;
 * plain HTTP is accepted only to this machine (the dev central stand-in), checked at use.
 */
export const CentralPolicy = z
  .object({
    /** The FHIR R4 API base URL; also the access token's audience (`resource`). */
    fhirBaseUrl: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .meta({
        description:
          "The FHIR R4 API base URL; also the access token's audience (resource). HTTPS; plain HTTP only to this machine when central.allowLoopbackHttp is on.",
      }),
    /** The OpenID Connect issuer. */
    issuer: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .meta({
        description:
          'The OpenID Connect issuer. HTTPS; plain HTTP only to this machine when central.allowLoopbackHttp is on.',
      }),
    /** The workstation's public client id at the provider. */
    clientId: z.string().min(1).max(256).meta({ description: "The workstation's public client id at the provider." }),
    /** Scopes asked beyond `openid` (refresh tokens need offline_access). */
    scope: z
      .string()
      .min(1)
      .max(1024)
      .default('openid profile fhirUser offline_access')
      .meta({ description: 'Scopes asked beyond openid (refresh tokens need offline_access).' }),
    /** ID token claim holding the user's roles. */
    roleClaim: z
      .string()
      .min(1)
      .max(128)
      .default('roles')
      .meta({ description: "ID token claim holding the user's roles." }),
    /**
     * Pins of the central services' TLS public keys: base64 SHA-256 of the SubjectPublicKeyInfo
     * (as in HPKP). Empty: the OS trust store alone decides.
     */
    tlsPins: z
      .array(z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'a base64 SHA-256 SPKI pin'))
      .max(10)
      .default([])
      .meta({
        description:
          "Pins of the central services' TLS public keys: base64 SHA-256 of the SubjectPublicKeyInfo (as in HPKP). Empty: the OS trust store alone decides.",
      }),
    /** Development only: allow plain HTTP to this machine (127.0.0.1, ::1, localhost). */
    allowLoopbackHttp: z
      .boolean()
      .default(false)
      .meta({ description: 'Development only: allow plain HTTP to this machine (127.0.0.1, ::1, localhost).' }),
    /**
     * Bounds on what central may send, so a misbehaving server cannot exhaust the workstation:
     * the largest answer read (larger ones are cut off unread), the largest single resource kept.
     */
    maxResponseMiB: z.number().int().min(1).max(512).default(64).meta({
      description:
        'The largest answer from the central FHIR API that is read, in MiB; a larger one is cut off unread (a search asks again with smaller pages, down to one resource).',
    }),
    maxResourceMiB: z.number().int().min(1).max(512).default(16).meta({
      description:
        'The largest single resource kept from central, in MiB; a larger one is refused and recorded in sync diagnostics. At most central.maxResponseMiB.',
    }),
    /**
     * Attachments larger than this (decoded) are kept on central: the cache stores what they are
     * (type, title, size) and the chart fetches one when someone asks, so a note with a large scan
     * still syncs and does not count against maxResourceMiB.
     */
    maxAttachmentKiB: z.number().int().min(1).max(4096).default(256).meta({
      description:
        "The largest attachment (a note's text or file, a photo) kept in the cache, in KiB; a larger one is stored without its data, marked as stored on central, and fetched from central when the chart shows it.",
    }),
    /** Pages of one resource type read in one sync round; the rest is read in the next rounds. */
    maxPagesPerType: z.number().int().min(10).max(100_000).default(5000).meta({
      description:
        'Pages of one resource type read in one sync round (the rest comes in the next rounds), so a server that pages without end cannot hold a round.',
    }),
    /** Claim value -> workstation role. A user with no mapped role cannot sign in. */
    roleMap: z
      .record(z.string().min(1).max(128), Role)
      .refine((map) => Object.keys(map).length > 0, { message: 'roleMap must map at least one claim value' })
      .meta({
        description:
          'Claim value -> workstation role. A user with no mapped role cannot sign in. Must map at least one claim value.',
      }),
  })
  .strict()
  .refine((central) => central.maxResourceMiB <= central.maxResponseMiB, {
    message: 'maxResourceMiB must not exceed maxResponseMiB',
    path: ['maxResourceMiB'],
  });

/** A break-glass reason: a FHIR v3-ActReason code and the words people see. */
export const BreakGlassReason = z
  .object({
    code: z.string().regex(/^[A-Z][A-Z0-9]{1,19}$/, 'a v3-ActReason code such as ETREAT'),
    display: z.string().min(1).max(100),
  })
  .strict();

/** Emergency access (PRODUCT.md capability 5). */
export const BreakGlassPolicy = z
  .object({
    /** Roles that may use break-glass at all (front desk, privacy officer and IT never can). */
    roles: z
      .array(z.enum(['physician', 'nurse']))
      .max(2)
      .default(['physician', 'nurse'])
      .meta({ description: 'Roles that may use break-glass at all (front desk, privacy officer and IT never can).' }),
    reasons: z
      .array(BreakGlassReason)
      .min(1)
      .max(20)
      .default([
        { code: 'ETREAT', display: 'Emergency treatment' },
        { code: 'BTG', display: 'Break the glass: urgent access for care' },
      ])
      .meta({
        description: 'Reasons offered for break-glass: each a FHIR v3-ActReason code and the words people see.',
      }),
    /** Shortest written justification accepted. */
    minJustificationLength: z
      .number()
      .int()
      .min(10)
      .max(500)
      .default(20)
      .meta({ description: 'Shortest written justification accepted.' }),
    /** How long a grant lasts. */
    durationMinutes: z.number().int().min(5).max(480).default(60).meta({ description: 'How long a grant lasts.' }),
    /** A grant ends when its session stays locked this long. */
    endAfterLockedMinutes: z
      .number()
      .int()
      .min(1)
      .max(480)
      .default(15)
      .meta({ description: 'A grant ends when its session stays locked this long.' }),
    /** More grants than this by one user within one shift raise an alert for the privacy officer. */
    alertThresholdPerShift: z.number().int().min(1).max(100).default(3).meta({
      description: 'More grants than this by one user within one shift raise an alert for the privacy officer.',
    }),
    shiftHours: z.number().int().min(1).max(24).default(12).meta({
      description:
        "The shift for breakGlass.alertThresholdPerShift: one user's grants in the last this many hours are counted.",
    }),
  })
  .strict();

/**
 * Unusual access alerts for the privacy officer: what counts as unusual, in numbers IT sets. An
 * alert goes to the privacy officer's queue and to central as a security alert AuditEvent.
 */
export const AlertsPolicy = z
  .object({
    chartOpensMax: z.number().int().min(5).max(1000).default(50).meta({
      description:
        'More charts than this opened by one user within alerts.chartOpensWindowMinutes raise an alert for the privacy officer (each patient counted once).',
    }),
    chartOpensWindowMinutes: z.number().int().min(1).max(240).default(10).meta({
      description: 'The window for alerts.chartOpensMax, in minutes.',
    }),
    failedAuthMax: z.number().int().min(1).max(100).default(4).meta({
      description:
        'More failed sign-ins, unlocks and break-glass PINs than this for one user (or for unknown usernames together) within alerts.failedAuthWindowMinutes raise an alert.',
    }),
    failedAuthWindowMinutes: z.number().int().min(1).max(1440).default(15).meta({
      description: 'The window for alerts.failedAuthMax, in minutes.',
    }),
    familyName: z.boolean().default(true).meta({
      description:
        "Raise an alert when a user opens the chart of a patient with the same family name as the user's own (as on the user's Practitioner record).",
    }),
  })
  .strict();

/**
 * Drafts kept across a lock (issue 16): how long an unsaved note, vitals or allergy edit is kept.
 * Default 12 hours, one long clinical shift: a draft begun at the start of a shift survives every
 * lock and break of that shift, while yesterday's half-typed vitals are not offered as if current
 * the next day (they describe a patient as they were) and PHI outside the record is not kept
 * longer than the work needs. At most two days, so a forgotten draft always goes.
 */
export const DraftsPolicy = z
  .object({
    expiryHours: z.number().int().min(1).max(48).default(12).meta({
      description:
        'Hours an unsaved draft (note, vitals, allergy edit) is kept for its author after it was last changed; expired drafts are deleted at sign-in and every few minutes.',
    }),
  })
  .strict();

/** A FHIR id (R4: letters, digits, '-' and '.', at most 64). */
const FhirId = z
  .string()
  .regex(/^[A-Za-z0-9.-]{1,64}$/, 'must be a FHIR id (letters, digits, "-" and ".", at most 64)');

/** Most members a scope Group may list: central is not trusted to bound it. */
export const MAX_SCOPE_MEMBERS = 100_000;

/** Members beyond this make central's answer suspect: the scoped pull stops rather than guess. */
const maxMembers = z.number().int().min(1).max(MAX_SCOPE_MEMBERS).default(20_000);

/** Days back a location scope looks for Encounters: a year by default (a clinic's yearly visit). */
export const LOCATION_SCOPE_DAYS = { min: 1, max: 3650, default: 365 } as const;

/**
 * Which patients this workstation keeps (issue 15, minimum necessary): every patient central
 * holds (`all`, for small clinics), the members of a FHIR Group at central (the clinic's panel),
 * the patients of the active care teams these practitioners are on (the clinic's clinicians), the
 * patients an Organization manages (Patient.managingOrganization: the clinic as a legal entity),
 * or the patients seen at a Location recently or booked there (Encounter.location: the clinic's
 * building or ward). Staff (Practitioner, PractitionerRole) are pulled whole either way.
 */
export const CacheScope = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('all') }).strict(),
    z.object({ kind: z.literal('group'), group: FhirId, maxMembers }).strict(),
    z
      .object({
        kind: z.literal('careTeam'),
        practitioners: z.array(FhirId).min(1).max(100),
        maxMembers,
      })
      .strict(),
    z.object({ kind: z.literal('organization'), organization: FhirId, maxMembers }).strict(),
    z
      .object({
        kind: z.literal('location'),
        location: FhirId,
        withinDays: z
          .number()
          .int()
          .min(LOCATION_SCOPE_DAYS.min)
          .max(LOCATION_SCOPE_DAYS.max)
          .default(LOCATION_SCOPE_DAYS.default),
        maxMembers,
      })
      .strict(),
  ])
  .default({ kind: 'all' })
  .meta({
    description:
      'Which patients this workstation keeps: {"kind":"all"} (every patient central holds); {"kind":"group","group":"<Group id>"} (the members of that FHIR Group at central, e.g. the clinic\'s panel); {"kind":"careTeam","practitioners":["<Practitioner id>", ...]} (the subjects of the active CareTeams those practitioners are on); {"kind":"organization","organization":"<Organization id>"} (the patients whose managingOrganization is that Organization, records marked inactive left out); or {"kind":"location","location":"<Location id>","withinDays":365} (the subjects of the Encounters at that Location whose period reaches into the last withinDays days, 1 to 3650, counted back from 00:00 UTC today: finished within them, in progress, or planned; cancelled and entered-in-error ones left out). "maxMembers" (default 20000) bounds how many patients central may name. Staff records are kept either way. A patient who leaves the scope keeps their records in the cache until retention removes them.',
  });
export type CacheScope = z.infer<typeof CacheScope>;

/** The local cache of records (PRODUCT.md capability 7). */
export const CachePolicy = z
  .object({
    /** Days a patient's records stay in the cache after they were last opened or synced. */
    retentionDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(90)
      .meta({ description: "Days a patient's records stay in the cache after they were last opened or synced." }),
    /**
     * Days without reaching central after which PIN sign-in and charts stop until central is
     * reached again. 7 by default: a week covers a long weekend or holiday outage with margin,
     * while a lost machine or a user disabled centrally stops working within a week; at most 90
     * (a quarter) so a forgotten workstation cannot serve stale charts indefinitely.
     */
    maxOfflineDays: z.number().int().min(1).max(90).default(7).meta({
      description:
        'Days without reaching central (a sync round or a full sign-in) after which PIN sign-in and charts stop on this workstation until central is reached again.',
    }),
    scope: CacheScope,
  })
  .strict();

/** Application updates (PRODUCT.md capability 9): only from IT's feed, signature verified. */
export const UpdatesPolicy = z
  .object({
    /** Off unless IT turns it on and names the feed. */
    enabled: z.boolean().default(false).meta({
      description:
        "Whether the app takes updates from IT's feed (updates.feedUrl). Off unless IT turns it on and names the feed.",
    }),
    /** IT's update feed (HTTPS), e.g. a generic electron-updater server. */
    feedUrl: z
      .url({ protocol: /^https$/ })
      .max(2048)
      .optional()
      .meta({
        description:
          "IT's update feed (HTTPS), e.g. a generic electron-updater server. Required when updates.enabled is on.",
      }),
  })
  .strict()
  .refine((updates) => !updates.enabled || updates.feedUrl !== undefined, {
    message: 'feedUrl is required when updates are enabled',
    path: ['feedUrl'],
  });

/** The audit trail (PRODUCT.md capability 6). */
export const AuditPolicy = z
  .object({
    /**
     * Days an entry is kept on the workstation after it was shipped to the central API (never
     * removed before it is shipped). Default six years, HIPAA's documentation retention.
     */
    retentionDays: z.number().int().min(1).max(3650).default(2190).meta({
      description:
        "Days an entry is kept on the workstation after it was shipped to the central API (never removed before it is shipped). Default six years, HIPAA's documentation retention.",
    }),
  })
  .strict();

export const Policy = z
  .object({
    central: CentralPolicy.optional(),
    // prefault: an absent section is parsed as {}, so each field's own default applies.
    vault: VaultPolicy.prefault({}),
    identity: IdentityPolicy.prefault({}),
    lock: LockPolicy.prefault({}),
    breakGlass: BreakGlassPolicy.prefault({}),
    audit: AuditPolicy.prefault({}),
    alerts: AlertsPolicy.prefault({}),
    drafts: DraftsPolicy.prefault({}),
    cache: CachePolicy.prefault({}),
    updates: UpdatesPolicy.prefault({}),
  })
  .strict();
export type Policy = z.infer<typeof Policy>;
export type PolicyInput = z.input<typeof Policy>;
