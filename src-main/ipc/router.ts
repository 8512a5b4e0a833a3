import type { z } from 'zod';
import { roleHasPermission, type Permission, type Role } from '../../src-shared/access/roles.ts';
import { channels, isChannelName, type ChannelName, type Channels } from '../../src-shared/ipc/contract.ts';
import type { IpcErrorCode, IpcResult } from '../../src-shared/ipc/errors.ts';
import { denialMessage, type AccessDecision, type DenialReason } from '../access/index.ts';
import type { Logger } from '../log/index.ts';
import { storageFailure, VaultError } from '../vault/index.ts';
import { CoreError, errorName, type CoreErrorKind } from '../base/index.ts';

/** Who is at the keyboard, as the session capability knows it. */
export interface Session {
  userId: string;
  role: Role;
  /** The user's FHIR Practitioner, which links them to their care teams; null for staff without one. */
  practitionerId: string | null;
  /** True while PHI must not be served: locked, or no PIN set yet. */
  locked: boolean;
}

export interface HandlerContext {
  session: Session | null;
  /** For channels about one patient: the decision that let the request through. */
  decision: AccessDecision | null;
  /**
   * A handler that serves more than its channel's permission covers (patients.open returning the
   * clinical sections under the same authorization module's decision) says so here, so the audit
   * entry carries that decision: a view under a break-glass grant is recorded as one.
   */
  served: {
    decision?: AccessDecision;
    /**
     * The FHIR resources the handler read, created or updated (`Type/id`), when they are not the
     * patient as a whole: the audit entry names them (BALP's data entity).
     */
    resourceRefs?: string[];
    /**
     * The one patient the request turned out to be about, when the request does not name it (a
     * conflict decision names a conflict): the audit entry carries it, allowed or refused.
     */
    patientId?: string;
    /** Why the handler refused for `patientId`, when it throws a `forbidden` CoreError. */
    denial?: DenialReason;
    /**
     * A handler that shows several patients' records in one answer (sync.conflicts) names each
     * with the decision that let it through: one audit entry per patient, each with its own
     * basis and purpose of use, so "what was viewed under this grant" finds them.
     */
    patients?: ServedPatient[];
  };
}

export interface ServedPatient {
  patientId: string;
  decision: AccessDecision;
  resourceRefs: string[];
}

export type Handler<C extends ChannelName> = (
  request: z.output<Channels[C]['request']>,
  context: HandlerContext,
) => z.input<Channels[C]['response']> | Promise<z.input<Channels[C]['response']>>;

export type Handlers = { [C in ChannelName]: Handler<C> };

/** One line per request, for the audit trail: never the request or response body. */
export interface RequestOutcome {
  channel: string;
  userId: string | null;
  /** The session's role, when there is a session. */
  role?: Role;
  outcome: 'ok' | IpcErrorCode;
  /** For an allowed request about one patient: why it was allowed (care team, role, break-glass grant). */
  decision?: AccessDecision;
  /** The patient the request was about, when the channel names one (never a name, only the id). */
  patientId?: string;
  /** Why access was refused, for FORBIDDEN. */
  denial?: DenialReason;
  /** What the handler read or wrote (`Type/id`), for an answered request that says so. */
  resourceRefs?: string[];
  /** For an answer that showed several patients' records: each, with its decision (one entry each). */
  patients?: ServedPatient[];
}

export interface RouterDeps {
  handlers: Handlers;
  currentSession(): Session | null;
  /** The authorization module: may this session do `action` on this patient (null: no one patient). */
  authorize(session: Session, action: Permission, patientId: string | null): AccessDecision;
  logger: Logger;
  /**
   * Every outcome, for the audit trail. Called before the answer leaves the core; when it throws
   * for a request that would return PHI, the PHI is not returned (no access without its record).
   */
  onOutcome?(outcome: RequestOutcome): void;
}

