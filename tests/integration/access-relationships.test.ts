/**
 * Care relationships and authorization over a real encrypted vault (SQLCipher, key in the real
 * keychain) filled from the synthetic clinic: practitionerRelationships agrees with the facts the
 * generator reports for every patient and every clinician, and the decision built on it gives an
 * outsider physician a restricted chart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateClinic, type StaffMember } from '../../dev/synthetic/clinic.ts';
import { authorize, chartAccess } from '../../src-main/access/authorize.ts';
import type { AccessUser, ActiveGrant } from '../../src-main/access/decision.ts';
import { practitionerRelationships, type CareRelationship } from '../../src-main/records/relationships.ts';
import { bulkStoreResources, storeResources } from '../../src-main/records/repository.ts';
import type { Vault } from '../../src-main/vault/vault.ts';
import { testPatient } from '../support/fhir.ts';
import { openTempVault } from '../support/vault-fixture.ts';

const clinic = generateClinic({ seed: 11, patients: 200, physicians: 6, nurses: 6 });
const clinicians = clinic.staff.filter((s) => s.role === 'physician' || s.role === 'nurse');
let vault: Vault;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ vault, close } = await openTempVault({ prefix: 'clinic-access-', subdir: 'cache' }));
  const result = bulkStoreResources(vault.db, [clinic.resources]);
  expect(result.rejected).toEqual([]);
});
afterAll(() => close?.());

const asUser = (member: StaffMember): AccessUser => ({
  userId: member.username,
  role: member.role,
  practitionerId: member.practitionerId,
});

describe('practitionerRelationships against the generator', () => {
  it('matches care team, encounter and general practitioner facts for every patient and every clinician', () => {
    let checked = 0;
    const seen = new Set<string>();
    for (const record of clinic.patients) {
      for (const clinician of clinicians) {
        const expected: CareRelationship[] = [];
        if (record.careTeamPractitionerIds.includes(clinician.practitionerId)) expected.push('careTeam');
        if (record.encounterPractitionerIds.includes(clinician.practitionerId)) expected.push('encounter');
        if (record.generalPractitionerId === clinician.practitionerId) expected.push('generalPractitioner');
        const actual = practitionerRelationships(vault.db, clinician.practitionerId, record.id);
        expect({ patient: record.id, practitioner: clinician.practitionerId, relationships: actual }).toEqual({
          patient: record.id,
          practitioner: clinician.practitionerId,
          relationships: expected,
        });
        seen.add(expected.join('+') || '(none)');
        checked++;
      }
    }
    expect(checked).toBe(clinic.patients.length * clinicians.length);
    // The clinic exercises every kind of answer, including encounter-only (a physician outside the team).
    for (const kind of ['careTeam+encounter+generalPractitioner', 'careTeam+encounter', 'encounter', '(none)'])
      expect(seen).toContain(kind);
  });

  it('answers nothing for an unknown patient or practitioner, and for non-clinician references', () => {
    const record = clinic.patients[0]!;
    expect(practitionerRelationships(vault.db, record.generalPractitionerId, 'pat-does-not-exist')).toEqual([]);
    expect(practitionerRelationships(vault.db, 'prac-does-not-exist', record.id)).toEqual([]);
    const frontDesk = clinic.staff.find((s) => s.role === 'frontDesk')!;
    expect(practitionerRelationships(vault.db, frontDesk.practitionerId, record.id)).toEqual([]);
  });

  it('reads the patient\u2019s rows through the resources_by_patient index', () => {
    const plan = vault.db
      .prepare(`EXPLAIN QUERY PLAN SELECT json FROM resources WHERE patient_id = ? AND type = 'CareTeam'`)
      .all('pat-x') as { detail: string }[];
    expect(plan.map((p) => p.detail).join('\n')).toContain('resources_by_patient');
  });
});

describe('practitionerRelationships on hand-made records', () => {
  const gp = clinicians.find((c) => c.role === 'physician')!;
  const other = clinicians.find((c) => c.role === 'physician' && c !== gp)!;
  const nurse = clinicians.find((c) => c.role === 'nurse')!;

  it('follows a PractitionerRole reference and an absolute reference; ignores inactive care teams and voided encounters', () => {
    const patient = {
      ...testPatient('acc-1', 'Ilsabet', 'Quorn', 'ACC-1'),
      generalPractitioner: [{ reference: `PractitionerRole/${gp.practitionerRoleId}` }],
    };
    const inactiveTeam = {
      resourceType: 'CareTeam',
      id: 'acc-ct-inactive',
      status: 'inactive',
      subject: { reference: 'Patient/acc-1' },
      participant: [{ member: { reference: `Practitioner/${other.practitionerId}` } }],
    };
    const teamWithoutStatus = {
      resourceType: 'CareTeam',
      id: 'acc-ct-nostatus',
      subject: { reference: 'Patient/acc-1' },
      participant: [
        { member: { reference: `https://fhir.clinic.example/R4/Practitioner/${nurse.practitionerId}` } },
        { member: { display: 'A visiting carer' } },
      ],
    };
    const voided = {
      resourceType: 'Encounter',
      id: 'acc-enc-void',
      status: 'entered-in-error',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: 'Patient/acc-1' },
      participant: [{ individual: { reference: `Practitioner/${other.practitionerId}` } }],
    };
    const result = storeResources(vault.db, [patient, inactiveTeam, teamWithoutStatus, voided]);
    expect(result.rejected).toEqual([]);

    expect(practitionerRelationships(vault.db, gp.practitionerId, 'acc-1')).toEqual(['generalPractitioner']);
    expect(practitionerRelationships(vault.db, nurse.practitionerId, 'acc-1')).toEqual(['careTeam']);
    expect(practitionerRelationships(vault.db, other.practitionerId, 'acc-1')).toEqual([]);

    // The same encounter, no longer voided, links the other physician.
    storeResources(vault.db, [{ ...voided, status: 'finished' }]);
    expect(practitionerRelationships(vault.db, other.practitionerId, 'acc-1')).toEqual(['encounter']);
  });
});

describe('164.312(a)(1) authorization over the vault', () => {
  // A patient with a physician on none of their records: an outsider for that patient.
  const physicians = clinicians.filter((c) => c.role === 'physician');
  const outsiderCase = (() => {
    for (const record of clinic.patients) {
      const outsider = physicians.find(
        (p) =>
          p.practitionerId !== record.generalPractitionerId &&
          !record.careTeamPractitionerIds.includes(p.practitionerId) &&
          !record.encounterPractitionerIds.includes(p.practitionerId),
      );
      if (outsider) return { record, outsider };
    }
    throw new Error('the synthetic clinic has no outsider physician');
  })();

  it('an outsider physician gets a restricted chart: demographics yes, clinical no, until a break-glass grant for that patient', () => {
    const { record, outsider } = outsiderCase;
    const user = asUser(outsider);
    expect(chartAccess(vault.db, user, record.id, [])).toBe('restricted');
    expect(
      authorize(vault.db, { user, action: 'patient.demographics.read', patientId: record.id, activeGrants: [] }),
    ).toEqual({ allowed: true, basis: 'role' });
    expect(
      authorize(vault.db, { user, action: 'patient.clinical.read', patientId: record.id, activeGrants: [] }),
    ).toEqual({ allowed: false, reason: 'notOnCareTeam' });
    expect(
      authorize(vault.db, { user, action: 'patient.clinical.write', patientId: record.id, activeGrants: [] }),
    ).toEqual({ allowed: false, reason: 'notOnCareTeam' });

    const elsewhere: ActiveGrant = {
      grantId: 'g-1',
      userId: user.userId,
      patientId: clinic.patients.find((p) => p.id !== record.id)!.id,
    };
    expect(chartAccess(vault.db, user, record.id, [elsewhere])).toBe('restricted');
    const grant: ActiveGrant = { grantId: 'g-2', userId: user.userId, patientId: record.id };
    expect(chartAccess(vault.db, user, record.id, [elsewhere, grant])).toBe('full');
    expect(
      authorize(vault.db, { user, action: 'patient.clinical.read', patientId: record.id, activeGrants: [grant] }),
    ).toEqual({ allowed: true, basis: 'breakGlass', grantId: 'g-2' });
  });

  it('the general practitioner and a physician seen only at an encounter get the full chart, with that basis', () => {
    const record = clinic.patients.find((r) =>
      r.encounterPractitionerIds.some(
        (id) => physicians.some((p) => p.practitionerId === id) && !r.careTeamPractitionerIds.includes(id),
      ),
    )!;
    expect(record).toBeDefined();
    const gp = physicians.find((p) => p.practitionerId === record.generalPractitionerId)!;
    expect(chartAccess(vault.db, asUser(gp), record.id, [])).toBe('full');
    expect(
      authorize(vault.db, {
        user: asUser(gp),
        action: 'patient.clinical.write',
        patientId: record.id,
        activeGrants: [],
      }),
    ).toMatchObject({ allowed: true });

    const visiting = physicians.find(
      (p) =>
        record.encounterPractitionerIds.includes(p.practitionerId) &&
        !record.careTeamPractitionerIds.includes(p.practitionerId),
    )!;
    expect(
      authorize(vault.db, {
        user: asUser(visiting),
        action: 'patient.clinical.read',
        patientId: record.id,
        activeGrants: [],
      }),
    ).toEqual({ allowed: true, basis: 'encounter' });
  });

  it('front desk sees demographics only, privacy officer and IT admin nothing, even for a care-team patient', () => {
    const record = clinic.patients[3]!;
    for (const role of ['frontDesk', 'privacyOfficer', 'itAdmin'] as const) {
      const member = clinic.staff.find((s) => s.role === role)!;
      // Give them the patient's GP's practitioner id: role still decides.
      const user: AccessUser = { userId: member.username, role, practitionerId: record.generalPractitionerId };
      const grant: ActiveGrant = { grantId: 'g', userId: member.username, patientId: record.id };
      expect(chartAccess(vault.db, user, record.id, [grant])).toBe(role === 'frontDesk' ? 'restricted' : 'none');
      expect(
        authorize(vault.db, { user, action: 'patient.clinical.read', patientId: record.id, activeGrants: [grant] }),
      ).toEqual({ allowed: false, reason: 'role' });
    }
  });
});
