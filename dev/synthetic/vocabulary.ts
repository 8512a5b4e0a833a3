/**
 * Built-in word lists of the synthetic clinic. Names are invented syllable combinations
 * ("Zyxmira Quorbelix"), chosen to look unlike real names: the generator never uses real
 * people's data. Clinical codes are real (SNOMED CT, RxNorm, LOINC) so screens look right.
 */

export const GIVEN_STARTS = [
  'Zyx',
  'Quil',
  'Vor',
  'Bex',
  'Thal',
  'Myr',
  'Osk',
  'Kel',
  'Dru',
  'Fenx',
  'Jor',
  'Lix',
  'Nim',
  'Pav',
  'Rud',
  'Syl',
  'Tov',
  'Ulm',
  'Wex',
  'Yad',
  'Zer',
  'Brim',
  'Cav',
  'Grel',
  'Hox',
  'Ivr',
  'Quo',
  'Xan',
] as const;
export const GIVEN_ENDS_FEMININE = ['ara', 'ika', 'elle', 'ine', 'ova', 'ynne', 'issa', 'eda', 'mira', 'ula'] as const;
export const GIVEN_ENDS_MASCULINE = ['orn', 'ax', 'ek', 'ius', 'ando', 'ir', 'uld', 'emar', 'ost', 'arn'] as const;
export const FAMILY_STARTS = [
  'Quor',
  'Zyx',
  'Vrel',
  'Xan',
  'Blor',
  'Thrix',
  'Gorv',
  'Pluv',
  'Snek',
  'Wuz',
  'Krel',
  'Drax',
  'Fyl',
  'Mox',
  'Nub',
  'Oxl',
  'Prog',
  'Tazz',
  'Yulv',
  'Zorb',
  'Jix',
  'Hulm',
  'Clov',
  'Vex',
] as const;
export const FAMILY_ENDS = [
  'belix',
  'mire',
  'vane',
  'stok',
  'quist',
  'drell',
  'hollow',
  'worp',
  'zand',
  'ovic',
  'enko',
  'itch',
  'ardt',
  'umbe',
  'yx',
  'orrow',
  'lund',
  'asca',
] as const;

export const PLACE_STARTS = ['Quel', 'Vor', 'Zan', 'Brix', 'Thol', 'Myrr', 'Ost', 'Kelv', 'Dun', 'Fex'] as const;
export const PLACE_ENDS = ['haven', 'mouth', 'ford', 'ridge', 'vale', 'port', 'stead', 'wick'] as const;
export const STREET_TYPES = ['Street', 'Lane', 'Road', 'Way', 'Court', 'Avenue'] as const;

export interface ConditionCode {
  readonly code: string;
  readonly display: string;
  readonly chronic: boolean;
  readonly minAge: number;
  /** RxNorm codes of medicines typically prescribed for it. */
  readonly medicines: readonly string[];
}

