/**
 * What a clinician enters: vital signs within plausible ranges and in the profile's units, built
 * into FHIR R4 vital-signs Observations (LOINC, UCUM); notes as DocumentReferences; allergy edits
 * that keep the rest of the record.
 */
import { describe, expect, it } from 'vitest';
import { AllergyEdit, NoteEntry, VITAL_FIELDS, VITAL_RANGES, VitalsEntry } from '../../src-shared/chart/vitals.ts';
import { AllergyIntolerance, DocumentReference, VitalSignsObservation } from '../../src-shared/fhir/index.ts';
import { clinicalNote, vitalSignObservations } from '../../src-main/records/edits.ts';
import { allergyEditOf, editedAllergy } from '../../src-main/records/allergy-edit.ts';
import { buildChart } from '../../src-main/records/chart.ts';

const author = { practitionerId: 'pract-1', displayName: 'Test Nurse' };
const at = new Date('2026-11-29T10:00:00Z');

describe('vital signs entry', () => {
  it('accepts values at the edges of each range and refuses just beyond, naming the field', () => {
    for (const field of VITAL_FIELDS) {
      const { min, max, decimals } = VITAL_RANGES[field];
      const pair = field === 'systolic' ? { diastolic: 20 } : field === 'diastolic' ? { systolic: 300 } : {};
      expect(VitalsEntry.safeParse({ [field]: min, ...pair }).success, `${field} min`).toBe(
        field !== 'diastolic' || min < 300,
      );
      expect(
        VitalsEntry.safeParse({
          [field]: max,
          ...(field === 'systolic' ? { diastolic: 20 } : field === 'diastolic' ? {} : {}),
        }).success || field === 'diastolic',
        `${field} max`,
      ).toBe(true);
      const step = 10 ** -decimals;
      const below = VitalsEntry.safeParse({ [field]: min - step, ...pair });
      expect(below.success, `${field} below`).toBe(false);
      expect(below.error?.issues.some((issue) => issue.path[0] === field && issue.message.includes('at least'))).toBe(
        true,
      );
    }
  });

  it('refuses an empty entry, half a blood pressure, diastolic above systolic and too many decimals', () => {
    expect(VitalsEntry.safeParse({}).error?.issues[0]?.message).toBe('Enter at least one vital sign');
    expect(VitalsEntry.safeParse({ systolic: 120 }).error?.issues[0]?.message).toMatch(/both systolic and diastolic/);
    expect(VitalsEntry.safeParse({ systolic: 80, diastolic: 90 }).error?.issues[0]?.path).toEqual(['diastolic']);
    expect(VitalsEntry.safeParse({ heartRate: 72.5 }).error?.issues[0]?.message).toBe(
      'Heart rate must be a whole number',
    );
    expect(VitalsEntry.safeParse({ bodyTemperature: 37.25 }).success).toBe(false);
    expect(VitalsEntry.safeParse({ bodyTemperature: 37.2 }).success).toBe(true);
    expect(VitalsEntry.safeParse({ heartRate: 72, pulse: 80 }).success).toBe(false);
  });

  it('builds one vital-signs Observation per sign, blood pressure as one panel, each valid for its profile', () => {
    const observations = vitalSignObservations(
      'pat-1',
      {
        heartRate: 72,
        systolic: 128,
        diastolic: 84,
        bodyTemperature: 37.4,
        oxygenSaturation: 97,
        respiratoryRate: 16,
        bodyWeight: 70.5,
      },
      author,
      at,
    );
    expect(observations).toHaveLength(6);
    for (const observation of observations) expect(VitalSignsObservation.safeParse(observation).success).toBe(true);
    const bp = observations.find((o) => o.code.coding?.[0]?.code === '85354-9')!;
    expect(bp.component?.map((c) => [c.code.coding?.[0]?.code, c.valueQuantity?.value, c.valueQuantity?.code])).toEqual(
      [
        ['8480-6', 128, 'mm[Hg]'],
        ['8462-4', 84, 'mm[Hg]'],
      ],
    );
    expect(observations.find((o) => o.code.coding?.[0]?.code === '8310-5')?.valueQuantity).toMatchObject({
      value: 37.4,
      system: 'http://unitsofmeasure.org',
      code: 'Cel',
    });
    expect(new Set(observations.map((o) => o.id)).size).toBe(6);
    expect(
      observations.every((o) => o.subject?.reference === 'Patient/pat-1' && o.effectiveDateTime === at.toISOString()),
    ).toBe(true);
    // The chart shows them as the clinician entered them.
    const chart = buildChart(new Map([['Observation', observations]]));
    expect(chart.vitals.map((v) => v.value).sort()).toEqual([
      '128/84 mmHg',
      '16 breaths/minute',
      '37.4 C',
      '70.5 kg',
      '72 beats/minute',
      '97 %',
    ]);
    // And as numbers in UCUM units for the flowsheet and trends: systolic first, then diastolic.
    const amounts = (code: string) => chart.vitals.find((v) => v.code === code)?.amounts;
    expect(amounts('85354-9')).toEqual([
      { value: 128, ucum: 'mm[Hg]' },
      { value: 84, ucum: 'mm[Hg]' },
    ]);
    expect(amounts('8310-5')).toEqual([{ value: 37.4, ucum: 'Cel' }]);
  });
});

