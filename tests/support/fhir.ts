/** Small hand-made FHIR resources for tests that need to know exactly what they stored. */
export function testPatient(id: string, given: string, family: string, mrn: string, birthDate = '1970-01-01') {
  return {
    resourceType: 'Patient' as const,
    id,
    meta: { versionId: '1', lastUpdated: '2026-01-01T00:00:00.000Z' },
    identifier: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
        system: 'urn:oid:2.16.840.1.113883.19.5',
        value: mrn,
      },
    ],
    name: [{ family, given: [given] }],
    gender: 'unknown' as const,
    birthDate,
  };
}

export function testNote(id: string, patientId: string, text: string) {
  return {
    resourceType: 'DocumentReference' as const,
    id,
    status: 'current' as const,
    type: { coding: [{ system: 'http://loinc.org', code: '11506-3', display: 'Progress note' }] },
    subject: { reference: `Patient/${patientId}` },
    date: '2026-01-01T10:00:00Z',
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(text).toString('base64') } }],
  };
}
