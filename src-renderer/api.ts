/**
 * The renderer's only way to the core: a typed client over window.clinic (the contract in
 * src-shared). It never throws: a missing bridge, a rejected promise or an answer that is not a
 * result object all come back as an UNAVAILABLE failure, which the screens show as "cannot reach
 * the workstation service". Typed errors from the router (UNAUTHENTICATED, INVALID, ...) pass
 * through unchanged.
 */
import type {
  ChannelName,
  ChannelRequest,
  ChannelResponse,
  ClinicBridge,
  EventName,
  EventPayload,
} from '../src-shared/ipc/contract.ts';
import type { IpcError, IpcResult } from '../src-shared/ipc/errors.ts';

export const CORE_UNREACHABLE_MESSAGE = 'The workstation service did not answer.';

function bridge(): ClinicBridge | null {
  // The declaration says it is always there; at run time a broken preload could leave it out.
  const candidate = (window as { clinic?: unknown }).clinic;
  if (typeof candidate !== 'object' || candidate === null) return null;
  const { invoke, on } = candidate as Partial<ClinicBridge>;
  return typeof invoke === 'function' && typeof on === 'function' ? (candidate as ClinicBridge) : null;
}

function unavailable(message: string = CORE_UNREACHABLE_MESSAGE): { ok: false; error: IpcError } {
  return { ok: false, error: { code: 'UNAVAILABLE', message } };
}

function isResult(value: unknown): value is IpcResult<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as { ok?: unknown; data?: unknown; error?: unknown };
  if (result.ok === true) return 'data' in result;
  if (result.ok !== false || typeof result.error !== 'object' || result.error === null) return false;
  const error = result.error as { code?: unknown; message?: unknown };
  return typeof error.code === 'string' && typeof error.message === 'string';
}

export async function invoke<C extends ChannelName>(
  channel: C,
  request: ChannelRequest<C>,
): Promise<IpcResult<ChannelResponse<C>>> {
  const clinic = bridge();
  if (!clinic) return unavailable('The workstation service is not connected to this window.');
  try {
    const result: unknown = await clinic.invoke(channel, request);
    return isResult(result) ? (result as IpcResult<ChannelResponse<C>>) : unavailable();
  } catch {
    return unavailable();
  }
}

/** Subscribes to a core event; returns the unsubscribe function (a no-op when there is no bridge). */
export function onEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  const clinic = bridge();
  if (!clinic) return () => undefined;
  try {
    return clinic.on(event, listener);
  } catch {
    return () => undefined;
  }
}
