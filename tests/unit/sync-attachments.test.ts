/**
 * Large attachments are kept on central (policy central.maxAttachmentKiB): preparePage stores an
 * attachment whose decoded data is over the cap without its data, with its type, title, size and
 * hash and the product's mark, before the resource is validated and sized, so a note with a large
 * attachment is stored (without it) instead of refused against maxResourceMiB.
 */
import { describe, expect, it } from 'vitest';
import { ATTACHMENT_ON_CENTRAL_URL, base64DecodedBytes, isOnCentral } from '../../src-shared/fhir/attachments.ts';
import { preparePage, type PageLimits } from '../../src-main/sync/pages.ts';

const KiB = 1024;
const limits: Pick<PageLimits, 'maxResourceBytes' | 'maxAttachmentBytes'> = {
  maxResourceBytes: 1024 * KiB,
  maxAttachmentBytes: 4 * KiB,
};
const MARK = { url: ATTACHMENT_ON_CENTRAL_URL, valueBoolean: true };

/** Synthetic text of exactly `bytes` bytes, as base64. */
const dataOf = (bytes: number) => Buffer.from('s'.repeat(bytes)).toString('base64');

function note(id: string, attachments: Record<string, unknown>[]): Record<string, unknown> {
  return {
    resourceType: 'DocumentReference',
    id,
    meta: { versionId: '1', lastUpdated: '2026-01-01T00:00:00.000Z' },
    status: 'current',
    subject: { reference: 'Patient/pat-1' },
    content: attachments.map((attachment) => ({ attachment })),
  };
}

function stored(resource: Record<string, unknown>, type = String(resource['resourceType'])) {
  const page = preparePage(
    { bundle: { resourceType: 'Bundle', entry: [{ resource }] }, centralNow: null },
    type,
    limits,
  );
  const [outcome] = page.prepared;
  if (!outcome?.ok) throw new Error(`not stored: ${JSON.stringify(outcome)}`);
  return JSON.parse(outcome.resource.json) as Record<string, unknown>;
}

const attachmentsOf = (resource: Record<string, unknown>) =>
  (resource['content'] as { attachment: Record<string, unknown> }[]).map((c) => c.attachment);

describe('attachments over the cap stay on central', () => {
  it('counts the decoded bytes of base64, padding and whitespace aside', () => {
    for (const bytes of [0, 1, 2, 3, 4, 5, 4095, 4096, 4097]) expect(base64DecodedBytes(dataOf(bytes))).toBe(bytes);
    expect(base64DecodedBytes('c3Nz\nc3M=')).toBe(5);
  });

  it('keeps data at and below the cap inline, and stores data above it by reference', () => {
    const at = { contentType: 'text/plain', data: dataOf(4 * KiB), title: 'At the cap' };
    const below = { contentType: 'text/plain', data: dataOf(10) };
    const above = {
      contentType: 'text/plain; charset=utf-8',
      data: dataOf(4 * KiB + 1),
      title: 'Synthetic discharge letter',
      hash: 'c3ludGhldGljLWhhc2g=',
      extension: [{ url: 'http://example.org/fhir/StructureDefinition/other', valueString: 'kept' }],
    };
    const [a, b, c] = attachmentsOf(stored(note('doc-1', [at, below, above])));
    expect(a).toEqual(at);
    expect(b).toEqual(below);
    expect(c).toEqual({
      contentType: 'text/plain; charset=utf-8',
      title: 'Synthetic discharge letter',
      hash: 'c3ludGhldGljLWhhc2g=',
      size: 4 * KiB + 1,
      extension: [{ url: 'http://example.org/fhir/StructureDefinition/other', valueString: 'kept' }, MARK],
    });
    expect([a, b, c].map(isOnCentral)).toEqual([false, false, true]);
  });

  it("keeps central's size when it gave one", () => {
    const [a] = attachmentsOf(
      stored(note('doc-2', [{ contentType: 'application/pdf', data: dataOf(8 * KiB), size: 8192 }])),
    );
    expect(a).toEqual({ contentType: 'application/pdf', size: 8192, extension: [MARK] });
  });

  it('stores a note whose attachment alone is over maxResourceMiB, which was refused before', () => {
    const big = note('doc-3', [{ contentType: 'text/plain', data: dataOf(2 * 1024 * KiB) }]);
    const [a] = attachmentsOf(stored(big));
    expect(a).toEqual({ contentType: 'text/plain', size: 2 * 1024 * KiB, extension: [MARK] });
    // What central sent is not changed: the page stays as it came.
    expect(attachmentsOf(big)[0]?.['data']).toBeTypeOf('string');
  });

  it('withholds a large photo of a patient or practitioner, and keeps a small one', () => {
    for (const resourceType of ['Patient', 'Practitioner']) {
      const small = { contentType: 'image/png', data: dataOf(100) };
      const large = { contentType: 'image/jpeg', data: dataOf(64 * KiB), title: 'Synthetic photo' };
      const resource = stored({ resourceType, id: 'who-1', name: [{ family: 'Synthetic' }], photo: [small, large] });
      expect(resource['photo']).toEqual([
        small,
        { contentType: 'image/jpeg', title: 'Synthetic photo', size: 64 * KiB, extension: [MARK] },
      ]);
    }
  });

  it('leaves other resources alone', () => {
    const observation = {
      resourceType: 'Observation',
      id: 'obs-1',
      status: 'final',
      code: { text: 'Synthetic' },
      subject: { reference: 'Patient/pat-1' },
      valueAttachment: { contentType: 'text/plain', data: dataOf(8 * KiB) },
    };
    expect(stored(observation)).toMatchObject({ valueAttachment: { data: dataOf(8 * KiB) } });
  });
});
