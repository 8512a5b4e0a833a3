/** Serving a built renderer's files (app:// in Electron, the dev web host). */
export { MIME_TYPES, mimeTypeFor, resolveUnderRoot } from './files.ts';
