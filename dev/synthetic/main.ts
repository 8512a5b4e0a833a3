// Writes a synthetic clinic as NDJSON (one FHIR R4 resource per line) to stdout.
//   npx tsx dev/synthetic/main.ts --patients 100 --seed 1 [--per-patient 10] [--epoch 2025-01-01T00:00:00Z]
// Exit codes: 0 done, 1 failed while writing, 2 bad arguments.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  DEFAULT_EPOCH,
  DEFAULT_RESOURCES_PER_PATIENT,
  clinicSites,
  generateResources,
  resolveClinicOptions,
} from './clinic.ts';
import type { ClinicOptions } from './clinic.ts';

const USAGE = `Usage: npx tsx dev/synthetic/main.ts --patients N --seed N [options]

Writes a deterministic synthetic clinic (FHIR R4, NDJSON) to stdout.

  --patients N          number of patients (required, 0..10000000)
  --seed N              PRNG seed (required, 0..4294967295)
  --per-patient N       mean number of other resources per patient (default ${DEFAULT_RESOURCES_PER_PATIENT})
  --physicians N        number of physicians (default: scales with patients)
  --nurses N            number of nurses (default: scales with patients)
  --front-desk N        number of front-desk users (default: scales with patients)
  --privacy-officers N  number of privacy officers (default 1)
  --it-admins N         number of IT admins (default 1)
  --epoch INSTANT       the data set's "now" (default ${DEFAULT_EPOCH})
  --help                show this help
`;

class UsageError extends Error {}

const integerArg = (name: string) =>
  z
    .string()
    .regex(/^\d+$/, `--${name} must be a whole number`)
    .transform((value) => Number(value));

const ArgsSchema = z.object({
  patients: integerArg('patients'),
  seed: integerArg('seed'),
  'per-patient': z
    .string()
    .regex(/^\d+(\.\d+)?$/, '--per-patient must be a number')
    .transform((value) => Number(value))
    .optional(),
  physicians: integerArg('physicians').optional(),
  nurses: integerArg('nurses').optional(),
  'front-desk': integerArg('front-desk').optional(),
  'privacy-officers': integerArg('privacy-officers').optional(),
  'it-admins': integerArg('it-admins').optional(),
  epoch: z.string().optional(),
});

function parseCommandLine(argv: string[]): ClinicOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        patients: { type: 'string' },
        seed: { type: 'string' },
        'per-patient': { type: 'string' },
        physicians: { type: 'string' },
        nurses: { type: 'string' },
        'front-desk': { type: 'string' },
        'privacy-officers': { type: 'string' },
        'it-admins': { type: 'string' },
        epoch: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values['help'] === true) return 'help';
  for (const required of ['patients', 'seed']) {
    if (values[required] === undefined) throw new UsageError(`--${required} is required`);
  }
  const parsed = ArgsSchema.safeParse(values);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((issue) => issue.message).join('; '));
  const a = parsed.data;
  const options: ClinicOptions = { seed: a.seed, patients: a.patients };
  if (a['per-patient'] !== undefined) options.resourcesPerPatient = a['per-patient'];
  if (a.physicians !== undefined) options.physicians = a.physicians;
  if (a.nurses !== undefined) options.nurses = a.nurses;
  if (a['front-desk'] !== undefined) options.frontDesk = a['front-desk'];
  if (a['privacy-officers'] !== undefined) options.privacyOfficers = a['privacy-officers'];
  if (a['it-admins'] !== undefined) options.itAdmins = a['it-admins'];
  if (a.epoch !== undefined) options.epoch = a.epoch;
  try {
    resolveClinicOptions(options);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  return options;
}

/**
 * Writes lines in ~64 KiB chunks (measured fastest: larger strings cost more to flatten and
 * encode) and waits for the pipe to drain, so memory stays flat.
 */
async function writeNdjson(options: ClinicOptions): Promise<void> {
  const out = process.stdout;
  let closed = false;
  out.on('error', (error: NodeJS.ErrnoException) => {
    // A reader that stops early (`| head`) is not a failure of the generator.
    if (error.code === 'EPIPE') closed = true;
    else throw error;
  });
  const flush = (chunk: string) =>
    new Promise<void>((resolve) => {
      if (out.write(chunk)) resolve();
      else out.once('drain', resolve);
    });
  // The sites first: every patient and encounter names them.
  let buffer = clinicSites(options)
    .map((site) => JSON.stringify(site.organization) + '\n' + JSON.stringify(site.location) + '\n')
    .join('');
  for (const resource of generateResources(options)) {
    if (closed) return;
    buffer += JSON.stringify(resource) + '\n';
    if (buffer.length >= 1 << 16) {
      await flush(buffer);
      buffer = '';
    }
  }
  if (buffer.length > 0 && !closed) await flush(buffer);
}

async function main(): Promise<number> {
  let options: ClinicOptions | 'help';
  try {
    options = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`synthetic: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  await writeNdjson(options);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('synthetic: failed:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
