/**
 * Issue 6's scenario in Chromium through the dev web host, against dev central: a physician
 * searches a patient as they type, opens the chart, records vitals and writes a note while
 * central is unreachable, sees them pending, comes back online and sees them synced; a second
 * workstation sees them after its pull. Accessible names from PRODUCT.md as selectors; axe on the
 * search and the chart.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { fhirFetch, signIn, type Central } from '../support/central.ts';
import {
  expectNoSeriousAxeViolations,
  signInAtProvider,
  startWorkstation,
  startWorkstationStand,
  type WorkstationStand,
} from '../support/e2e.ts';

const CLINIC = { seed: 37, patients: 40 };
const NOTE = 'Synthetic: reviewed at the bedside, plan unchanged, follow up in two weeks.';

let stand: WorkstationStand;
let central: Central;
const closers: (() => Promise<void>)[] = [];

test.beforeAll(async () => {
  stand = await startWorkstationStand({ clinic: CLINIC, policy: { lock: { idleSeconds: 3600, warningSeconds: 30 } } });
  central = stand.central;
});

test.afterAll(async () => {
  for (const close of closers.splice(0)) await close();
  await stand?.close();
});

async function signInAt(page: Page, url: string, username: string, pin: string): Promise<void> {
  await page.goto(url);
  await signInAtProvider(page, page.context(), central, username);
  await page.getByLabel('New PIN').fill(pin);
  await page.getByLabel('Confirm PIN').fill(pin);
  await page.getByRole('button', { name: 'Set PIN' }).click();
  await expect(page.getByRole('status', { name: 'Sync status' })).toContainText('last synced', { timeout: 30_000 });
}

async function openChart(page: Page, typed: string, name: string): Promise<void> {
  // Results as the clinician types: no Enter needed.
  await page.getByRole('searchbox', { name: 'Search patients' }).fill(typed);
  await page.getByRole('list', { name: 'Patients found' }).getByRole('button', { name }).click();
  await expect(page.getByRole('region', { name: 'Vitals' })).toBeVisible();
}

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  closers.push(() => context.close());
  return context.newPage();
}

test('vitals and a note written offline are pending, then synced, and a second workstation sees them', async ({
  page,
  browser,
}) => {
  test.setTimeout(180_000);
  const physician = central.users.find((u) => u.role === 'physician')!;
  const patientId = stand.cache.split(physician.practitionerId).mine[0]!;
  const patient = stand.cache.summaries.get(patientId)!;

  await signInAt(page, stand.host.url, physician.username, '602913');
  await page.getByRole('searchbox', { name: 'Search patients' }).fill(patient.name.slice(0, 3));
  await expect(page.getByRole('list', { name: 'Patients found' })).toBeVisible();
  await expectNoSeriousAxeViolations(page);
  await openChart(page, patient.mrn!, patient.name);
  for (const section of ['Allergies', 'Problems', 'Medications', 'Vitals', 'Notes'])
    await expect(page.getByRole('region', { name: section })).toBeVisible();

  // Central goes away.
  const offline = central.faults.inject({ kind: 'unreachable', times: Infinity });
  const vitals = page.getByRole('region', { name: 'Vitals' });
  await vitals.getByRole('button', { name: 'Record vitals' }).click();
  const form = page.getByRole('form', { name: 'Record vitals' });
  await form.getByLabel('Heart rate (/min)').fill('720');
  await form.getByRole('button', { name: 'Save vitals' }).click();
  await expect(form).toContainText('at most 300');
  await form.getByLabel('Heart rate (/min)').fill('93');
  await form.getByLabel('Systolic blood pressure (mmHg)').fill('136');
  await form.getByLabel('Diastolic blood pressure (mmHg)').fill('87');
  await form.getByRole('button', { name: 'Save vitals' }).click();
  await expect(vitals.getByText('Pending sync', { exact: true })).toHaveCount(2);
  await expect(vitals).toContainText('136/87');
  // The trend draws the new reading after the patient's earlier ones, and says so in words.
  await expect(
    vitals.getByRole('img', { name: /^Blood pressure trend: systolic [0-9., ]*136; diastolic [0-9., ]*87 mmHg$/ }),
  ).toBeVisible();

  const notes = page.getByRole('region', { name: 'Notes' });
  await notes.getByRole('button', { name: 'Write note' }).click();
  await page.getByRole('form', { name: 'Write note' }).getByLabel('Note', { exact: true }).fill(NOTE);
  await page.getByRole('form', { name: 'Write note' }).getByRole('button', { name: 'Save note' }).click();
  await expect(notes).toContainText(NOTE);
  await expect(notes.getByText('Pending sync', { exact: true })).toHaveCount(1);

  const status = page.getByRole('status', { name: 'Sync status' });
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(status).toContainText('Offline', { timeout: 30_000 });
  await expect(status).toContainText('3 pending');
  await expectNoSeriousAxeViolations(page);

  // Central is back.
  offline.remove();
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(status).toContainText('Online', { timeout: 30_000 });
  await expect(status).not.toContainText('pending');
  await expect(page.getByText('Pending sync', { exact: true })).toHaveCount(0, { timeout: 15_000 });
  const token = (await signIn(central, 'nurse2')).accessToken;
  const onCentral = (await (
    await fhirFetch(central, token, `DocumentReference?subject=Patient/${patientId}&_count=200`)
  ).json()) as { entry?: { resource: { content: { attachment: { data: string } }[] } }[] };
  const texts = (onCentral.entry ?? []).map((e) =>
    Buffer.from(e.resource.content[0]!.attachment.data, 'base64').toString('utf8'),
  );
  expect(texts.filter((text) => text === NOTE)).toHaveLength(1);

  // A second workstation, the same physician: after its pull, the chart has them.
  const second = await startWorkstation(central, {
    clinic: CLINIC,
    policy: { lock: { idleSeconds: 3600, warningSeconds: 30 } },
  });
  closers.push(second.close);
  const other = await newPage(browser);
  await signInAt(other, second.host.url, physician.username, '602913');
  await openChart(other, patient.mrn!, patient.name);
  await expect(other.getByRole('region', { name: 'Notes' })).toContainText(NOTE);
  await expect(other.getByRole('region', { name: 'Vitals' })).toContainText('136/87');
  await expect(other.getByText('Pending sync', { exact: true })).toHaveCount(0);
});

test('the same allergy edited offline on two workstations: one conflict, shown side by side, merged by hand', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const physician = central.users.find((u) => u.role === 'physician')!;
  // Two fresh workstations (the stand's own is still signed in from the scenario before).
  const workstations: string[] = [];
  for (let i = 0; i < 2; i++) {
    const workstation = await startWorkstation(central, {
      clinic: CLINIC,
      policy: { lock: { idleSeconds: 3600, warningSeconds: 30 } },
    });
    closers.push(workstation.close);
    workstations.push(workstation.host.url);
  }
  const [first, other] = [await newPage(browser), await newPage(browser)];
  for (const [i, page] of [first, other].entries())
    await signInAt(page, workstations[i]!, physician.username, '602913');

  // A patient of this physician's with an allergy.
  let target: { name: string; mrn: string; substance: string } | null = null;
  for (const id of stand.cache.split(physician.practitionerId).mine) {
    const patient = stand.cache.summaries.get(id)!;
    await openChart(first, patient.mrn!, patient.name);
    const edit = first.getByRole('region', { name: 'Allergies' }).getByRole('button', { name: /^Edit allergy / });
    if ((await edit.count()) > 0) {
      target = {
        name: patient.name,
        mrn: patient.mrn!,
        substance: ((await edit.first().getAttribute('aria-label')) ?? '').replace('Edit allergy ', ''),
      };
      break;
    }
  }
  expect(target, 'a patient with an allergy').not.toBeNull();
  const { name, mrn, substance } = target!;
  await openChart(other, mrn, name);

  const offline = central.faults.inject({ kind: 'unreachable', times: Infinity });
  const edit = async (page: Page, criticality: string, comment: string) => {
    await page
      .getByRole('region', { name: 'Allergies' })
      .getByRole('button', { name: `Edit allergy ${substance}` })
      .first()
      .click();
    const form = page.getByRole('form', { name: `Edit allergy: ${substance}` });
    await form.getByLabel('Criticality').selectOption(criticality);
    await form.getByLabel('Comment').fill(comment);
    await form.getByRole('button', { name: 'Save allergy' }).click();
    await expect(
      page.getByRole('region', { name: 'Allergies' }).getByText('Pending sync', { exact: true }),
    ).toHaveCount(1);
  };
  await edit(first, 'high', 'Synthetic: reaction worse than recorded.');
  await edit(other, 'unable-to-assess', 'Synthetic: history unclear.');
  offline.remove();

  await first.getByRole('button', { name: 'Sync now' }).click();
  await expect(first.getByRole('status', { name: 'Sync status' })).not.toContainText('pending', { timeout: 30_000 });
  await other.getByRole('button', { name: 'Sync now' }).click();
  await expect(other.getByRole('status', { name: 'Sync status' })).toContainText('1 conflict', { timeout: 30_000 });
  await expect(
    other.getByRole('region', { name: 'Allergies' }).getByText('Sync conflict', { exact: true }),
  ).toHaveCount(1);

  await other.getByRole('button', { name: 'Review sync conflicts (1)' }).click();
  await expect(other.getByRole('heading', { name: 'Sync conflicts' })).toBeVisible();
  const row = other.getByRole('row', { name: /Criticality/ });
  await expect(row).toContainText('unable-to-assess');
  await expect(row).toContainText('high');
  await expectNoSeriousAxeViolations(other);
  await other.getByRole('button', { name: 'Merge by hand' }).click();
  const merge = other.getByRole('form', { name: `Merge by hand: Allergy: ${substance}` });
  await merge.getByLabel('Criticality').selectOption('high');
  await merge.getByLabel('Comment').fill('Synthetic: merged after talking to the family.');
  await merge.getByRole('button', { name: 'Save merge' }).click();
  await other.getByRole('button', { name: 'Sync now' }).click();
  await expect(other.getByRole('status', { name: 'Sync status' })).not.toContainText(/conflict|pending/, {
    timeout: 30_000,
  });
  await expect(other.getByText('No sync conflicts wait for you.')).toBeVisible();
  await other.getByRole('button', { name: 'Close sync conflicts' }).click();
  await expect(other.getByRole('button', { name: /Review sync conflicts/ })).toHaveCount(0);
  await openChart(other, mrn, name);
  await expect(other.getByRole('region', { name: 'Allergies' })).toContainText('criticality high');
  // Comments are appended, never replaced: both clinicians' and the merge's are listed.
  const comments = other.getByRole('list', { name: `Comments on ${substance}` }).first();
  for (const comment of [
    'Synthetic: reaction worse than recorded.',
    'Synthetic: history unclear.',
    'Synthetic: merged after talking to the family.',
  ])
    await expect(comments).toContainText(comment);
  await expect(other.getByRole('region', { name: 'Allergies' }).getByText(/Sync conflict|Pending sync/)).toHaveCount(0);
});
