/**
 * npm run central [-- --patients 2000 --seed 1 --idp-port 4400 --fhir-port 4401 --personality medplum|hapi]
 * Starts the clinic's identity provider and FHIR API with the demo clinic on 127.0.0.1 and
 * prints their addresses and the demo users. Ctrl+C stops both.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SEED, DEMO_PATIENTS, startCentral } from './central.ts';
import { PERSONALITIES, isPersonality } from './personality.ts';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: String(DEMO_PATIENTS) },
    seed: { type: 'string', default: String(DEFAULT_SEED) },
    'idp-port': { type: 'string', default: '4400' },
    'fhir-port': { type: 'string', default: '4401' },
    personality: { type: 'string', default: 'medplum' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(
    [
      'usage: npm run central -- [--patients N] [--seed N] [--idp-port P] [--fhir-port P] [--personality NAME]',
      '  port 0 = any free port',
      `  personality: ${PERSONALITIES.join(' | ')} (default medplum; hapi = integer version ids, _getpages paging)`,
    ].join('\n'),
  );
  process.exit(0);
}

function integer(name: string, text: string): number {
  if (!/^\d+$/.test(text)) {
    console.error(`--${name} must be a non-negative integer`);
    process.exit(2);
  }
  return Number(text);
}

const personality = values.personality;
if (!isPersonality(personality)) {
  console.error(`--personality must be one of: ${PERSONALITIES.join(', ')}`);
  process.exit(2);
}

const central = await startCentral({
  personality,
  patients: integer('patients', values.patients),
  seed: integer('seed', values.seed),
  idpPort: integer('idp-port', values['idp-port']),
  fhirPort: integer('fhir-port', values['fhir-port']),
});

const lines = [
  'Dev central (synthetic data only) is running.',
  `  Identity provider  ${central.issuer}   (discovery: ${central.issuer}/.well-known/openid-configuration)`,
  `  FHIR R4 API        ${central.fhirBaseUrl}   (audience of access tokens; ${central.personality} personality)`,
  `  Client id          ${central.clientId}   (public, PKCE S256; redirect ${central.redirectUris.join(', ')} on any port)`,
  `  Scopes             openid profile fhirUser offline_access ${central.apiScope}`,
  `  Seeded             ${central.seeding.resources} resources in ${central.seeding.durationMs} ms`,
  `  Admin              POST ${central.issuer}/admin/users/<username>/disable|enable  with  Authorization: Bearer ${central.adminSecret}`,
  '',
  '  Demo users (username / password / role / fhirUser):',
  ...central.users.map(
    (u) => `    ${u.username.padEnd(14)} ${u.password.padEnd(24)} ${u.role.padEnd(15)} ${u.fhirUser}`,
  ),
  '',
  'Press Ctrl+C to stop.',
];
console.log(lines.join('\n'));
console.log('central ready');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void central.close().then(() => process.exit(0));
  });
}
