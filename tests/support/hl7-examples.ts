/**
 * HL7's own R4 example resources (the `hl7.fhir.r4.examples` package, CC0, fictional people), as
 * a FHIR server would send them: every resource of a type the workstation stores, whether it is
 * a file of its own or an entry of one of the example Bundles. Read once per test file.
 *
 * The package also carries the R4 definitions (`Bundle-resources.json`: HL7's StructureDefinition
 * of every resource), which the tests use to prove why an example the workstation refuses is not
 * valid R4.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { StoredResourceType } from '../../src-shared/fhir/resources.ts';

type Json = Record<string, unknown>;

export interface Hl7Example {
  /** Where it came from: the file, and the entry for one inside a Bundle ("Bundle-x.json#entry[3]"). */
  source: string;
  resourceType: StoredResourceType;
  resource: Json;
}

const packageDir = path.dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
const storedTypes = new Set<string>(StoredResourceType.options);

function readJson(file: string): Json {
  return JSON.parse(readFileSync(path.join(packageDir, file), 'utf8')) as Json;
}

function collect(resource: unknown, source: string, into: Hl7Example[]): void {
  if (typeof resource !== 'object' || resource === null) return;
  const r = resource as Json;
  if (typeof r['resourceType'] === 'string' && storedTypes.has(r['resourceType'])) {
    into.push({ source, resourceType: r['resourceType'] as StoredResourceType, resource: r });
  }
  // Bundles hold examples too (searchsets, documents, transactions), and may nest Bundles.
  if (r['resourceType'] === 'Bundle' && Array.isArray(r['entry'])) {
    r['entry'].forEach((entry: Json | null, index) => collect(entry?.['resource'], `${source}#entry[${index}]`, into));
  }
}

/** One example file as it is, e.g. `Patient-example.json`. */
export function hl7Example(file: string): Json {
  return readJson(file);
}

/** Every example of a stored type, in file order. */
export function hl7Examples(): Hl7Example[] {
  const examples: Hl7Example[] = [];
  const files = readdirSync(packageDir)
    .filter((file) => file.endsWith('.json') && file !== 'package.json' && file !== 'ig-r4.json')
    .sort();
  for (const file of files) collect(readJson(file), file, examples);
  return examples;
}

/**
 * The resource types an element may reference, as HL7's R4 StructureDefinition declares them
 * (`Observation.performer` → Practitioner, PractitionerRole, ...). "Resource" means any.
 */
let definitions: Json[] | undefined;

export function r4ReferenceTargets(elementPath: string): string[] {
  const type = elementPath.split('.')[0];
  definitions ??= (readJson('Bundle-resources.json')['entry'] as { resource: Json }[]).map((entry) => entry.resource);
  const definition = definitions.find((r) => r['resourceType'] === 'StructureDefinition' && r['id'] === type);
  const elements = (definition?.['snapshot'] as { element: Json[] } | undefined)?.element ?? [];
  const element = elements.find((e) => e['path'] === elementPath);
  const types = (element?.['type'] ?? []) as { code: string; targetProfile?: string[] }[];
  return types
    .filter((t) => t.code === 'Reference')
    .flatMap((t) => t.targetProfile ?? [])
    .map((profile) => profile.slice(profile.lastIndexOf('/') + 1));
}
