import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { WorkstationHealth } from '../../src-shared/ipc/contract.ts';
import { invoke } from '../api.ts';
import { formatDateTime } from '../format.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const when = (at: number | null, never: string) => (at === null ? never : formatDateTime(at));
const yesNo = (value: boolean, yes: string, no: string) => (value ? yes : no);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Time offline in days and hours ("2 days 5 hours"), which is how maxOfflineDays is set. */
function offlineFor(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  const hours = Math.floor((ms % DAY_MS) / HOUR_MS);
  if (days === 0 && hours === 0) return 'less than an hour';
  return [days ? plural(days, 'day') : '', hours ? plural(hours, 'hour') : ''].filter(Boolean).join(' ');
}

function Facts({ title, children }: { title: string; children: ReactNode }) {
  const id = `status-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return (
    <section className="status-group" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <dl className="facts">{children}</dl>
    </section>
  );
}

function Fact({ term, children, problem = false }: { term: string; children: ReactNode; problem?: boolean }) {
  return (
    <div className="facts__row">
      <dt>{term}</dt>
      {/* A problem is said in words ("Needs IT: ..."), not by colour alone. */}
      <dd className={problem ? 'status-problem' : undefined}>
        {problem && <strong>Needs IT: </strong>}
        {children}
      </dd>
    </div>
  );
}

/** The facts, in the order IT checks them: can the cache open, is it safe, is it sending. */
function HealthFacts({ health: h }: { health: WorkstationHealth }) {
  const c = h.vault.cipher;
  const backlogFleet = h.fleet.lastReportedAt !== null;
  return (
    <>
      <Facts title="This workstation">
        <Fact term="App version">{h.appVersion}</Fact>
        <Fact term="Workstation id">
          <code>{h.workstationId ?? 'not yet assigned'}</code>
        </Fact>
      </Facts>
      <Facts title="Encrypted cache">
        <Fact term="Cache">{`Open (schema version ${h.vault.schemaVersion})`}</Fact>
        <Fact term="Encryption" problem={!h.vault.fileEncrypted || !c.hmacUse || c.plaintextHeaderSize > 0}>
          {`${c.cipher} ${c.legacy} (${c.hmacAlgorithm}, page ${c.pageSize} bytes, ${c.hmacUse ? 'every page authenticated' : 'pages NOT authenticated'}, ${h.vault.fileEncrypted && c.plaintextHeaderSize === 0 ? 'whole file encrypted' : 'file header in clear'}), read back from the open cache`}
        </Fact>
        <Fact term="Keychain" problem={!h.keychain.reachable || !h.keychain.keyPresent}>
          {!h.keychain.reachable
            ? 'The OS keychain does not answer.'
            : h.keychain.keyPresent
              ? 'Reachable; holds the cache key'
              : 'Reachable, but the cache key is not in it: the next start will not open the cache. Recover the key from the escrow before restarting.'}
        </Fact>
        <Fact term="Key escrow" problem={h.escrow.recoveryKeyInPolicy && !h.escrow.verified}>
          {!h.escrow.recoveryKeyInPolicy
            ? 'Off: the policy names no IT recovery key (vault.recoveryPublicKeyPem)'
            : h.escrow.verified
              ? 'Present and verified against the live key'
              : h.escrow.present
                ? 'Present but does not match the live key: restart the app to write it again'
                : 'Missing: restart the app to write it again'}
        </Fact>
      </Facts>
      <Facts title="Policy">
        <Fact term="Source">{h.policy.source}</Fact>
        <Fact term="Managed">
          {yesNo(h.policy.managed, 'Yes, set by IT', 'No: not from the managed policy location')}
        </Fact>
      </Facts>
      <Facts title="Sync and audit">
        <Fact term="Changes not yet on central">{`${h.sync.pending} waiting, ${h.sync.conflicts} in conflict`}</Fact>
        <Fact term="Changes held" problem={h.sync.held > 0}>
          {h.sync.held === 0 ? 'None' : `${h.sync.held}: queue them again with ws sync retry-held`}
        </Fact>
        <Fact term="Last pull from central">{when(h.sync.lastPullAt, 'Never')}</Fact>
        <Fact term="Audit entries">{`${h.audit.entries} recorded, ${h.audit.unshipped} not yet sent to central`}</Fact>
        <Fact term="Audit entries refused by central" problem={h.audit.refusedByCentral > 0}>
          {h.audit.refusedByCentral === 0
            ? 'None'
            : `${h.audit.refusedByCentral}: send them again with ws audit retry-refused`}
        </Fact>
        <Fact term="Last audit shipment">{when(h.audit.lastShippedAt, 'Never')}</Fact>
      </Facts>
      <Facts title="Central">
        <Fact term="Central services">{yesNo(h.central.configured, 'Configured in policy', 'Not configured')}</Fact>
        <Fact term="Last contact">{when(h.central.lastContactAt, 'Never')}</Fact>
        <Fact term="Offline expiry" problem={h.central.expired}>
          {h.central.expired
            ? `Expired: offline ${offlineFor(h.central.offlineMs)}, more than the ${plural(h.central.maxOfflineDays, 'day')} allowed. PIN sign-in and charts are off until someone signs in fully.`
            : `Offline ${offlineFor(h.central.offlineMs)} of the ${plural(h.central.maxOfflineDays, 'day')} allowed`}
        </Fact>
        <Fact term="Fleet status">
          {backlogFleet
            ? `Last told central at ${when(h.fleet.lastReportedAt, '')}: version ${h.fleet.appVersion ?? 'unknown'}, ${h.fleet.pendingChanges ?? 'unknown'} changes and ${h.fleet.auditBacklog ?? 'unknown'} audit entries waiting, policy from ${h.fleet.policySource ?? 'unknown'}`
            : 'Not yet reported to central'}
        </Fact>
        <Fact term="Remote wipe" problem={h.remoteWipe.inProgress}>
          {h.remoteWipe.inProgress
            ? 'In progress on an order from central'
            : h.remoteWipe.lastCheckedAt === null
              ? 'No order known; not yet checked at central'
              : `No order at central when last checked (${when(h.remoteWipe.lastCheckedAt, '')})`}
        </Fact>
      </Facts>
    </>
  );
}

/**
 * The IT admin's home (issue 16): the workstation's status in words, read from the running core
 * (workstation.health: the same counts as `ws status`). No patient data.
 */
export function WorkstationStatusPanel() {
  const [health, setHealth] = useState<WorkstationHealth | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    void invoke('workstation.health', {}).then((result) => {
      if (result.ok) {
        setHealth(result.data);
        setError(null);
      } else setError(result.error.message);
    });
  }, []);
  useEffect(load, [load]);
  return (
    <section className="panel" aria-labelledby="workstation-status-heading">
      <div className="chart__header">
        <h1 id="workstation-status-heading">Workstation status</h1>
        <button type="button" className="button button--secondary" onClick={load}>
          Refresh status
        </button>
      </div>
      <p className="lead">What this workstation knows about itself. No patient data is shown here.</p>
      {error && <ErrorAlert label="Not loaded:" message={error} />}
      {health ? <HealthFacts health={health} /> : !error && <p className="hint">Reading the status…</p>}
    </section>
  );
}
