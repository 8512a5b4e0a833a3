/**
 * A large chart for the budgets that name one (issue 6: 500 observations and 50 notes): the
 * synthetic patient's own vital signs and notes, repeated under new ids and earlier dates.
 */
type Resource = {
  resourceType: string;
  id: string;
  subject?: { reference?: string };
  effectiveDateTime?: string;
  date?: string;
};

export function largeChart(
  resources: readonly Resource[],
  patientId: string,
  size: { observations: number; notes: number },
): Resource[] {
  const own = resources.filter((r) => r.subject?.reference === `Patient/${patientId}`);
  const observations = own.filter((r) => r.resourceType === 'Observation');
  const notes = resources.filter((r) => r.resourceType === 'DocumentReference');
  if (observations.length === 0 || notes.length === 0)
    throw new Error('the patient has no observation or the clinic no note to repeat');
  const day = (i: number) => new Date(Date.UTC(2020, 0, 1) - i * 86_400_000).toISOString();
  // Ids of their own per patient (several large charts in one cache), within FHIR's 64 characters.
  const tag = patientId.replace(/[^A-Za-z0-9]/g, '').slice(-12);
  const out: Resource[] = [];
  for (let i = 0; i < size.observations; i++) {
    const base = observations[i % observations.length]!;
    out.push({ ...structuredClone(base), id: `${base.id}-${tag}-x${i}`, effectiveDateTime: day(i) });
  }
  for (let i = 0; i < size.notes; i++) {
    const base = notes[i % notes.length]!;
    out.push({
      ...structuredClone(base),
      id: `${base.id}-${tag}-x${i}`,
      subject: { reference: `Patient/${patientId}` },
      date: day(i),
    });
  }
  return out;
}
