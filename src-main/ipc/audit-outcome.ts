import { channels, isChannelName } from '../../src-shared/ipc/contract.ts';
import type { AuditInput, AuditTrail } from '../audit/index.ts';
import type { Logger } from '../log/index.ts';
import type { RequestOutcome } from './router.ts';

/**
 * What the router's outcomes become in the audit trail: every PHI answer given (search, patient
 * read, review queue, sync conflicts), every change to a record (vitals, notes, allergy edits,
 * conflict decisions) and every refusal of those channels. Session channels are audited by the
 * session capability itself; malformed requests touched nothing and are only logged.
 */
const READS: Readonly<Record<string, AuditInput['action']>> = {
  'patients.search': 'patient.search',
  // Central's matches outside the cache: shown, so audited as a search (the text withheld).
  'patients.searchCentral': 'patient.search',
  'patients.pane': 'patient.search',
  'patients.open': 'patient.read',
  'chart.read': 'patient.read',
  'chart.readNote': 'patient.read',
  // A summary shown for printing: its own action, so a paper copy is found in the trail as such.
  'chart.printSummary': 'chart.print',
  'breakGlass.reviewQueue': 'audit.read',
  'breakGlass.reviewHistory': 'audit.read',
  'alerts.queue': 'audit.read',
  'sync.conflicts': 'patient.read',
  // The privacy officer's restricted conflicts name their patients: a read of each patient.
  'sync.restrictedConflicts': 'patient.read',
  // A kept draft given back to its author: one entry per patient (the fields are PHI shown again).
  'drafts.mine': 'draft.restore',
};

/**
 * Channels with no PHI whose answers are still audited as reads: IT's look at the workstation's
 * status (no patient; who looked, and when, is kept).
 */
const ADMIN_READS: Readonly<Record<string, AuditInput['action']>> = {
  'workstation.health': 'workstation.statusRead',
};

/** Channels that change records: audited like reads, as FHIR create or update. */
const WRITES: Readonly<Record<string, AuditInput['action']>> = {
  'chart.recordVitals': 'patient.create',
  'chart.writeNote': 'patient.create',
  'chart.editAllergy': 'patient.update',
  'sync.resolveConflict': 'patient.update',
};

const REFUSALS = new Set(['LOCKED', 'UNAUTHENTICATED', 'FORBIDDEN']);

/**
 * Channels audited here only when refused. Their success is audited by the room itself, in the
 * transaction of the change (the privacy officer's decision on a restricted conflict:
 * sync.conflictDecision with its comment; an export of the review history, with its count), or
 * not at all: saving a draft is not a clinical action: the window sends
 * one a second after typing pauses, and an entry each time would bury the trail in keystrokes
 * while saying nothing a reviewer needs (the draft is not part of the record, and the chart was
 * opened, audited, before anything could be typed). What is audited is what changes what someone
 * sees: a draft given back (drafts.mine, per patient), thrown away, or expired (counts).
 */
const REFUSALS_ONLY = new Set(['sync.decideRestrictedConflict', 'breakGlass.exportReviews', 'drafts.save']);

export function requestAuditInput(
  outcome: RequestOutcome,
  isPhiChannel: boolean,
  purposeOfGrant: (grantId: string) => string | null,
): AuditInput | null {
  if (!isPhiChannel && !WRITES[outcome.channel] && !ADMIN_READS[outcome.channel] && !REFUSALS_ONLY.has(outcome.channel))
    return null;
  const who = { userId: outcome.userId, role: outcome.role ?? null, patientId: outcome.patientId ?? null };
  if (outcome.outcome === 'ok') {
    const action = READS[outcome.channel] ?? WRITES[outcome.channel] ?? ADMIN_READS[outcome.channel];
    if (!action) return null;
    const decision = outcome.decision;
    const grantId = decision?.allowed && decision.basis === 'breakGlass' ? decision.grantId : null;
    // Purpose of use (v3-ActReason): the grant's reason under break-glass, else care or operations.
    const purposeOfUse = grantId
      ? purposeOfGrant(grantId)
      : outcome.role === 'frontDesk'
        ? 'HOPERAT'
        : outcome.role === 'privacyOfficer' || outcome.role === 'itAdmin'
          ? 'HOPERAT'
          : 'TREAT';
    return {
      ...who,
      action,
      outcome: 'success',
      purposeOfUse,
      grantId,
      detail: outcome.channel,
      ...(outcome.resourceRefs?.length ? { resourceRefs: outcome.resourceRefs } : {}),
    };
  }
  if (!REFUSALS.has(outcome.outcome)) return null;
  return {
    ...who,
    action: 'access.denied',
    outcome: 'denied',
    detail: `${outcome.channel}:${outcome.denial ?? outcome.outcome.toLowerCase()}`,
  };
}

/**
 * The audit entries of one outcome: one, or none, as requestAuditInput; but an answer that showed
 * several patients' records (sync.conflicts) gets one entry per patient, each with the decision
 * that let that patient through, its grant and purpose of use (issue 17). An answer that showed
 * no patient's record gets none.
 */
export function requestAuditInputs(
  outcome: RequestOutcome,
  isPhiChannel: boolean,
  purposeOfGrant: (grantId: string) => string | null,
): AuditInput[] {
  if (outcome.outcome !== 'ok' || !outcome.patients) {
    const input = requestAuditInput(outcome, isPhiChannel, purposeOfGrant);
    return input ? [input] : [];
  }
  const { patients, ...rest } = outcome;
  return patients.flatMap((served) => {
    const input = requestAuditInput(
      { ...rest, patientId: served.patientId, decision: served.decision, resourceRefs: served.resourceRefs },
      isPhiChannel,
      purposeOfGrant,
    );
    return input ? [input] : [];
  });
}

export interface OutcomeAuditDeps {
  /** The audit trail; throws when the cache is not available. */
  trail(): Pick<AuditTrail, 'append'>;
  /** The reason code of a break-glass grant: the purpose of use of what is read under it. */
  purposeOfGrant(grantId: string): string | null;
  logger: Logger;
}

/**
 * The router's `onOutcome`: each outcome's audit entry appended. Throws when the entry cannot be
 * written, so the router withholds the PHI (no access without its record).
 */
export function createOutcomeAuditor(deps: OutcomeAuditDeps): (outcome: RequestOutcome) => void {
  return (outcome) => {
    const phi = isChannelName(outcome.channel) && channels[outcome.channel].phi;
    const inputs = requestAuditInputs(outcome, phi, deps.purposeOfGrant);
    if (inputs.length > 0) {
      const trail = deps.trail();
      for (const input of inputs) trail.append(input);
    }
    if (outcome.outcome === 'FORBIDDEN')
      deps.logger.log('warn', 'access.denied', { channel: outcome.channel, reason: outcome.denial ?? null });
  };
}