describe('notes and allergy edits', () => {
  it('a note is a valid DocumentReference whose text the chart shows back', () => {
    const entry = NoteEntry.parse({ title: 'Progress note', text: '  Synthetic: review in two weeks.  ' });
    const note = clinicalNote('pat-1', entry, author, at);
    expect(DocumentReference.safeParse(note).success).toBe(true);
    expect(buildChart(new Map([['DocumentReference', [note]]])).notes[0]).toMatchObject({
      title: 'Progress note',
      text: 'Synthetic: review in two weeks.',
      author: 'Test Nurse',
    });
    expect(NoteEntry.safeParse({ title: 'x', text: '   ' }).success).toBe(false);
    expect(NoteEntry.safeParse({ title: 'x', text: 'a'.repeat(20_001) }).success).toBe(false);
  });

  it('vitals and notes are always new resources (fresh ids): they edit nothing that could lose data', () => {
    const entry = { heartRate: 72, systolic: 120, diastolic: 80 };
    const ids = [
      ...vitalSignObservations('pat-1', entry, author, at),
      ...vitalSignObservations('pat-1', entry, author, at),
      clinicalNote('pat-1', { title: 'Progress note', text: 'Synthetic.' }, author, at),
      clinicalNote('pat-1', { title: 'Progress note', text: 'Synthetic.' }, author, at),
    ].map((resource) => resource.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('an allergy edit changes criticality, clinical status and comment, and keeps the rest', () => {
    const allergy = AllergyIntolerance.parse({
      resourceType: 'AllergyIntolerance',
      id: 'allergy-1',
      meta: { versionId: 'v1' },
      patient: { reference: 'Patient/pat-1' },
      code: { text: 'Penicillin' },
      criticality: 'low',
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }],
      },
      reaction: [{ manifestation: [{ text: 'Hives' }] }],
    });
    const edited = editedAllergy(
      allergy,
      AllergyEdit.parse({ criticality: 'high', clinicalStatus: 'inactive', note: 'Synthetic comment' }),
      author,
      at,
    );
    expect(AllergyIntolerance.safeParse(edited).success).toBe(true);
    expect(allergyEditOf(edited)).toEqual({ criticality: 'high', clinicalStatus: 'inactive' });
    expect(edited).toMatchObject({
      id: 'allergy-1',
      code: { text: 'Penicillin' },
      reaction: allergy.reaction,
      patient: allergy.patient,
      note: [{ text: 'Synthetic comment', time: at.toISOString() }],
    });
    // An empty comment adds no note and removes none (tests/unit/allergy-edit.test.ts has the rest).
    expect(
      editedAllergy(edited, AllergyEdit.parse({ criticality: 'low', clinicalStatus: 'active' }), author, at).note,
    ).toEqual(edited.note);
    expect(buildChart(new Map([['AllergyIntolerance', [edited]]])).allergies[0]?.notes).toEqual([
      { text: 'Synthetic comment', author: 'Test Nurse', time: at.toISOString() },
    ]);
  });
});

describe('the chart leaves out what central marked entered in error', () => {
  it('vitals, notes, problems and allergies marked entered-in-error are not shown; the others are', () => {
    const observations = vitalSignObservations('pat-1', { heartRate: 72, respiratoryRate: 14 }, author, at);
    const wrong = { ...observations[0]!, status: 'entered-in-error' as const };
    const note = clinicalNote('pat-1', { title: 'Progress note', text: 'Synthetic.' }, author, at);
    const allergy = {
      resourceType: 'AllergyIntolerance',
      id: 'a-1',
      patient: { reference: 'Patient/pat-1' },
      code: { text: 'Latex' },
      verificationStatus: {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'entered-in-error' },
        ],
      },
    };
    const problem = {
      resourceType: 'Condition',
      id: 'c-1',
      subject: { reference: 'Patient/pat-1' },
      code: { text: 'Asthma' },
      verificationStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'entered-in-error' }],
      },
    };
    const chart = buildChart(
      new Map<string, never[]>([
        ['Observation', [wrong, observations[1]] as never[]],
        ['DocumentReference', [{ ...note, status: 'entered-in-error' }] as never[]],
        ['AllergyIntolerance', [allergy] as never[]],
        ['Condition', [problem] as never[]],
      ]),
    );
    expect(chart.vitals.map((v) => v.value)).toEqual(['14 breaths/minute']);
    expect(chart.notes).toEqual([]);
    expect(chart.allergies).toEqual([]);
    expect(chart.problems).toEqual([]);
  });
});
