/**
 * The detector: each audit entry, as it is appended, is checked against policy `alerts`. The
 * audit trail is the evidence (every chart open, failed sign-in and failed PIN is in it before
 * anything else happens), so the counts are read back from it over the window: they hold across
 * a restart and cannot differ from what the privacy officer can verify. A raised alert is an
 * audit entry of its own (`access.alert`, shipped to central as a DICOM Security Alert) and a
 * row in the privacy officer's queue, written in one transaction.
 *
 * Never a name in an alert, a log line or an error: the family-name check compares folded
 * names in memory and keeps only whether they matched.
 */
import type { z } from 'zod';
import type { AlertKind } from '../../src-shared/ipc/channels/alerts.ts';
import type { AlertsPolicy } from '../../src-shared/policy/schema.ts';
import type { AuditEntry, AuditTrail } from '../audit/index.ts';
import { errorName } from '../base/index.ts';
import { practitionerIdOf } from '../identity/index.ts';
import type { Logger } from '../log/index.ts';
import type { Clock } from '../ports.ts';
import { familyNamesOf } from '../records/index.ts';
import type { Database } from '../vault/index.ts';
import { familyAlertOpen, insertAlert, raisedSince } from './alert-store.ts';

export interface DetectorDeps {
  db(): Database;
  trail(): AuditTrail;
  policy: z.output<typeof AlertsPolicy>;
  clock: Clock;
  logger: Logger;
}

const MINUTE = 60_000;

/** A chart opened: the router's audit entry of a `patients.open` it answered. */
const isChartOpen = (e: AuditEntry) =>
  e.action === 'patient.read' && e.outcome === 'success' && e.detail === 'patients.open' && e.patientId !== null;

/**
 * A failed authentication: a sign-in (provider or PIN) or an unlock that failed, a wrong current
 * PIN given to change the PIN, or a break-glass request refused at its PIN (the handler records
 * the PIN's refusal as `unauthenticated`). A sign-in the user cancelled at the provider is not a
 * failure.
 */
const isFailedAuth = (e: AuditEntry) =>
  ((e.action === 'session.signInFailed' || e.action === 'session.unlockFailed') && e.detail !== 'CANCELLED') ||
  (e.action === 'session.pinSet' && e.detail === 'change:wrongCurrentPin') ||
  (e.action === 'breakGlass.denied' && e.detail === 'unauthenticated');

function raise(
  deps: DetectorDeps,
  cause: AuditEntry,
  alert: { kind: AlertKind; patientId: string | null; count: number; windowMinutes: number; detail: string },
): void {
  const db = deps.db();
  db.transaction(() => {
    const entry = deps.trail().append({
      action: 'access.alert',
      outcome: 'success',
      userId: cause.userId,
      role: cause.role,
      patientId: alert.patientId,
      detail: alert.detail,
    });
    insertAlert(db, {
      id: entry.id,
      kind: alert.kind,
      userId: cause.userId,
      patientId: alert.patientId,
      count: alert.count,
      windowMinutes: alert.windowMinutes,
      raisedAt: entry.recordedAt,
    });
  }).immediate();
  deps.logger.log('warn', 'alerts.raised', { kind: alert.kind, count: alert.count });
}

/** More distinct charts opened by this user in the window than policy allows: once per window. */
function checkChartOpens(deps: DetectorDeps, entry: AuditEntry): void {
  const { chartOpensMax: max, chartOpensWindowMinutes: minutes } = deps.policy;
  const since = deps.clock.now() - minutes * MINUTE;
  const patients = new Set<string>();
  for (const e of deps.trail().recent(since))
    if (isChartOpen(e) && e.userId === entry.userId) patients.add(e.patientId!);
  if (patients.size <= max || raisedSince(deps.db(), 'chartOpens', entry.userId, since)) return;
  raise(deps, entry, {
    kind: 'chartOpens',
    patientId: null,
    count: patients.size,
    windowMinutes: minutes,
    detail: `chart-opens:${patients.size}-in-${minutes}m`,
  });
}

/** More failed sign-ins or PINs for this user (or for unknown usernames) than policy allows. */
function checkFailedAuth(deps: DetectorDeps, entry: AuditEntry): void {
  const { failedAuthMax: max, failedAuthWindowMinutes: minutes } = deps.policy;
  const since = deps.clock.now() - minutes * MINUTE;
  let failures = 0;
  for (const e of deps.trail().recent(since)) if (isFailedAuth(e) && e.userId === entry.userId) failures++;
  if (failures <= max || raisedSince(deps.db(), 'failedAuth', entry.userId, since)) return;
  raise(deps, entry, {
    kind: 'failedAuth',
    patientId: null,
    count: failures,
    windowMinutes: minutes,
    detail: `failed-auth:${failures}-in-${minutes}m`,
  });
}

/** The user's own family name (on their Practitioner) is the patient's: once until reviewed. */
function checkFamilyName(deps: DetectorDeps, entry: AuditEntry): void {
  const db = deps.db();
  const userId = entry.userId!;
  const patientId = entry.patientId!;
  const practitionerId = practitionerIdOf(db, userId);
  if (practitionerId === null) return;
  const own = familyNamesOf(db, 'Practitioner', practitionerId);
  if (own.size === 0) return;
  const shared = [...familyNamesOf(db, 'Patient', patientId)].some((name) => own.has(name));
  if (!shared || familyAlertOpen(db, userId, patientId)) return;
  raise(deps, entry, { kind: 'familyName', patientId, count: 1, windowMinutes: 0, detail: 'family-name' });
}

/**
 * Looks at one appended entry. Never throws: an alert that cannot be raised is logged (by class
 * name only) and the action that was audited stands, as its entry already does.
 */
export function createDetector(deps: DetectorDeps): (entry: AuditEntry) => void {
  return (entry) => {
    try {
      if (isChartOpen(entry) && entry.userId !== null) {
        checkChartOpens(deps, entry);
        if (deps.policy.familyName) checkFamilyName(deps, entry);
      } else if (isFailedAuth(entry)) {
        checkFailedAuth(deps, entry);
      }
    } catch (error) {
      deps.logger.log('error', 'alerts.check-failed', { errorName: errorName(error) });
    }
  };
}
