/**
 * `npm run central` (dev/central/main.ts): starts both services, prints their addresses and the
 * demo users, and serves them until stopped.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { killHard, spawnTs, waitForLine } from '../support/child.ts';

let child: ChildProcess | undefined;

afterAll(async () => {
  if (child) await killHard(child);
});

it('prints the addresses and demo users, and serves discovery and metadata', async () => {
  child = spawnTs('dev/central/main.ts', ['--patients', '5', '--idp-port', '0', '--fhir-port', '0']);
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  await waitForLine(child, 'central ready');
  const issuer = /Identity provider\s+(\S+)/.exec(output)?.[1];
  const fhir = /FHIR R4 API\s+(\S+)/.exec(output)?.[1];
  expect(issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(fhir).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir\/R4$/);
  expect(output).toContain('medplum personality');
  for (const role of ['physician', 'nurse', 'frontDesk', 'privacyOfficer', 'itAdmin'])
    expect(output).toMatch(new RegExp(`\\S+-demo-pass\\s+${role}\\s+Practitioner/`));
  expect((await fetch(`${issuer}/.well-known/openid-configuration`)).status).toBe(200);
  expect((await fetch(`${fhir}/metadata`)).status).toBe(200);
  expect((await fetch(`${fhir}/Patient`)).status).toBe(401);
});

it('refuses bad arguments', async () => {
  for (const args of [
    ['--patients', 'many'],
    ['--personality', 'firely'],
  ]) {
    const bad = spawnTs('dev/central/main.ts', args);
    const code = await new Promise<number | null>((resolve) => bad.on('exit', resolve));
    expect(code, args.join(' ')).toBe(2);
  }
});
