/**
 * Everything generated from the managed policy schema, as file path -> content, in memory: the
 * Group Policy template (ADMX + en-US ADML), the sample policy and the IT guide's reference
 * section. main.ts writes or checks them; the unit test checks them too.
 */
import type { z } from 'zod';
import { Policy } from '../../src-shared/policy/schema.ts';
import { renderAdml, renderAdmx } from './admx.ts';
import { policyModel } from './model.ts';
import { renderReference, spliceReference } from './reference.ts';
import { renderSample, SAMPLE_EXAMPLES } from './sample.ts';

/** Paths from the repository root. */
export const POLICY_OUTPUTS = {
  admx: 'build/policy/ClinicWorkstation.admx',
  adml: 'build/policy/en-US/ClinicWorkstation.adml',
  sample: 'build/policy/policy.sample.json',
  guide: 'docs/it-guide.md',
} as const;

/** The generated files; `guide` is the current IT guide, whose reference section is replaced. */
export function generatePolicyFiles(guide: string, policy: z.ZodType = Policy): Record<string, string> {
  const model = policyModel(policy);
  return {
    [POLICY_OUTPUTS.admx]: renderAdmx(model),
    [POLICY_OUTPUTS.adml]: renderAdml(model, SAMPLE_EXAMPLES),
    [POLICY_OUTPUTS.sample]: renderSample(model),
    [POLICY_OUTPUTS.guide]: spliceReference(guide, renderReference(model)),
  };
}
