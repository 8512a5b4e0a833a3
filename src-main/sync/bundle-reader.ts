import { JSONParser } from '@streamparser/json';
import { withholdLargeAttachments } from '../../src-shared/fhir/attachments.ts';
import { notJsonError, readBoundedText } from './http.ts';

/**
 * A search page's Bundle, read within the response cap (readBoundedText). Most pages are a few
 * hundred kilobytes and are parsed whole by JSON.parse, the fastest parser there is. A page past
 * STREAMED_ABOVE_CHARS is parsed as a stream instead (@streamparser/json), entry by entry, each
 * entry's large attachments withheld as soon as the entry is complete: the reader then holds the
 * entry being read and the entries as they are kept, never the page as text, flattened and parsed
 * at once (a page of 42 scanned notes, 43 MB, grew the pull's memory by about 250 MB that way).
 * Not every page is streamed: that parser is several times slower than JSON.parse on the dense
 * pages of an ordinary pull.
 *
 * The result is what JSON.parse would give for what the pull reads of a Bundle (resourceType,
 * type, total, meta, link, entry), large attachments already withheld (which preparePage would do
 * anyway; withholding twice changes nothing). `streamedAbove` is for tests. Imports stay loadable by the page worker from source
 * (Node's type stripping).
 */
export const STREAMED_ABOVE_CHARS = 8 * 1048576;

/** The Bundle elements a pull reads, besides its entries. */
const BUNDLE_ELEMENTS = ['resourceType', 'type', 'total', 'meta', 'link'] as const;

export async function readBundle(
  response: Response,
  limits: { maxResponseBytes: number; maxAttachmentBytes: number },
  what: string,
  streamedAbove = STREAMED_ABOVE_CHARS,
): Promise<{ bundle: unknown; streamed: boolean }> {
  const announced = Number(response.headers.get('content-length'));
  let stream = Number.isFinite(announced) && announced > streamedAbove ? streamedBundle(limits, what) : null;
  let text = '';
  for await (const piece of readBoundedText(response, limits.maxResponseBytes, what)) {
    if (stream) {
      stream.write(piece);
      continue;
    }
    text += piece;
    if (text.length > streamedAbove) {
      // Larger than announced, or not announced: streamed from here, with what came so far.
      stream = streamedBundle(limits, what);
      stream.write(text);
      text = '';
    }
  }
  if (stream) return { bundle: stream.end(), streamed: true };
  try {
    return { bundle: JSON.parse(text) as unknown, streamed: false };
  } catch {
    throw notJsonError(what);
  }
}

/** The streaming parse of one Bundle: write the text as it comes, then end for the Bundle. */
function streamedBundle(limits: { maxAttachmentBytes: number }, what: string) {
  const bundle: Record<string, unknown> = {};
  const entries: unknown[] = [];
  // keepStack false: an entry, once handed over, is dropped from the parser's own structures.
  const parser = new JSONParser({
    paths: ['$.entry.*', ...BUNDLE_ELEMENTS.map((name) => `$.${name}`)],
    keepStack: false,
  });
  parser.onValue = ({ value, key, stack }) => {
    if (stack.length === 2 && stack[1]?.key === 'entry') entries.push(keptEntry(value, limits.maxAttachmentBytes));
    else if (stack.length === 1 && typeof key === 'string') bundle[key] = value;
  };
  const parsing = <T>(step: () => T): T => {
    try {
      return step();
    } catch {
      throw notJsonError(what);
    }
  };
  return {
    write(text: string): void {
      parsing(() => parser.write(text));
    },
    end(): unknown {
      parsing(() => {
        if (!parser.isEnded) parser.end();
      });
      if (typeof bundle['resourceType'] !== 'string') return bundle;
      return { ...bundle, entry: entries };
    },
  };
}

/** An entry as the pull keeps it: its resource's large attachments withheld. */
function keptEntry(entry: unknown, maxAttachmentBytes: number): unknown {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return entry;
  const { resource } = entry as { resource?: unknown };
  return resource === undefined
    ? entry
    : { ...entry, resource: withholdLargeAttachments(resource, maxAttachmentBytes) };
}
