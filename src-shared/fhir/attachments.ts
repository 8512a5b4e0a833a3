/**
 * Large attachments stay on central (policy central.maxAttachmentKiB): the pull stores an
 * attachment whose data is over the cap without its `data`, keeping what says what it is and lets
 * the chart fetch it when someone asks (contentType, title, size, hash, url), and marks it with
 * the extension below. This is the one place where the cache's copy of a resource differs from
 * central's: a note with a 10 MiB scan still syncs, and the cache holds only the PHI that is shown.
 *
 * Pure (no Node, no DOM): the sync page worker loads it as Node strips types, and the chart reads
 * the mark.
 */

/** The mark on a withheld attachment (valueBoolean true): its data is on central only. */
export const ATTACHMENT_ON_CENTRAL_URL = 'https://clinic.example/fhir/StructureDefinition/attachment-on-central';

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

/** The bytes a base64 string decodes to, counted without decoding it (whitespace ignored). */
export function base64DecodedBytes(data: string): number {
  let chars = 0;
  let padding = 0;
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    chars++;
    padding = c === 0x3d ? padding + 1 : 0; // '=' at the end only counts
  }
  return Math.max(0, Math.floor((chars * 3) / 4) - Math.min(padding, 2));
}

/** Whether the pull kept this attachment's data on central. */
export function isOnCentral(attachment: unknown): boolean {
  const extensions = asObject(attachment)?.['extension'];
  return (
    Array.isArray(extensions) &&
    extensions.some((e) => asObject(e)?.['url'] === ATTACHMENT_ON_CENTRAL_URL && asObject(e)?.['valueBoolean'] === true)
  );
}

/** One attachment without its data when that is over `maxBytes`; the same object otherwise. */
function withheld(attachment: unknown, maxBytes: number): unknown {
  const a = asObject(attachment);
  const data = a?.['data'];
  if (!a || typeof data !== 'string') return attachment;
  const bytes = base64DecodedBytes(data);
  if (bytes <= maxBytes) return attachment;
  const { data: _data, extension, ...kept } = a;
  return {
    ...kept,
    // Central's size when it gave one (it describes the data central holds), else the count here.
    size: typeof a['size'] === 'number' ? a['size'] : bytes,
    extension: [...(Array.isArray(extension) ? extension : []), { url: ATTACHMENT_ON_CENTRAL_URL, valueBoolean: true }],
  };
}

/**
 * A resource as the cache keeps it: DocumentReference.content[].attachment and
 * Patient/Practitioner.photo[] over `maxBytes` (decoded) withheld. Returns the resource itself
 * when nothing is over the cap, a shallow copy otherwise (what central sent is never changed).
 */
export function withholdLargeAttachments<T>(resource: T, maxBytes: number): T {
  const r = asObject(resource);
  if (!r) return resource;
  if (r['resourceType'] === 'DocumentReference' && Array.isArray(r['content'])) {
    let changed = false;
    const content = r['content'].map((item: unknown) => {
      const c = asObject(item);
      if (!c) return item;
      const attachment = withheld(c['attachment'], maxBytes);
      if (attachment === c['attachment']) return item;
      changed = true;
      return { ...c, attachment };
    });
    return changed ? ({ ...r, content } as T) : resource;
  }
  if ((r['resourceType'] === 'Patient' || r['resourceType'] === 'Practitioner') && Array.isArray(r['photo'])) {
    const photo = r['photo'].map((p: unknown) => withheld(p, maxBytes));
    return photo.some((p, i) => p !== (r['photo'] as unknown[])[i]) ? ({ ...r, photo } as T) : resource;
  }
  return resource;
}