export const CONDITIONS: readonly ConditionCode[] = [
  {
    code: '38341003',
    display: 'Hypertensive disorder, systemic arterial',
    chronic: true,
    minAge: 25,
    medicines: ['314076', '197361', '310798'],
  },
  { code: '44054006', display: 'Diabetes mellitus type 2', chronic: true, minAge: 25, medicines: ['860975'] },
  { code: '195967001', display: 'Asthma', chronic: true, minAge: 3, medicines: ['745679', '895994'] },
  { code: '13645005', display: 'Chronic obstructive lung disease', chronic: true, minAge: 45, medicines: ['745679'] },
  { code: '35489007', display: 'Depressive disorder', chronic: true, minAge: 14, medicines: ['312938'] },
  { code: '197480006', display: 'Anxiety disorder', chronic: true, minAge: 12, medicines: ['312938'] },
  { code: '55822004', display: 'Hyperlipidemia', chronic: true, minAge: 30, medicines: ['259255', '312961'] },
  { code: '49436004', display: 'Atrial fibrillation', chronic: true, minAge: 50, medicines: ['855332'] },
  { code: '84114007', display: 'Heart failure', chronic: true, minAge: 50, medicines: ['314076'] },
  { code: '396275006', display: 'Osteoarthritis', chronic: true, minAge: 40, medicines: ['313782', '310965'] },
  { code: '40930008', display: 'Hypothyroidism', chronic: true, minAge: 18, medicines: ['966222'] },
  { code: '37796009', display: 'Migraine', chronic: true, minAge: 10, medicines: ['310965'] },
  { code: '414916001', display: 'Obesity', chronic: true, minAge: 10, medicines: [] },
  { code: '444814009', display: 'Viral sinusitis', chronic: false, minAge: 0, medicines: ['313782'] },
  { code: '10509002', display: 'Acute bronchitis', chronic: false, minAge: 0, medicines: ['313782'] },
  { code: '68566005', display: 'Urinary tract infectious disease', chronic: false, minAge: 2, medicines: ['308182'] },
  { code: '43878008', display: 'Streptococcal sore throat', chronic: false, minAge: 2, medicines: ['308182'] },
  { code: '65363002', display: 'Otitis media', chronic: false, minAge: 0, medicines: ['308182', '313820'] },
];

export interface MedicineCode {
  readonly code: string;
  readonly display: string;
  readonly dose: { readonly value: number; readonly unit: string; readonly formCode: string };
  readonly route: 'oral' | 'inhalation';
  readonly timesPerDay: number;
  readonly chronic: boolean;
}

export const MEDICINES: readonly MedicineCode[] = [
  {
    code: '314076',
    display: 'lisinopril 10 MG Oral Tablet',
    dose: { value: 1, unit: 'tablet', formCode: 'TAB' },
    route: 'oral',
    timesPerDay: 1,
    chronic: true,
  },
  {
    code: '197361',
    display: 'amlodipine 5 MG Oral Tablet',
    dose: { value: 1, unit: 'tablet', formCode: 'TAB' },
    route: 'oral',
    timesPerDay: 1,
    chronic: true,
  },
  {
    code: '310798',
    display: 'Hydrochlorothiazide 25 MG Oral Tablet',
    dose: { value: 1, unit: 'tablet', formCode: 'TAB' },
    route: 'oral',
    timesPerDay: 1,
    chronic: true,
  },
  {
    code: '860975',
    display: '24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet',
    dose: { value: 1, unit: 'tablet', formCode: 'TAB' },
    route: 'oral',
    timesPerDay: 2,
    chronic: true,
  },
  {
    code: '745679',
    display: '200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler',
    dose: { value: 2, unit: 'puff', formCode: 'INHL' },
    route: 'inhalation',
    timesPerDay: 4,
    chronic: true,
  },
  {
    code: '895994',
    display: '120 ACTUAT Fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler',
    dose: { value: 2, unit: 'puff', formCode: 'INHL' },
    route: 'inhalation',
    timesPerDay: 2,
    chronic: true,
  },
  {
    code: '312938',
    display: 'Sertraline 100 MG Oral Tablet',
    dose: { value: 1, unit: 'tablet', formCode: 'TAB' },
    route: 'oral',
    timesPerDay: 1,
    chronic: true,
  },
  {
    code: '259255',
    display: 'Atorvastatin 80 MG Oral Tablet',
    dose: { value: 1, unit: 'tablet', formCode: 'TAB' },
    route: 'oral',
    timesPerDay: 1,
    chronic: true,
  },
  {
    code: '312961',
    display: 'Simvastatin 20 MG Oral Tablet',
    dose: { value: 1, unit: 'tablet', formCode: 'TAB' },
    route: 'oral',
    timesPerDay: 1,
    chronic: true,
  },
  {
    code: '855332',
    display: 'Warfarin Sodium 5 MG Oral Tablet',
    dose: { value: 1, unit: 'tablet', formCode: 'TAB' },
    route: 'oral',
    timesPerDay: 1,
    chronic: true,
  },
  {
    code: '966222',
    display: 'Levothyroxine Sodium 0.075 MG Oral Tablet',
    dose: { value: 1, unit: 'tablet', formCode: 'TAB' },
    route: 'oral',
    timesPerDay: 1,
    chronic: true,
  },
  {
    code: '313782',
    display: 'Acetaminophen 325 MG Oral Tablet',
    dose: { value: 2, unit: 'tablet', formCode: 'TAB' },
    route: 'oral',
    timesPerDay: 3,
    chronic: false,
  },
  {
    code: '310965',
    display: 'Ibuprofen 200 MG Oral Tablet',
    dose: { value: 1, unit: 'tablet', formCode: 'TAB' },
    route: 'oral',
    timesPerDay: 3,
    chronic: false,
  },
  {
    code: '308182',
    display: 'Amoxicillin 250 MG Oral Capsule',
    dose: { value: 1, unit: 'capsule', formCode: 'CAP' },
    route: 'oral',
    timesPerDay: 3,
    chronic: false,
  },
  {
    code: '313820',
    display: 'Acetaminophen 160 MG Chewable Tablet',
    dose: { value: 1, unit: 'tablet', formCode: 'CHEWTAB' },
    route: 'oral',
    timesPerDay: 3,
    chronic: false,
  },
];

