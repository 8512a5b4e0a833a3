/**
 * The worker threads as the packaged app runs them: the built files next to out/main/main.js,
 * plain JavaScript from the bundler, not the TypeScript sources the other tests load. The page
 * worker reads a search from dev central and sends its pages validated.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { expect, test } from '@playwright/test';
import { signIn, startTestCentral, type Central } from '../support/central.ts';
import { fromWire, type WirePage } from '../../src-main/sync/page-wire.ts';

const BUILT = path.resolve(import.meta.dirname, '../../out/main');
let central: Central;

test.beforeAll(async () => {
  central = await startTestCentral({ patients: 12, seed: 5 });
});
test.afterAll(async () => {
  await central?.close();
});

test('the built page worker reads a search from central and sends its pages validated', async () => {
  const { accessToken } = await signIn(central, 'nurse1');
  const worker = new Worker(path.join(BUILT, 'page-worker.js'));
  try {
    const items: {
      index?: number;
      page?: WirePage;
      done?: boolean;
      end?: boolean;
      error?: unknown;
    }[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: (typeof items)[number]) => {
        items.push(message);
        if (message.page) worker.postMessage({ credit: 1 });
        if (message.end || message.error) resolve();
      });
      worker.on('error', reject);
    });
    worker.postMessage({
      read: {
        searches: [{ url: `${central.fhirBaseUrl}/Patient?_count=5`, type: 'Patient', what: 'Patient pull' }],
        accessToken,
        allowLoopbackHttp: true,
        tlsPins: [],
        limits: { maxResponseBytes: 8 * 1048576, maxResourceBytes: 1048576, maxAttachmentBytes: 262144, maxPages: 100 },
        ahead: 2,
      },
    });
    await ended;
    expect(items.find((item) => item.error)).toBeUndefined();
    // Pages come in their wire form (page-wire.ts).
    const prepared = items.flatMap((item) => (item.page ? fromWire(item.page).prepared : []));
    expect(prepared).toHaveLength(12);
    expect(prepared.every((outcome) => outcome.ok)).toBe(true);
    expect(items.filter((item) => item.page).length).toBe(3);
    expect(items.at(-2)).toEqual({ index: 0, done: true });
  } finally {
    await worker.terminate();
  }
});