/** The router alone speaks the transport's language: a capability's refusal becomes an IPC code here. */
const ipcCodeOf: Readonly<Record<CoreErrorKind, IpcErrorCode>> = {
  unauthenticated: 'UNAUTHENTICATED',
  locked: 'LOCKED',
  forbidden: 'FORBIDDEN',
  invalid: 'INVALID',
  notFound: 'NOT_FOUND',
  conflict: 'CONFLICT',
  unavailable: 'UNAVAILABLE',
  offline: 'OFFLINE',
};

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
  const fail = (
    channel: string,
    userId: string | null,
    code: IpcErrorCode,
    message: string,
    extra: Partial<RequestOutcome> = {},
  ): IpcResult<unknown> => {
    try {
      deps.onOutcome?.({ channel, userId, outcome: code, ...extra });
    } catch (error) {
      deps.logger.log('error', 'ipc.audit-failed', { channel, errorName: errorName(error) });
    }
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
    const who = session ? { role: session.role } : {};

    const access = definition.access;
    if (access.kind !== 'public' && !session) return fail(channel, null, 'UNAUTHENTICATED', 'Sign in to continue.');
    if (access.kind === 'session' && session) {
      if (session.locked) return fail(channel, userId, 'LOCKED', 'The workstation is locked.', who);
      if (!roleHasPermission(session.role, access.permission)) {
        return fail(channel, userId, 'FORBIDDEN', denialMessage('role'), { ...who, denial: 'role' });
      }
    }

    const parsed = definition.request.safeParse(request);
    if (!parsed.success) return fail(channel, userId, 'INVALID', issuesMessage(parsed.error), who);

    let decision: AccessDecision | null = null;
    let patientId: string | undefined;
    if (access.kind === 'session' && session) {
      patientId = access.patientOf ? (access.patientOf as (request: unknown) => string)(parsed.data) : undefined;
      decision = deps.authorize(session, access.permission, patientId ?? null);
      if (!decision.allowed) {
        return fail(channel, userId, 'FORBIDDEN', denialMessage(decision.reason), {
          ...who,
          denial: decision.reason,
          ...(patientId === undefined ? {} : { patientId }),
        });
      }
    }
    const about = { ...who, ...(patientId === undefined ? {} : { patientId }) };

    const served: HandlerContext['served'] = {};
    // What the handler learnt about the patient counts for the audit entry, answered or refused.
    const aboutServed = (): Partial<RequestOutcome> => ({
      ...about,
      ...(served.patientId === undefined ? {} : { patientId: served.patientId }),
      ...(served.denial === undefined ? {} : { denial: served.denial }),
    });
    try {
      const handler = deps.handlers[channel] as (request: unknown, context: HandlerContext) => unknown;
      const answer = await handler(parsed.data, { session, decision, served });
      if (served.decision) decision = served.decision;
      const checked = definition.response.safeParse(answer);
      if (!checked.success) {
        deps.logger.log('error', 'ipc.response-contract-violation', { channel });
        return fail(channel, userId, 'INTERNAL', 'The app could not complete this request.', about);
      }
      try {
        deps.onOutcome?.({
          channel,
          userId,
          outcome: 'ok',
          ...aboutServed(),
          ...(decision ? { decision } : {}),
          ...(served.resourceRefs ? { resourceRefs: served.resourceRefs } : {}),
          ...(served.patients ? { patients: served.patients } : {}),
        });
      } catch (error) {
        deps.logger.log('error', 'ipc.audit-failed', { channel, errorName: errorName(error) });
        if (definition.phi)
          return {
            ok: false,
            error: {
              code: 'UNAVAILABLE',
              message: 'This access could not be recorded in the audit trail, so nothing was shown.',
            },
          };
      }
      return { ok: true, data: checked.data };
    } catch (error) {
      if (error instanceof CoreError) return fail(channel, userId, ipcCodeOf[error.kind], error.message, aboutServed());
      const storage = storageFailure(error);
      if (storage === 'busy')
        return fail(
          channel,
          userId,
          'BUSY',
          'The encrypted cache was busy, so nothing was changed. Try again in a moment.',
          aboutServed(),
        );
      if (storage === 'diskFull') {
        return fail(
          channel,
          userId,
          'DISK_FULL',
          'The disk is full, so this could not be saved. Nothing already stored was lost. Free some disk space (or ask IT to), then try again.',
          aboutServed(),
        );
      }
      if (storage === 'corrupt') {
        deps.logger.log('error', 'vault.page-damaged', { channel });
        return fail(
          channel,
          userId,
          'UNAVAILABLE',
          'Part of the encrypted cache is damaged, so this could not be read. Nothing was changed; tell IT (`ws vault check`).',
          aboutServed(),
        );
      }
      if (error instanceof VaultError) {
        return fail(
          channel,
          userId,
          'UNAVAILABLE',
          'The encrypted cache is not available on this workstation.',
          aboutServed(),
        );
      }
      deps.logger.log('error', 'ipc.handler-failed', { channel, errorName: errorName(error) });
      return fail(channel, userId, 'INTERNAL', 'The app could not complete this request.', aboutServed());
    }
  };
}
