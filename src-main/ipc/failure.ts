import type { IpcErrorCode } from '../../src-shared/ipc/errors.ts';

/**
 * Thrown by a capability to answer a request with a typed error. The message goes to the person
 * at the screen, so it is written without PHI.
 */
export class IpcFailure extends Error {
  override readonly name = 'IpcFailure';
  constructor(
    readonly code: IpcErrorCode,
    message: string,
  ) {
    super(message);
  }
}