export interface AllergyCode {
  readonly code: string;
  readonly display: string;
  readonly category: 'food' | 'medication' | 'environment';
}

export const ALLERGIES: readonly AllergyCode[] = [
  { code: '91936005', display: 'Allergy to penicillin', category: 'medication' },
  { code: '91935009', display: 'Allergy to peanuts', category: 'food' },
  { code: '300913006', display: 'Shellfish allergy', category: 'food' },
  { code: '91930004', display: 'Allergy to eggs', category: 'food' },
  { code: '417532002', display: 'Allergy to fish', category: 'food' },
  { code: '418689008', display: 'Allergy to grass pollen', category: 'environment' },
  { code: '232350006', display: 'House dust mite allergy', category: 'environment' },
  { code: '419474003', display: 'Allergy to mould', category: 'environment' },
  { code: '232347008', display: 'Dander (animal) allergy', category: 'environment' },
  { code: '300916003', display: 'Latex allergy', category: 'environment' },
];

export const REACTIONS = [
  { code: '247472004', display: 'Wheal' },
  { code: '271807003', display: 'Eruption of skin' },
  { code: '39579001', display: 'Anaphylaxis' },
  { code: '49727002', display: 'Cough' },
  { code: '267036007', display: 'Dyspnea' },
  { code: '76067001', display: 'Sneezing' },
  { code: '422587007', display: 'Nausea' },
  { code: '418290006', display: 'Itching of skin' },
] as const;

export const ENCOUNTER_TYPES = [
  { code: '185349003', display: 'Encounter for check up' },
  { code: '185345009', display: 'Encounter for symptom' },
  { code: '390906007', display: 'Follow-up encounter' },
] as const;

export const COMPLAINTS = [
  'reports feeling generally well',
  'reports intermittent headaches over the past two weeks',
  'reports a dry cough for five days',
  'reports mild fatigue',
  'reports improved sleep since the last visit',
  'reports occasional dizziness on standing',
  'reports knee pain after walking',
  'has no new complaints',
] as const;

export const EXAM_FINDINGS = [
  'Lungs clear to auscultation',
  'Heart sounds regular, no murmur',
  'Abdomen soft and non-tender',
  'No peripheral oedema',
  'Throat mildly erythematous',
  'Skin warm and dry',
] as const;

export const PLANS = [
  'Continue current medication',
  'Lifestyle advice given on diet and activity',
  'Blood tests ordered',
  'Medication dose reviewed and unchanged',
  'Advised rest and fluids',
  'Referral letter discussed',
] as const;
