import { roleHasPermission } from '../../src-shared/access/roles.ts';
import type { ChartAccess } from '../../src-shared/chart/chart.ts';
import type { ActiveGrant } from '../access/decision.ts';
import { authorize } from '../access/authorize.ts';
import { IpcFailure } from '../ipc/failure.ts';
import type { Handlers } from '../ipc/router.ts';
import type { Database } from '../vault/sqlcipher.ts';
import { readChart } from './chart.ts';
import { readPatientSummary, searchPatients } from './repository.ts';

type PatientHandlers = Pick<Handlers, 'patients.search' | 'patients.open' | 'chart.read'>;

/**
 * The records channels. The router has already checked the session, the role and (for one
 * patient's data) the care relationship before any of these runs; they only read the cache.
 */
export function createPatientHandlers(db: () => Database, activeGrants: (userId: string) => readonly ActiveGrant[]): PatientHandlers {
  return {
    'patients.search': (request) => ({ results: searchPatients(db(), request.query, request.limit) }),
    'patients.open': (request, { session, served }) => {
      const patient = readPatientSummary(db(), request.patientId);
      if (!patient || !session) throw new IpcFailure('NOT_FOUND', 'No such patient in this workstation\u2019s records.');
      let access: ChartAccess = 'demographicsOnly';
      let emergencyAccessUntil: number | null = null;
      if (roleHasPermission(session.role, 'patient.clinical.read')) {
        // The same decision the router makes for chart.read: care team or an active grant.
        const grants = activeGrants(session.userId);
        const user = { userId: session.userId, role: session.role, practitionerId: session.practitionerId };
        const decision = authorize(db(), { user, action: 'patient.clinical.read', patientId: patient.id, activeGrants: grants });
        access = decision.allowed ? 'full' : 'restricted';
        if (decision.allowed) served.decision = decision;
        if (decision.allowed && decision.basis === 'breakGlass') {
          emergencyAccessUntil = grants.find((g) => g.grantId === decision.grantId)?.expiresAt ?? null;
        }
      }
      return { patient, access, sections: access === 'full' ? readChart(db(), patient.id) : null, emergencyAccessUntil };
    },
    'chart.read': (request) => readChart(db(), request.patientId),
  };
}
