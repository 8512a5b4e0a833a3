import { z } from 'zod';
import {
  base64Binary,
  boolean,
  canonical,
  code,
  dateTime,
  decimal,
  fhirString,
  id,
  instant,
  integer,
  markdown,
  positiveInt,
  unsignedInt,
  uri,
  url,
} from './primitives.ts';
import { repeated } from './repeating.ts';

/**
 * FHIR R4 general-purpose datatypes (https://hl7.org/fhir/R4/datatypes.html) as zod schemas.
 *
 * Every object schema is loose: elements we do not model (extensions, `_field` primitive
 * extensions, elements of later versions) are kept as they came, because the workstation must
 * never drop data the central server holds. Elements we do model are validated. Repeating
 * primitives are `repeated(...)`: their values may hold R4's null placeholders, which each
 * resource checks against the `_field` arrays (repeating.ts).
 */

// ---------------------------------------------------------------------------------------------
// Choice types ([x]) and helpers shared by the resources
// ---------------------------------------------------------------------------------------------

/**
 * FHIR choice elements (`value[x]`, `onset[x]`, ...) appear in JSON as one of several names.
 * At most one may be present; `required` demands exactly one.
 */
export function checkChoice<T extends Record<string, unknown>>(
  value: T,
  ctx: z.RefinementCtx<T>,
  element: string,
  names: readonly string[],
  required = false,
  path: PropertyKey[] = [],
): void {
  const present = names.filter((name) => value[name] !== undefined);
  if (present.length > 1) {
    ctx.addIssue({
      code: 'custom',
      message: `Only one of ${present.join(', ')} may be present (${element}[x])`,
      path: [...path, present[1] as string],
    });
  } else if (required && present.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: `${element}[x] is required (one of ${names.join(', ')})`,
      path: [...path, element],
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Coding, CodeableConcept, Identifier, Reference
// ---------------------------------------------------------------------------------------------

export const Coding = z.looseObject({
  system: uri.optional(),
  version: fhirString.optional(),
  code: code.optional(),
  display: fhirString.optional(),
  userSelected: boolean.optional(),
});
export type Coding = z.infer<typeof Coding>;

export const CodeableConcept = z.looseObject({
  coding: z.array(Coding).optional(),
  text: fhirString.optional(),
});
export type CodeableConcept = z.infer<typeof CodeableConcept>;

/**
 * A CodeableConcept bound (required) to a value set drawn from one code system: a coding in that
 * system must carry one of the listed codes. Codings of other systems (translations) are allowed.
 */
export function boundConcept(system: string, codes: readonly string[]) {
  return CodeableConcept.superRefine((concept, ctx) => {
    concept.coding?.forEach((coding, index) => {
      if (coding.system === system && (coding.code === undefined || !codes.includes(coding.code))) {
        ctx.addIssue({
          code: 'custom',
          message: `Code must be one of ${codes.join(', ')} for ${system}`,
          path: ['coding', index, 'code'],
        });
      }
    });
  });
}

/** Does this concept carry the code `codeValue` of `system`? */
export function hasCoding(concept: CodeableConcept | undefined, system: string, codeValue: string): boolean {
  return concept?.coding?.some((c) => c.system === system && c.code === codeValue) ?? false;
}

export const Period = z
  .looseObject({
    start: dateTime.optional(),
    end: dateTime.optional(),
  })
  .superRefine((period, ctx) => {
    // per-1: start <= end. Compared only when both carry a time, so that mixed precisions (which
    // FHIR compares as ranges) are never rejected.
    if (period.start?.includes('T') && period.end?.includes('T')) {
      if (Date.parse(period.start) > Date.parse(period.end)) {
        ctx.addIssue({ code: 'custom', message: 'Period.start must not be after Period.end', path: ['end'] });
      }
    }
  });
export type Period = z.infer<typeof Period>;

const resourceTypeName = /^[A-Z][A-Za-z]{1,63}$/;
const LITERAL_REFERENCE =
  /^(?:https?:\/\/[A-Za-z0-9\-\\.:%$]+(?:\/[A-Za-z0-9\-\\.:%$]+)*\/)?([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/**
 * Splits a literal reference (`Patient/123`, `https://fhir.example/Patient/123/_history/2`) into
 * its resource type and id. Contained (`#x`) and `urn:uuid:` references give null.
 */
export function parseReference(reference: string | undefined): { type: string; id: string } | null {
  if (reference === undefined) return null;
  const match = LITERAL_REFERENCE.exec(reference);
  if (!match) return null;
  return { type: match[1] as string, id: match[2] as string };
}

/**
 * Reference.type is a uri in R4, but @medplum/fhirtypes types it as its ResourceType union; to
 * keep our types assignable to theirs it is left out of the shape (so typed `unknown`) and checked
 * here instead.
 */
function checkReferenceType(ref: Record<string, unknown>, ctx: z.RefinementCtx<Record<string, unknown>>): void {
  const type = ref['type'];
  if (type !== undefined && (typeof type !== 'string' || !uri.safeParse(type).success)) {
    ctx.addIssue({ code: 'custom', message: 'Reference.type must be a uri', path: ['type'] });
  }
}

/** Identifier.assigner is a Reference, and Reference.identifier an Identifier: cut the cycle here. */
const AssignerReference = z
  .looseObject({
    reference: fhirString.optional(),
    display: fhirString.optional(),
  })
  .superRefine(checkReferenceType);

export const IdentifierUse = z.enum(['usual', 'official', 'temp', 'secondary', 'old']);

export const Identifier = z.looseObject({
  use: IdentifierUse.optional(),
  type: CodeableConcept.optional(),
  system: uri.optional(),
  value: fhirString.optional(),
  period: Period.optional(),
  assigner: AssignerReference.optional(),
});
export type Identifier = z.infer<typeof Identifier>;

export const Reference = z
  .looseObject({
    reference: fhirString.optional(),
    identifier: Identifier.optional(),
    display: fhirString.optional(),
  })
  .superRefine(checkReferenceType);
export type Reference = z.infer<typeof Reference>;

/**
 * A Reference restricted to some target resource types, as R4 declares them (e.g.
 * `Reference(Patient | Group)`). A literal reference or an explicit `type` naming another
 * resource type is rejected; contained and `urn:uuid:` references are accepted as they are.
 *
 * R4's `Reference(Any)` is plain `Reference`. Its StructureDefinitions spell it as a target of
 * "Resource", the abstract base no reference can literally name; taken as a target here it
 * would refuse every such reference, so it is refused when the schema is built.
 */
export function referenceTo(...targets: readonly string[]) {
  if (targets.includes('Resource')) throw new Error('Reference(Any) is Reference, not referenceTo("Resource")');
  return Reference.superRefine((ref, ctx) => {
    const type = ref['type'];
    if (typeof type === 'string' && resourceTypeName.test(type) && !targets.includes(type)) {
      ctx.addIssue({ code: 'custom', message: `Reference type must be ${targets.join(' | ')}`, path: ['type'] });
    }
    const literal = parseReference(ref.reference);
    if (literal && !targets.includes(literal.type)) {
      ctx.addIssue({
        code: 'custom',
        message: `Reference must point to ${targets.join(' | ')}`,
        path: ['reference'],
      });
    }
  });
}

/** A reference that must actually say what it points to (a literal, logical or display reference). */
export function requiredReferenceTo(...targets: readonly string[]) {
  return referenceTo(...targets).superRefine((ref, ctx) => {
    if (ref.reference === undefined && ref.identifier === undefined && ref.display === undefined) {
      ctx.addIssue({ code: 'custom', message: 'Reference must have a reference, identifier or display' });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Quantities
// ---------------------------------------------------------------------------------------------

export const Quantity = z
  .looseObject({
    value: decimal.optional(),
    comparator: z.enum(['<', '<=', '>=', '>']).optional(),
    unit: fhirString.optional(),
    system: uri.optional(),
    code: code.optional(),
  })
  .superRefine((quantity, ctx) => {
    // qty-3: if a code for the unit is present, the system SHALL also be present.
    if (quantity.code !== undefined && quantity.system === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'Quantity.system is required when Quantity.code is present',
        path: ['system'],
      });
    }
  });
export type Quantity = z.infer<typeof Quantity>;

export const Range = z.looseObject({ low: Quantity.optional(), high: Quantity.optional() });
export const Ratio = z.looseObject({ numerator: Quantity.optional(), denominator: Quantity.optional() });

// ---------------------------------------------------------------------------------------------
// Text, attachments, narrative, annotation
// ---------------------------------------------------------------------------------------------

export const Attachment = z
  .looseObject({
    contentType: code.optional(),
    language: code.optional(),
    data: base64Binary.optional(),
    url: url.optional(),
    size: unsignedInt.optional(),
    hash: base64Binary.optional(),
    title: fhirString.optional(),
    creation: dateTime.optional(),
  })
  .superRefine((attachment, ctx) => {
    // att-1: if the Attachment has data, it SHALL have a contentType.
    if (attachment.data !== undefined && attachment.contentType === undefined) {
      ctx.addIssue({ code: 'custom', message: 'Attachment.contentType is required with data', path: ['contentType'] });
    }
  });
export type Attachment = z.infer<typeof Attachment>;

export const Annotation = z
  .looseObject({
    authorReference: referenceTo('Practitioner', 'Patient', 'RelatedPerson', 'Organization').optional(),
    authorString: fhirString.optional(),
    time: dateTime.optional(),
    text: markdown,
  })
  .superRefine((annotation, ctx) => checkChoice(annotation, ctx, 'author', ['authorReference', 'authorString']));
export type Annotation = z.infer<typeof Annotation>;

export const Narrative = z.looseObject({
  status: z.enum(['generated', 'extensions', 'additional', 'empty']),
  div: z.string().regex(/^\s*<div[\s>]/, 'Narrative.div must be an XHTML <div>'),
});

export const Extension = z.looseObject({ url: uri });

// ---------------------------------------------------------------------------------------------
// People: names, contact points, addresses
// ---------------------------------------------------------------------------------------------

export const HumanName = z.looseObject({
  use: z.enum(['usual', 'official', 'temp', 'nickname', 'anonymous', 'old', 'maiden']).optional(),
  text: fhirString.optional(),
  family: fhirString.optional(),
  given: repeated(fhirString).optional(),
  prefix: repeated(fhirString).optional(),
  suffix: repeated(fhirString).optional(),
  period: Period.optional(),
});
export type HumanName = z.infer<typeof HumanName>;

export const ContactPoint = z
  .looseObject({
    system: z.enum(['phone', 'fax', 'email', 'pager', 'url', 'sms', 'other']).optional(),
    value: fhirString.optional(),
    use: z.enum(['home', 'work', 'temp', 'old', 'mobile']).optional(),
    rank: positiveInt.optional(),
    period: Period.optional(),
  })
  .superRefine((contact, ctx) => {
    // cpt-2: a system is required if a value is provided.
    if (contact.value !== undefined && contact.system === undefined) {
      ctx.addIssue({ code: 'custom', message: 'ContactPoint.system is required with a value', path: ['system'] });
    }
  });
export type ContactPoint = z.infer<typeof ContactPoint>;

export const Address = z.looseObject({
  use: z.enum(['home', 'work', 'temp', 'old', 'billing']).optional(),
  type: z.enum(['postal', 'physical', 'both']).optional(),
  text: fhirString.optional(),
  line: repeated(fhirString).optional(),
  city: fhirString.optional(),
  district: fhirString.optional(),
  state: fhirString.optional(),
  postalCode: fhirString.optional(),
  country: fhirString.optional(),
  period: Period.optional(),
});
export type Address = z.infer<typeof Address>;

export const AdministrativeGender = z.enum(['male', 'female', 'other', 'unknown']);
export type AdministrativeGender = z.infer<typeof AdministrativeGender>;

// ---------------------------------------------------------------------------------------------
// Meta and dosage
// ---------------------------------------------------------------------------------------------

export const Meta = z.looseObject({
  versionId: id.optional(),
  lastUpdated: instant.optional(),
  source: uri.optional(),
  profile: repeated(canonical).optional(),
  security: z.array(Coding).optional(),
  tag: z.array(Coding).optional(),
});
export type Meta = z.infer<typeof Meta>;

export const Timing = z.looseObject({
  event: repeated(dateTime).optional(),
  repeat: z
    .looseObject({
      count: positiveInt.optional(),
      duration: decimal.optional(),
      durationUnit: z.enum(['s', 'min', 'h', 'd', 'wk', 'mo', 'a']).optional(),
      frequency: positiveInt.optional(),
      frequencyMax: positiveInt.optional(),
      period: decimal.optional(),
      periodMax: decimal.optional(),
      periodUnit: z.enum(['s', 'min', 'h', 'd', 'wk', 'mo', 'a']).optional(),
      dayOfWeek: repeated(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).optional(),
    })
    .optional(),
  code: CodeableConcept.optional(),
});

export const Dosage = z
  .looseObject({
    sequence: integer.optional(),
    text: fhirString.optional(),
    additionalInstruction: z.array(CodeableConcept).optional(),
    patientInstruction: fhirString.optional(),
    timing: Timing.optional(),
    asNeededBoolean: boolean.optional(),
    asNeededCodeableConcept: CodeableConcept.optional(),
    site: CodeableConcept.optional(),
    route: CodeableConcept.optional(),
    method: CodeableConcept.optional(),
    doseAndRate: z
      .array(
        z
          .looseObject({
            type: CodeableConcept.optional(),
            doseRange: Range.optional(),
            doseQuantity: Quantity.optional(),
            rateRatio: Ratio.optional(),
            rateRange: Range.optional(),
            rateQuantity: Quantity.optional(),
          })
          .superRefine((dr, ctx) => {
            checkChoice(dr, ctx, 'dose', ['doseRange', 'doseQuantity']);
            checkChoice(dr, ctx, 'rate', ['rateRatio', 'rateRange', 'rateQuantity']);
          }),
      )
      .optional(),
    maxDosePerPeriod: Ratio.optional(),
    maxDosePerAdministration: Quantity.optional(),
    maxDosePerLifetime: Quantity.optional(),
  })
  .superRefine((dosage, ctx) => checkChoice(dosage, ctx, 'asNeeded', ['asNeededBoolean', 'asNeededCodeableConcept']));
export type Dosage = z.infer<typeof Dosage>;
