/** The ground floor's small tools: known to every capability, knowing none. */
export { CoreError, errorName, type CoreErrorKind } from './errors.ts';
export { createEmitter, type Emitter, type EventMap, type Events } from './events.ts';
export { createDisposables, type Disposables } from './disposables.ts';
export { readIfExists, removeIfExists, syncDirectory, writeFileAtomic } from './atomic-file.ts';
