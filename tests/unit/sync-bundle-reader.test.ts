import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withholdLargeAttachments } from '../../src-shared/fhir/attachments.ts';
import { readBundle } from '../../src-main/sync/bundle-reader.ts';
import { SyncHttpError } from '../../src-main/sync/http.ts';

const LIMITS = { maxResponseBytes: 1_000_000, maxAttachmentBytes: 64 };

/** An answer whose body arrives in the given pieces, with or without a Content-Length. */
function answer(body: Uint8Array, cuts: number[] = [], announce = false): Response {
  const points = [...new Set(cuts.map((cut) => cut % (body.length + 1)))].sort((a, b) => a - b);
  const pieces = [0, ...points, body.length].flatMap((start, i, all) =>
    i + 1 < all.length && all[i + 1]! > start ? [body.subarray(start, all[i + 1])] : [],
  );
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });
  return new Response(stream, { headers: announce ? { 'content-length': String(body.length) } : {} });
}

const note = (id: string, data: string) => ({
  resourceType: 'DocumentReference',
  id,
  status: 'current',
  content: [{ attachment: { contentType: 'text/plain', data } }],
});

/** What the pull keeps of a Bundle: JSON.parse's reading, each entry's large attachments withheld. */
function kept(bundle: { entry?: { resource?: unknown }[] } & Record<string, unknown>) {
  const { resourceType, type, total, meta, link } = bundle;
  const elements = Object.fromEntries(
    Object.entries({ resourceType, type, total, meta, link }).filter(([, value]) => value !== undefined),
  );
  return {
    ...elements,
    entry: (bundle.entry ?? []).map((entry) =>
      entry.resource === undefined
        ? entry
        : { ...entry, resource: withholdLargeAttachments(entry.resource, LIMITS.maxAttachmentBytes) },
    ),
  };
}

const reason = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'read',
    (error: unknown) => (error instanceof SyncHttpError ? error.reason : String(error)),
  );

describe('readBundle: a large page parsed as a stream, entry by entry', () => {
  it('reads what JSON.parse reads, large attachments withheld, however the answer is cut into pieces', async () => {
    const entry = fc.record(
      {
        fullUrl: fc.string(),
        resource: fc.oneof(
          fc
            .tuple(fc.string({ maxLength: 8 }), fc.base64String({ maxLength: 300 }))
            .map(([id, data]) => note(id, data)),
          fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 })),
        ),
        search: fc.record({ mode: fc.constantFrom('match', 'include') }),
      },
      { requiredKeys: ['resource'] },
    );
    const bundle = fc.record(
      {
        resourceType: fc.constant('Bundle'),
        type: fc.constant('searchset'),
        total: fc.nat(),
        meta: fc.record({ lastUpdated: fc.constant('2026-05-01T10:00:00.000Z') }),
        link: fc.array(fc.record({ relation: fc.constantFrom('self', 'next'), url: fc.webUrl() }), { maxLength: 2 }),
        entry: fc.array(entry, { maxLength: 12 }),
        extra: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: ['resourceType'] },
    );
    await fc.assert(
      fc.asyncProperty(bundle, fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), async (value, cuts, announce) => {
        const text = JSON.stringify(value);
        const read = await readBundle(answer(new TextEncoder().encode(text), cuts, announce), LIMITS, 'test page', 0);
        // Against JSON.parse of the same text (JSON has no -0, no undefined: not the value itself).
        expect(read).toEqual({ bundle: kept(JSON.parse(text) as typeof value), streamed: true });
      }),
      { numRuns: 200 },
    );
  });

  it('switches to the stream mid-answer when an unannounced page grows past the threshold', async () => {
    const value = { resourceType: 'Bundle', entry: [{ resource: note('a', 'QUJD'.repeat(100)) }] };
    const body = new TextEncoder().encode(JSON.stringify(value));
    const { bundle: streamed, streamed: wasStreamed } = await readBundle(
      answer(body, [10, 20, 500]),
      LIMITS,
      'test page',
      64,
    );
    expect(wasStreamed).toBe(true);
    expect(streamed).toEqual(kept(value));
    // Withheld: the data is gone, the mark and size are there.
    const attachment = (streamed as ReturnType<typeof kept>).entry[0]!.resource as ReturnType<typeof note>;
    expect(attachment.content[0]!.attachment).not.toHaveProperty('data');
  });

  it('gives small pages to JSON.parse unchanged (attachments are withheld later, by preparePage)', async () => {
    const value = { resourceType: 'Bundle', entry: [{ resource: note('a', 'QUJD'.repeat(100)) }], other: 1 };
    const body = new TextEncoder().encode(JSON.stringify(value));
    expect(await readBundle(answer(body, [7]), LIMITS, 'test page')).toEqual({ bundle: value, streamed: false });
  });

  it('refuses what is not JSON, cut short or followed by more, as not JSON, in both paths', async () => {
    const bad = [
      '{"resourceType":"Bundle","entry":[{"resource":',
      '{"resourceType":"Bundle"} {}',
      '{"entry":[1,]}',
      '',
    ];
    for (const text of bad)
      for (const streamedAbove of [0, 1_000_000]) {
        const body = new TextEncoder().encode(text);
        expect(await reason(readBundle(answer(body, [5]), LIMITS, 'test page', streamedAbove))).toBe(
          'malformed-response',
        );
      }
  });

  it('refuses bytes that are not UTF-8, and stops reading past the response cap', async () => {
    const notUtf8 = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
    expect(await reason(readBundle(answer(notUtf8), LIMITS, 'test page', 0))).toBe('malformed-response');
    const large = new TextEncoder().encode(JSON.stringify({ resourceType: 'Bundle', pad: 'x'.repeat(2_000_000) }));
    expect(await reason(readBundle(answer(large, [65_536, 500_000]), LIMITS, 'test page', 0))).toBe('too-large');
    expect(await reason(readBundle(answer(large, [], true), LIMITS, 'test page', 0))).toBe('too-large');
  });
});
