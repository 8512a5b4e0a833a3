import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as Medplum from '@medplum/fhirtypes';
import {
  DEFAULT_EPOCH,
  GENERATE_CLINIC_MAX_PATIENTS,
  MRN_SYSTEM,
  clinicSites,
  clinicStaff,
  generateClinic,
  generatePatientRecord,
  generateResources,
  resolveClinicOptions,
  syntheticPatientId,
} from '../../dev/synthetic/clinic.ts';
import type { ClinicOptions } from '../../dev/synthetic/clinic.ts';
import { FAMILY_ENDS, FAMILY_STARTS, GIVEN_STARTS } from '../../dev/synthetic/vocabulary.ts';
import {
  LOINC,
  UCUM,
  VITAL_SIGNS,
  VITAL_SIGNS_PROFILE,
  WORKSTATION_ROLE_SYSTEM,
  vitalSignByLoinc,
} from '../../src-shared/fhir/codes.ts';
import { parseReference } from '../../src-shared/fhir/datatypes.ts';
import { patientIdOf, patientSearchFields } from '../../src-shared/fhir/helpers.ts';
import { VitalSignsObservation, parseFhirResource } from '../../src-shared/fhir/resources.ts';
import type { FhirResource, Observation } from '../../src-shared/fhir/resources.ts';
import { Role } from '../../src-shared/access/roles.ts';
import type { WithPlaceholders } from '../support/medplum-types.ts';

const run = promisify(execFile);

function ndjsonHash(options: ClinicOptions): string {
  const hash = createHash('sha256');
  for (const resource of generateResources(options)) hash.update(JSON.stringify(resource) + '\n');
  return hash.digest('hex');
}

/** Every `reference` string anywhere inside a resource. */
function referencesIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const item of value) referencesIn(item, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === 'reference' && typeof child === 'string') out.push(child);
      else referencesIn(child, out);
    }
  }
  return out;
}

const decode = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');

// One mid-sized clinic shared by the content checks.
const clinic = generateClinic({ seed: 42, patients: 300 });
const byType = (type: FhirResource['resourceType']) => clinic.resources.filter((r) => r.resourceType === type);
const observations = byType('Observation') as Observation[];

