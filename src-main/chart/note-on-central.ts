import { NOTE_TEXT_MAX } from '../../src-shared/chart/chart.ts';
import { DocumentReference } from '../../src-shared/fhir/index.ts';
import type { Policy } from '../../src-shared/policy/schema.ts';
import { CoreError } from '../base/index.ts';
import { centralFetchFor } from '../net/index.ts';
import { centralNoteText, readResource } from '../records/index.ts';
import { readCentralResource } from '../sync/index.ts';
import { centralRefusal } from './central-refusal.ts';
import type { Database } from '../vault/index.ts';

/**
 * chart.readNote: the text of a note the pull kept on central (larger than policy
 * central.maxAttachmentKiB), read from central now under the signed-in user's token.
 *
 * The text is returned and not stored: the cache holds only what the chart needs to show
 * (minimum necessary), so a large note read once stays on central, and a lost or stolen
 * workstation holds no more of it than before it was read.
 */
export const NOTE_ON_CENTRAL_OFFLINE = 'This note is stored on central; it can be shown when central can be reached.';

export interface NoteReadDeps {
  /** Policy's central services; undefined until IT enrolls the workstation. */
  central: Policy['central'];
  /** The signed-in user's access token; null offline or in a PIN-only session. */
  accessToken: string | null;
}

export async function noteFromCentral(
  db: Database,
  patientId: string,
  documentId: string,
  deps: NoteReadDeps,
): Promise<string> {
  // The router authorized this patient: the note must be theirs in the cache before central is asked.
  const stored = readResource(db, 'DocumentReference', documentId);
  const cached = stored ? DocumentReference.safeParse(stored) : null;
  if (!cached?.success || cached.data.subject?.reference !== `Patient/${patientId}`)
    throw new CoreError('notFound', 'No such note in this patient\u2019s record.');
  const { central, accessToken } = deps;
  if (!central || !accessToken) throw new CoreError('offline', NOTE_ON_CENTRAL_OFFLINE);
  let fetched: unknown;
  try {
    fetched = await readCentralResource('DocumentReference', documentId, {
      fhirBaseUrl: central.fhirBaseUrl,
      allowLoopbackHttp: central.allowLoopbackHttp,
      fetch: centralFetchFor(central),
      maxResponseBytes: central.maxResponseMiB * 1048576,
      accessToken,
    });
  } catch (error) {
    throw centralRefusal(error, { offline: NOTE_ON_CENTRAL_OFFLINE, refused: 'Central refused to show this note.' });
  }
  // Central's answer is untrusted: valid FHIR, the same note (id) of the same patient, or nothing.
  const note = fetched === null ? null : DocumentReference.safeParse(fetched);
  if (!note?.success || note.data.id !== documentId || note.data.subject?.reference !== `Patient/${patientId}`)
    throw new CoreError('notFound', 'Central has no such note for this patient.');
  const text = centralNoteText(note.data as unknown as Record<string, unknown>);
  if (text === null) throw new CoreError('notFound', 'Central holds no text for this note.');
  if (text.length > NOTE_TEXT_MAX) throw new CoreError('unavailable', 'This note is too large to show here.');
  return text;
}
