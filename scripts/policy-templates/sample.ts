/**
 * build/policy/policy.sample.json: every setting, at its default where it has one, and an example
 * where it has none, in the shape the policy files take (locations.ts) and `Policy.parse` accepts.
 */
import { allSettings, type SectionDoc } from './model.ts';

/**
 * Examples for the settings without a default. A setting the schema gains without a default must
 * get one here: the generator stops (and the unit test fails) rather than leave it out.
 */
export const SAMPLE_EXAMPLES: Readonly<Record<string, unknown>> = {
  'central.fhirBaseUrl': 'https://fhir.clinic.example/fhir/R4',
  'central.issuer': 'https://login.clinic.example',
  'central.clientId': 'clinic-workstation',
  'central.roleMap': {
    'clinic-physician': 'physician',
    'clinic-nurse': 'nurse',
    'clinic-front-desk': 'frontDesk',
    'clinic-privacy-officer': 'privacyOfficer',
    'clinic-it': 'itAdmin',
  },
  // Deliberately not a key: deployed unchanged, the cache is not created (ESCROW_FAILED) instead of
  // being escrowed for a key nobody holds.
  'vault.recoveryPublicKeyPem':
    "-----BEGIN PUBLIC KEY-----\nReplace with IT's recovery public key (PEM, SPKI: RSA of at least 3072 bits or X25519), or remove this setting\n-----END PUBLIC KEY-----\n",
  'updates.feedUrl': 'https://updates.clinic.example/clinic-workstation/',
};

export function samplePolicy(model: readonly SectionDoc[]): Record<string, Record<string, unknown>> {
  const sample: Record<string, Record<string, unknown>> = {};
  for (const setting of allSettings(model)) {
    let value: unknown;
    if (setting.hasDefault) value = setting.defaultValue;
    else if (setting.name in SAMPLE_EXAMPLES) value = SAMPLE_EXAMPLES[setting.name];
    else
      throw new Error(
        `${setting.name} has no default: add an example for it to SAMPLE_EXAMPLES in scripts/policy-templates/sample.ts.`,
      );
    (sample[setting.section] ??= {})[setting.field] = value;
  }
  return sample;
}

export function renderSample(model: readonly SectionDoc[]): string {
  return `${JSON.stringify(samplePolicy(model), null, 2)}\n`;
}
