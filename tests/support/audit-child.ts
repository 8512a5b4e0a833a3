/**
 * A workstation process that audits until the test kills it (SIGKILL): it opens the workstation
 * (cache, trail, anchor) as the core does, appends `durable` entries each in a durable commit,
 * waits for the anchor outside the cache to hold the newest, prints "anchored <seq>", then keeps
 * the process alive (its WAL is never checkpointed).
 *   audit-child <dataDir> <durable>
 */
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { systemTimers } from '../../src-main/ports.ts';
import { createKeytarKeyStore } from '../../src-main/vault/keytar-key-store.ts';
import { durably } from '../../src-main/vault/sqlcipher.ts';
import { openWorkstation } from '../../src-main/workstation.ts';
import { Policy } from '../../src-shared/policy/schema.ts';

const [dataDir, durable = '20'] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: audit-child <dataDir> <durable>');
const workstation = await openWorkstation({
  keyStore: createKeytarKeyStore(),
  clock: { now: () => Date.now() },
  timers: systemTimers,
  paths: { dataDir },
  policy: Policy.parse({}),
  logger: createMemoryLogger(),
});
if (!workstation.ready) throw new Error(`not ready: ${JSON.stringify(workstation.status().vault)}`);
for (let i = 0; i < Number(durable); i++) {
  durably(workstation.db(), () =>
    workstation
      .trail()
      .append({ action: 'key.rotate', outcome: 'success', userId: null, role: 'itAdmin', detail: `child-${i}` }),
  );
}
await workstation.anchored();
process.stdout.write(`anchored ${workstation.trail().lastSeq()}\n`);
setInterval(() => undefined, 60_000);
