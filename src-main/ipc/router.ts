import type { z } from 'zod';
import { roleHasPermission, type Role } from '../../src-shared/access/roles.ts';
import { channels, isChannelName, type ChannelName, type Channels } from '../../src-shared/ipc/contract.ts';
import type { IpcErrorCode, IpcResult } from '../../src-shared/ipc/errors.ts';
import type { Logger } from '../log/logger.ts';
import { VaultError } from '../vault/errors.ts';
import { IpcFailure } from './failure.ts';

/** Who is at the keyboard, as the identity capability knows it. */
export interface Session {
  userId: string;
  role: Role;
  locked: boolean;
}

export type Handler<C extends ChannelName> = (
  request: z.output<Channels[C]['request']>,
  context: { session: Session | null },
) => z.input<Channels[C]['response']> | Promise<z.input<Channels[C]['response']>>;

export type Handlers = { [C in ChannelName]: Handler<C> };

/** One line per request, for the audit trail: never the request or response body. */
export interface RequestOutcome {
  channel: string;
  userId: string | null;
  outcome: 'ok' | IpcErrorCode;
}

export interface RouterDeps {
  handlers: Handlers;
  currentSession(): Session | null;
  logger: Logger;
  onOutcome?(outcome: RequestOutcome): void;
}

function issuesMessage(error: z.ZodError): string {
  // Where and which rule, never the value that was sent (it may be PHI).
  const parts = error.issues.slice(0, 3).map((issue) => {
    const where = issue.path.map(String).join('.');
    return where ? `${where}: ${issue.message}` : issue.message;
  });
  return `Invalid request: ${parts.join('; ')}`.slice(0, 500);
}

/**
 * The only entry into the core from a window: validate the request against the contract, check
 * the session and the role's permission, call the capability, check the answer against the
 * contract too (so nothing extra leaks), and map every failure to a typed code.
 */
export function createRouter(deps: RouterDeps): (channel: unknown, request: unknown) => Promise<IpcResult<unknown>> {
  const fail = (channel: string, userId: string | null, code: IpcErrorCode, message: string): IpcResult<unknown> => {
    deps.onOutcome?.({ channel, userId, outcome: code });
    return { ok: false, error: { code, message } };
  };

  return async function route(channel, request) {
    if (!isChannelName(channel)) {
      deps.logger.log('warn', 'ipc.unknown-channel');
      return fail('(unknown)', null, 'INVALID', 'Unknown channel.');
    }
    const definition = channels[channel];
    const session = deps.currentSession();
    const userId = session?.userId ?? null;

    if (definition.access.kind === 'session') {
      if (!session) return fail(channel, null, 'UNAUTHENTICATED', 'Sign in to continue.');
      if (session.locked && definition.phi) return fail(channel, userId, 'LOCKED', 'The workstation is locked.');
      if (!roleHasPermission(session.role, definition.access.permission)) {
        return fail(channel, userId, 'FORBIDDEN', 'Your role does not allow this.');
      }
    }

    const parsed = definition.request.safeParse(request);
    if (!parsed.success) return fail(channel, userId, 'INVALID', issuesMessage(parsed.error));

    try {
      const handler = deps.handlers[channel] as (request: unknown, context: { session: Session | null }) => unknown;
      const answer = await handler(parsed.data, { session });
      const checked = definition.response.safeParse(answer);
      if (!checked.success) {
        deps.logger.log('error', 'ipc.response-contract-violation', { channel });
        return fail(channel, userId, 'INTERNAL', 'The app could not complete this request.');
      }
      deps.onOutcome?.({ channel, userId, outcome: 'ok' });
      return { ok: true, data: checked.data };
    } catch (error) {
      if (error instanceof IpcFailure) return fail(channel, userId, error.code, error.message);
      if (error instanceof VaultError) {
        return fail(channel, userId, 'UNAVAILABLE', 'The encrypted cache is not available on this workstation.');
      }
      deps.logger.log('error', 'ipc.handler-failed', { channel, errorName: (error as Error)?.name ?? 'unknown' });
      return fail(channel, userId, 'INTERNAL', 'The app could not complete this request.');
    }
  };
}
