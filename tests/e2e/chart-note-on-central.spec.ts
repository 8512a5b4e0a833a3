/**
 * A note larger than central.maxAttachmentKiB in Chromium through the dev web host, against dev
 * central: the chart shows it as "Stored on central" with its title and size; "Show note" reads
 * its text from central and shows it; with central unreachable the window says when it can be
 * shown. Accessible names as selectors; axe on the notes with the button.
 */
import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { fhirFetch, signIn, type Central } from '../support/central.ts';
import {
  expectNoAxeViolations,
  signInAtProvider,
  startWorkstationStand,
  type WorkstationStand,
} from '../support/e2e.ts';

const CLINIC = { seed: 41, patients: 12 };
const TITLE = 'Synthetic transfer summary';
const LINE = 'Synthetic: transferred from the ward, observations stable overnight.';
const TEXT = `${LINE}\n`.repeat(9000); // about 600 KiB, over the 256 KiB default

let stand: WorkstationStand;
let central: Central;

test.beforeAll(async () => {
  stand = await startWorkstationStand({ clinic: CLINIC, policy: { lock: { idleSeconds: 3600, warningSeconds: 30 } } });
  central = stand.central;
});

test.afterAll(async () => {
  await stand?.close();
});

test('a note stored on central is shown on demand, and says so when central cannot be reached', async ({ page }) => {
  test.setTimeout(120_000);
  const physician = central.users.find((u) => u.role === 'physician')!;
  const patientId = stand.cache.split(physician.practitionerId).mine[0]!;
  const patient = stand.cache.summaries.get(patientId)!;
  const token = (await signIn(central, 'nurse2')).accessToken;
  const id = randomUUID();
  const put = await fhirFetch(central, token, `DocumentReference/${id}`, {
    method: 'PUT',
    body: JSON.stringify({
      resourceType: 'DocumentReference',
      id,
      status: 'current',
      type: { text: TITLE },
      subject: { reference: `Patient/${patientId}` },
      // Newer than the synthetic clinic's notes: the newest note is the one open.
      date: '2026-11-30T08:00:00Z',
      content: [
        { attachment: { contentType: 'text/plain', title: TITLE, data: Buffer.from(TEXT).toString('base64') } },
      ],
    }),
  });
  expect(put.status).toBeLessThan(300);

  await page.goto(stand.host.url);
  await signInAtProvider(page, page.context(), central, physician.username);
  await page.getByLabel('New PIN').fill('602913');
  await page.getByLabel('Confirm PIN').fill('602913');
  await page.getByRole('button', { name: 'Set PIN' }).click();
  await expect(page.getByRole('status', { name: 'Sync status' })).toContainText('last synced', { timeout: 30_000 });
  await page.getByRole('searchbox', { name: 'Search patients' }).fill(patient.mrn!);
  await page.getByRole('list', { name: 'Patients found' }).getByRole('button', { name: patient.name }).click();

  const notes = page.getByRole('region', { name: 'Notes' });
  const note = notes.getByRole('article').filter({ hasText: TITLE }).first();
  // Open it if the clinic has a newer note (only the newest is open).
  if (!(await note.locator('details').evaluate((d) => (d as HTMLDetailsElement).open)))
    await note.locator('summary').click();
  await expect(note).toContainText('Stored on central');
  await expect(note).toContainText('KiB');
  await expect(note).not.toContainText(LINE);
  await expectNoAxeViolations(page);

  // Central unreachable: the window says when the note can be shown.
  const offline = central.faults.inject({ kind: 'unreachable', path: /\/DocumentReference\//, times: Infinity });
  await note.getByRole('button', { name: 'Show note' }).click();
  await expect(note.getByRole('alert')).toContainText(
    'This note is stored on central; it can be shown when central can be reached.',
  );
  offline.remove();

  await note.getByRole('button', { name: 'Show note' }).click();
  await expect(note).toContainText(LINE);
  await expect(note.getByRole('button', { name: 'Show note' })).toHaveCount(0);
});