describe('synthetic clinic: determinism', () => {
  it('gives byte-identical output for the same options', () => {
    const options = { seed: 7, patients: 150 };
    expect(ndjsonHash(options)).toBe(ndjsonHash(options));
    expect(JSON.stringify(generateClinic(options))).toBe(JSON.stringify(generateClinic(options)));
  });

  it('gives different output for a different seed or epoch', () => {
    const a = ndjsonHash({ seed: 7, patients: 50 });
    expect(ndjsonHash({ seed: 8, patients: 50 })).not.toBe(a);
    expect(ndjsonHash({ seed: 7, patients: 50, epoch: '2030-06-01T00:00:00Z' })).not.toBe(a);
    const namesA = generateClinic({ seed: 1, patients: 20 }).patients.map((p) => p.displayName);
    const namesB = generateClinic({ seed: 2, patients: 20 }).patients.map((p) => p.displayName);
    expect(namesA).not.toEqual(namesB);
  });

  it('generates one patient alone exactly as the stream does', () => {
    const options = { seed: 42, patients: 300 };
    for (const index of [0, 17, 299]) {
      const alone = generatePatientRecord(options, index);
      expect(alone).toEqual(clinic.patients[index]);
      const streamed = clinic.resources.filter((r) => patientIdOf(r) === syntheticPatientId(index));
      expect(streamed).toEqual([alone.patient, ...alone.resources]);
    }
  });

  it('keeps a patient the same when the clinic grows (each patient has its own seed)', () => {
    const small = generatePatientRecord({ seed: 42, patients: 10 }, 5);
    const large = generatePatientRecord({ seed: 42, patients: 5000 }, 5);
    // Staff numbers scale with the clinic, so only the patient's own facts are compared.
    expect(large.patient.name).toEqual(small.patient.name);
    expect(large.mrn).toBe(small.mrn);
    expect(large.birthDate).toBe(small.birthDate);
  });

  it('streams lazily: the first resources of a million-patient clinic come at once', () => {
    const started = performance.now();
    const first: FhirResource[] = [];
    for (const resource of generateResources({ seed: 1, patients: 1_000_000 })) {
      first.push(resource);
      if (first.length === 5000) break;
    }
    expect(first.length).toBe(5000);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('synthetic clinic: validity', () => {
  it('produces only resources that pass the FHIR schemas', () => {
    const failures: string[] = [];
    for (const resource of clinic.resources) {
      const result = parseFhirResource(resource);
      if (!result.success)
        failures.push(`${resource.resourceType}/${resource.id}: ${JSON.stringify(result.error.issues)}`);
      else expect(result.data).toEqual(resource);
    }
    expect(failures).toEqual([]);
  });

  it('gives unique ids per resource type and unique MRNs', () => {
    const keys = clinic.resources.map((r) => `${r.resourceType}/${r.id}`);
    expect(new Set(keys).size).toBe(keys.length);
    const mrns = clinic.patients.map((p) => p.mrn);
    expect(new Set(mrns).size).toBe(mrns.length);
    for (const mrn of mrns) expect(mrn).toMatch(/^\d{8}$/);
  });

  it('resolves every reference to a generated Patient, Practitioner or other resource', () => {
    const sites = clinic.sites.flatMap((site) => [site.organization, site.location]);
    const known = new Set([...sites, ...clinic.resources].map((r) => `${r.resourceType}/${r.id}`));
    const seen = new Set<string>();
    for (const resource of [...sites, ...clinic.resources]) {
      for (const reference of referencesIn(resource)) {
        const literal = parseReference(reference);
        expect(literal, reference).not.toBeNull();
        expect(known.has(reference), `${resource.resourceType}/${resource.id} -> ${reference}`).toBe(true);
        seen.add(literal?.type ?? '');
      }
    }
    expect([...seen].sort()).toEqual(['Condition', 'Encounter', 'Location', 'Organization', 'Patient', 'Practitioner']);
  });

  it('emits each patient before its resources and staff before patients (the sites come before all)', () => {
    const position = new Map<string, number>(clinic.resources.map((r, i) => [`${r.resourceType}/${r.id}`, i]));
    for (const site of clinic.sites)
      for (const r of [site.organization, site.location]) position.set(`${r.resourceType}/${r.id}`, -1);
    clinic.resources.forEach((resource, i) => {
      for (const reference of referencesIn(resource)) {
        expect(position.get(reference) ?? Infinity, reference).toBeLessThan(i);
      }
    });
  });

  it('keeps every time before the epoch', () => {
    const epoch = Date.parse(DEFAULT_EPOCH);
    for (const resource of clinic.resources) {
      expect(Date.parse(resource.meta?.lastUpdated ?? ''), resource.id).toBeLessThanOrEqual(epoch);
    }
    for (const p of clinic.patients) expect(Date.parse(p.birthDate)).toBeLessThan(epoch);
    for (const e of byType('Encounter')) {
      if (e.resourceType !== 'Encounter') continue;
      expect(Date.parse(e.period?.end ?? '')).toBeLessThan(epoch);
    }
  });

  it('produces types assignable to @medplum/fhirtypes', () => {
    expectTypeOf(clinic.patients[0]!.patient).toExtend<WithPlaceholders<Medplum.Patient>>();
    expectTypeOf(clinic.resources).toExtend<WithPlaceholders<Medplum.Resource>[]>();
  });
});

describe('synthetic clinic: sites (cache.scope organization and location)', () => {
  it('gives each patient a site Organization and each encounter a site Location, mostly the home one', () => {
    const organizations = new Set(clinic.sites.map((site) => site.organization.id));
    const locations = new Map(clinic.sites.map((site) => [site.location.id, site]));
    expect(clinic.sites.length).toBe(3);
    for (const site of clinic.sites)
      expect(site.location.managingOrganization.reference).toBe(`Organization/${site.organization.id}`);
    let home = 0;
    let away = 0;
    for (const record of clinic.patients) {
      expect(record.patient.managingOrganization?.reference).toBe(`Organization/${record.organizationId}`);
      expect(organizations.has(record.organizationId)).toBe(true);
      const encounters = record.resources.filter((r) => r.resourceType === 'Encounter');
      expect(encounters.map((e) => e.location?.[0]?.location.reference)).toEqual(
        record.encounterLocationIds.map((id) => `Location/${id}`),
      );
      for (const id of record.encounterLocationIds) {
        if (locations.get(id)?.organization.id === record.organizationId) home++;
        else away++;
      }
    }
    // Every site manages a real part of the clinic, and some visits are at another site.
    for (const id of organizations) {
      const managed = clinic.patients.filter((p) => p.organizationId === id).length;
      expect(managed, id).toBeGreaterThan(clinic.patients.length / 6);
      expect(managed, id).toBeLessThan(clinic.patients.length / 2);
    }
    expect(away).toBeGreaterThan(0);
    expect(home).toBeGreaterThan(away * 3);
  });

  it('draws sites from their own streams: the number of sites changes nothing else', () => {
    const three = generateClinic({ seed: 5, patients: 40, sites: 3 });
    const five = generateClinic({ seed: 5, patients: 40, sites: 5 });
    expect(five.sites.length).toBe(5);
    const withoutSites = (resources: FhirResource[]) =>
      resources.map((r) => {
        const { managingOrganization: _o, ...rest } = r as FhirResource & { managingOrganization?: unknown };
        if (rest.resourceType !== 'Encounter') return rest;
        const { location: _l, ...encounter } = rest as FhirResource & { location?: unknown };
        return encounter;
      });
    expect(withoutSites(five.resources)).toEqual(withoutSites(three.resources));
    // A large clinic has a site per 5,000 patients or so.
    expect(resolveClinicOptions({ seed: 1, patients: 1_000_000 }).sites).toBe(200);
    expect(clinicSites({ seed: 5, patients: 40 })).toEqual(three.sites);
  });

  it('produces sites assignable to @medplum/fhirtypes', () => {
    expectTypeOf(clinic.sites[0]!.organization).toExtend<WithPlaceholders<Medplum.Organization>>();
    expectTypeOf(clinic.sites[0]!.location).toExtend<WithPlaceholders<Medplum.Location>>();
  });
});

describe('synthetic clinic: sizes', () => {
  it('scales patients and other resources with the options (default about 10 per patient)', () => {
    const count = (options: ClinicOptions) => {
      const counts = { patients: 0, staff: 0, other: 0 };
      for (const r of generateResources(options)) {
        if (r.resourceType === 'Patient') counts.patients++;
        else if (r.resourceType === 'Practitioner' || r.resourceType === 'PractitionerRole') counts.staff++;
        else counts.other++;
      }
      return counts;
    };
    const base = count({ seed: 3, patients: 2000 });
    expect(base.patients).toBe(2000);
    expect(base.other / base.patients).toBeGreaterThan(9.5);
    expect(base.other / base.patients).toBeLessThan(10.5);

    const sparse = count({ seed: 3, patients: 2000, resourcesPerPatient: 4 });
    expect(sparse.other / sparse.patients).toBeGreaterThan(3.7);
    expect(sparse.other / sparse.patients).toBeLessThan(4.3);

    const dense = count({ seed: 3, patients: 200, resourcesPerPatient: 30 });
    expect(dense.other / dense.patients).toBeGreaterThan(28);
    expect(dense.other / dense.patients).toBeLessThan(32);

    expect(count({ seed: 3, patients: 100, resourcesPerPatient: 0 }).other).toBe(0);
    expect(count({ seed: 3, patients: 0 }).patients).toBe(0);
  });

  it('charts only every n-th patient with chartEvery: the others a Patient and one Encounter, the charted ones unchanged', () => {
    const full = { seed: 4, patients: 300 };
    const sparse = { ...full, chartEvery: 7 };
    const byPatient = new Map<string, string[]>();
    for (const r of generateResources(sparse)) {
      const about =
        r.resourceType === 'Patient'
          ? `Patient/${r.id}`
          : (r as { subject?: { reference?: string } }).subject?.reference;
      if (about) byPatient.set(about, [...(byPatient.get(about) ?? []), r.resourceType]);
    }
    expect(byPatient.size).toBe(300);
    for (let index = 0; index < 300; index++) {
      const record = generatePatientRecord(sparse, index);
      const whole = generatePatientRecord(full, index);
      // The same person either way: demographics do not depend on chartEvery.
      expect(record.patient).toEqual(whole.patient);
      if (index % 7 === 0) {
        expect(record.resources).toEqual(whole.resources);
      } else {
        expect(record.resources.map((r) => r.resourceType)).toEqual(['Encounter']);
        expect(byPatient.get(`Patient/${record.id}`)).toEqual(['Patient', 'Encounter']);
      }
    }
    // Deterministic like the rest.
    expect(JSON.stringify([...generateResources(sparse)])).toBe(JSON.stringify([...generateResources(sparse)]));
  });

  it('sizes the staff from the options', () => {
    const staff = clinicStaff({
      seed: 1,
      patients: 10,
      physicians: 3,
      nurses: 4,
      frontDesk: 2,
      privacyOfficers: 1,
      itAdmins: 2,
    });
    const perRole = Object.fromEntries(Role.options.map((role) => [role, staff.filter((s) => s.role === role).length]));
    expect(perRole).toEqual({ physician: 3, nurse: 4, frontDesk: 2, privacyOfficer: 1, itAdmin: 2 });
    const defaults = resolveClinicOptions({ seed: 1, patients: 100_000 });
    expect(defaults.physicians).toBe(200);
    expect(defaults.nurses).toBe(250);
  });

  it('refuses bad options with a clear error', () => {
    const bad: unknown[] = [
      { seed: -1, patients: 1 },
      { seed: 1.5, patients: 1 },
      { seed: 1, patients: -1 },
      { seed: 1, patients: 1, physicians: 0 },
      { seed: 1, patients: 1, epoch: '2025-01-01' },
      { seed: 1, patients: 1, colour: 'blue' },
      { seed: 1, patients: 1, chartEvery: 0 },
      { patients: 1 },
    ];
    for (const options of bad) {
      expect(() => resolveClinicOptions(options as ClinicOptions), JSON.stringify(options)).toThrow(
        /Invalid clinic options/,
      );
    }
    expect(() => generateClinic({ seed: 1, patients: GENERATE_CLINIC_MAX_PATIENTS + 1 })).toThrow(/generateResources/);
    expect(() => generatePatientRecord({ seed: 1, patients: 3 }, 3)).toThrow(RangeError);
  });
});

describe('synthetic clinic: content', () => {
  it('lists staff for all five roles, each a Practitioner with a matching PractitionerRole', () => {
    expect(new Set(clinic.staff.map((s) => s.role))).toEqual(new Set(Role.options));
    const usernames = clinic.staff.map((s) => s.username);
    expect(new Set(usernames).size).toBe(usernames.length);
    expect(usernames).toEqual(expect.arrayContaining(['physician1', 'nurse1', 'frontdesk1', 'privacy1', 'itadmin1']));
    for (const member of clinic.staff) {
      const practitioner = clinic.resources.find(
        (r) => r.resourceType === 'Practitioner' && r.id === member.practitionerId,
      );
      const role = clinic.resources.find(
        (r) => r.resourceType === 'PractitionerRole' && r.id === member.practitionerRoleId,
      );
      expect(practitioner).toBeDefined();
      if (role?.resourceType !== 'PractitionerRole') throw new Error(`no role for ${member.username}`);
      expect(role.practitioner?.reference).toBe(`Practitioner/${member.practitionerId}`);
      const codes = role.code?.flatMap((c) => c.coding ?? []).filter((c) => c.system === WORKSTATION_ROLE_SYSTEM);
      expect(codes?.map((c) => c.code)).toEqual([member.role]);
    }
  });

  it('gives patients an MRN, name, gender, birth date, address, telecom and a physician as GP', () => {
    const physicians = new Set(
      clinic.staff.filter((s) => s.role === 'physician').map((s) => `Practitioner/${s.practitionerId}`),
    );
    for (const record of clinic.patients) {
      const fields = patientSearchFields(record.patient);
      expect(fields.mrn).toBe(record.mrn);
      expect(fields.displayName).toBe(record.displayName);
      expect(fields.birthDate).toBe(record.birthDate);
      expect(fields.gender).not.toBeNull();
      expect(record.patient.identifier?.[0]?.system).toBe(MRN_SYSTEM);
      expect(record.patient.address?.[0]?.city).toBeTruthy();
      expect(record.patient.telecom?.length).toBeGreaterThan(0);
      expect(physicians.has(record.patient.generalPractitioner?.[0]?.reference ?? '')).toBe(true);
    }
  });

  it('uses only invented names from the built-in syllable lists', () => {
    const startsWithOneOf = (name: string, parts: readonly string[]) => parts.some((p) => name.startsWith(p));
    const endsWithOneOf = (name: string, parts: readonly string[]) => parts.some((p) => name.endsWith(p));
    for (const record of clinic.patients) {
      expect(
        startsWithOneOf(record.family, FAMILY_STARTS) && endsWithOneOf(record.family, FAMILY_ENDS),
        record.family,
      ).toBe(true);
      for (const given of record.given) expect(startsWithOneOf(given, GIVEN_STARTS), given).toBe(true);
    }
  });

  it('puts the GP and a nurse on each care team, and encounters have participants', () => {
    for (const record of clinic.patients) {
      if (record.careTeamPractitionerIds.length === 0) continue;
      expect(record.careTeamPractitionerIds[0]).toBe(record.generalPractitionerId);
      const roles = record.careTeamPractitionerIds.map((id) => clinic.staff.find((s) => s.practitionerId === id)?.role);
      expect(roles).toContain('nurse');
    }
    for (const encounter of byType('Encounter')) {
      if (encounter.resourceType !== 'Encounter') continue;
      expect(encounter.participant?.length).toBe(2);
    }
    // Some encounters are with a physician outside the care team (covering), as in real clinics.
    const outside = clinic.patients.filter((p) =>
      p.encounterPractitionerIds.some((id) => !p.careTeamPractitionerIds.includes(id)),
    );
    expect(outside.length).toBeGreaterThan(0);
  });

  it('codes vital signs with the vital-signs profile, LOINC codes and UCUM units', () => {
    const kinds = new Set<string>();
    for (const observation of observations) {
      expect(VitalSignsObservation.safeParse(observation).success, observation.id).toBe(true);
      expect(observation.meta?.profile).toContain(VITAL_SIGNS_PROFILE);
      const loinc = observation.code.coding?.[0];
      expect(loinc?.system).toBe(LOINC);
      const vital = vitalSignByLoinc(loinc?.code ?? '');
      if (!vital) throw new Error(`unexpected code ${loinc?.code}`);
      kinds.add(vital.key);
      if (vital.components) {
        expect(observation.valueQuantity).toBeUndefined();
        expect(observation.component?.map((c) => c.code.coding?.[0]?.code)).toEqual(['8480-6', '8462-4']);
        for (const c of observation.component ?? [])
          expect(c.valueQuantity).toMatchObject({ system: UCUM, code: 'mm[Hg]' });
      } else {
        expect(observation.valueQuantity).toMatchObject({ system: UCUM, code: vital.ucum, unit: vital.unit });
      }
    }
    expect([...kinds].sort()).toEqual(Object.keys(VITAL_SIGNS).sort());

    const expectedUnits: Record<string, string> = {
      '8867-4': '/min',
      '8310-5': 'Cel',
      '9279-1': '/min',
      '29463-7': 'kg',
      '2708-6': '%',
    };
    for (const [code, unit] of Object.entries(expectedUnits)) {
      const sample = observations.find((o) => o.code.coding?.[0]?.code === code);
      expect(sample?.valueQuantity?.code).toBe(unit);
    }
    const spo2 = observations.find((o) => o.code.coding?.[0]?.code === '2708-6');
    expect(spo2?.code.coding?.map((c) => c.code)).toEqual(['2708-6', '59408-5']);
  });

  it('keeps vital signs in physiological ranges', () => {
    const ranges: Record<string, [number, number]> = {
      '8867-4': [40, 180],
      '8310-5': [35, 41],
      '9279-1': [8, 40],
      '29463-7': [2, 200],
      '2708-6': [85, 100],
      '8480-6': [80, 200],
      '8462-4': [40, 130],
    };
    const check = (code: string | undefined, value: number | undefined) => {
      const range = ranges[code ?? ''];
      if (!range || value === undefined) throw new Error(`no value for ${code}`);
      expect(value, code).toBeGreaterThanOrEqual(range[0]);
      expect(value, code).toBeLessThanOrEqual(range[1]);
    };
    for (const o of observations) {
      if (o.component) {
        const [systolic, diastolic] = o.component.map((c) => c.valueQuantity?.value ?? NaN);
        expect(systolic! - diastolic!).toBeGreaterThanOrEqual(20);
        for (const c of o.component) check(c.code.coding?.[0]?.code, c.valueQuantity?.value);
      } else {
        check(o.code.coding?.[0]?.code, o.valueQuantity?.value);
      }
    }
  });

  it('codes conditions in SNOMED CT and medications in RxNorm', () => {
    for (const c of byType('Condition')) {
      if (c.resourceType === 'Condition') expect(c.code?.coding?.[0]?.system).toBe('http://snomed.info/sct');
    }
    for (const m of byType('MedicationRequest')) {
      if (m.resourceType === 'MedicationRequest') {
        expect(m.medicationCodeableConcept?.coding?.[0]?.system).toBe('http://www.nlm.nih.gov/research/umls/rxnorm');
      }
    }
    expect(byType('AllergyIntolerance').length).toBeGreaterThan(0);
  });

  it('lets a test pick one patient and know its name, MRN and note text', () => {
    const record = clinic.patients.find((p) => p.noteTexts.length > 0);
    if (!record) throw new Error('no patient with notes');
    const notes = record.resources.filter((r) => r.resourceType === 'DocumentReference');
    expect(notes.length).toBe(record.noteTexts.length);
    notes.forEach((note, i) => {
      if (note.resourceType !== 'DocumentReference') return;
      expect(note.type?.coding?.[0]).toMatchObject({ system: LOINC, code: '11506-3' });
      const attachment = note.content[0]?.attachment;
      expect(attachment?.contentType).toBe('text/plain');
      const text = decode(attachment?.data ?? '');
      expect(text).toBe(record.noteTexts[i]);
      expect(text).toContain(`MRN: ${record.mrn}`);
      expect(text).toContain(`${record.given.join(' ')} ${record.family}`);
    });
  });
});

describe('synthetic clinic: command line', () => {
  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'dev/synthetic/main.ts', ...args], { maxBuffer: 64 * 1024 * 1024 });

  it('writes the same NDJSON as the library', async () => {
    const { stdout } = await cli('--patients', '20', '--seed', '9');
    const lines = stdout.trimEnd().split('\n');
    const sites = clinicSites({ seed: 9, patients: 20 }).flatMap((site) => [site.organization, site.location]);
    const expected = [...sites, ...generateResources({ seed: 9, patients: 20 })].map((r) => JSON.stringify(r));
    expect(lines).toEqual(expected);
  }, 30_000);

  it('exits with code 2 and explains bad arguments', async () => {
    const bad = [
      ['--seed', '1'],
      ['--patients', '10'],
      ['--patients', 'ten', '--seed', '1'],
      ['--patients', '10', '--seed', '-1'],
      ['--patients', '10', '--seed', '1', '--epoch', 'yesterday'],
      ['--patients', '10', '--seed', '1', '--unknown', '1'],
      ['--patients', '10', '--seed', '99999999999'],
      ['--patients', '10', '--seed', '1', 'extra'],
    ];
    const failures = await Promise.all(
      bad.map((args) =>
        cli(...args).then(
          () => ({ args, code: 0, stderr: '' }),
          (error: { code?: number; stderr?: string }) => ({ args, code: error.code, stderr: error.stderr ?? '' }),
        ),
      ),
    );
    for (const failure of failures) {
      expect(failure.code, failure.args.join(' ')).toBe(2);
      expect(failure.stderr, failure.args.join(' ')).toMatch(/^synthetic: .+\n[\s\S]*Usage:/);
    }
  }, 30_000);
});
