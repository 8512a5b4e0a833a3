/**
 * The compliance report's parts that need no workstation: the control a test name carries, the
 * Electron fuse wire read from a binary's bytes, and a packaged app's fuses judged in its row.
 * (The report over a real cache and keychain: tests/integration/compliance-report.test.ts.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { controlRows } from '../../src-main/cli/compliance/controls.ts';
import type { LiveEvidence } from '../../src-main/cli/compliance/evidence.ts';
import { fuseFileOf, fusesInWire, readFuses } from '../../src-main/cli/compliance/fuses.ts';
import { controlsIn } from '../../src-main/cli/compliance/test-runs.ts';
import { Policy } from '../../src-shared/policy/schema.ts';

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** A fuse wire as build/after-pack.mjs leaves it: RunAsNode off, cookies on, ... (9 fuses). */
const wire = (states = '010011001') =>
  Buffer.concat([Buffer.from(SENTINEL), Buffer.from([1, states.length]), Buffer.from(states)]);

describe('164.312(b) compliance report: tests tagged with their control', () => {
  it('reads the most specific control a name carries, several per name', () => {
    expect(controlsIn('164.312(a)(2)(iv) key escrow: recovers')).toEqual(['164.312(a)(2)(iv)']);
    expect(controlsIn('164.312(e)(1) 164.312(e)(2)(ii) central TLS refuses')).toEqual([
      '164.312(e)(1)',
      '164.312(e)(2)(ii)',
    ]);
    expect(controlsIn('164.312(b): audit')).toEqual(['164.312(b)']);
    expect(controlsIn('no tag, 164.312 alone, 164.313(b)')).toEqual([]);
  });
});

describe('164.312(c)(1) compliance report: Electron fuses of a packaged binary', () => {
  it('reads the fuse wire after its sentinel', () => {
    const bytes = Buffer.concat([Buffer.alloc(1000, 7), wire(), Buffer.alloc(50)]);
    expect(fusesInWire(bytes)).toEqual({
      RunAsNode: 'off',
      EnableCookieEncryption: 'on',
      EnableNodeOptionsEnvironmentVariable: 'off',
      EnableNodeCliInspectArguments: 'off',
      EnableEmbeddedAsarIntegrityValidation: 'on',
      OnlyLoadAppFromAsar: 'on',
      LoadBrowserProcessSpecificV8Snapshot: 'off',
      GrantFileProtocolExtraPrivileges: 'off',
      WasmTrapHandlers: 'on',
    });
    expect(fusesInWire(Buffer.alloc(100))).toBeNull();
  });

  it('finds a wire across the 4 MiB read boundary of a large binary, and the framework inside a macOS bundle', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clinic-fuses-'));
    try {
      const file = path.join(dir, 'electron');
      fs.writeFileSync(file, Buffer.concat([Buffer.alloc(4 * 1024 * 1024 - 10), wire('110011001')]));
      expect(readFuses(file)).toMatchObject({ RunAsNode: 'on', EnableCookieEncryption: 'on' });
      fs.writeFileSync(file, Buffer.alloc(5 * 1024 * 1024));
      expect(readFuses(file)).toBeNull();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(fuseFileOf('/Applications/Clinic Workstation.app/Contents/MacOS/Clinic Workstation')).toBe(
      '/Applications/Clinic Workstation.app/Contents/Frameworks/Electron Framework.framework/Electron Framework',
    );
    expect(fuseFileOf('C:\\Program Files\\Clinic Workstation\\Clinic Workstation.exe')).toBe(
      'C:\\Program Files\\Clinic Workstation\\Clinic Workstation.exe',
    );
  });

  it('marks integrity for attention when a packaged binary runs as Node; a development checkout is only noted', () => {
    const evidence = (fuses: Record<string, string> | null, packaged: boolean): LiveEvidence => ({
      generatedAt: '2026-12-03T14:00:00.000Z',
      app: { version: '0.1.0', packaged, fuses },
      policy: { ok: true, source: '/etc/clinic-workstation/policy.json', value: Policy.parse({}) },
      keychain: { ok: true },
      vault: { ok: false, code: 'DATABASE_MISSING' },
    });
    const runs = { folder: '/nowhere', reports: [], unreadable: [], tagged: [] };
    const fuseCheck = (e: LiveEvidence) =>
      controlRows(e, runs)
        .find((r) => r.id === '164.312(c)(1)')!
        .checks.find((c) => c.label === 'Electron fuses of the packaged binary');
    expect(fuseCheck(evidence(fusesInWire(wire()), true))).toMatchObject({ value: 'as required', ok: true });
    expect(fuseCheck(evidence(fusesInWire(wire('110011001')), true))).toMatchObject({
      value: 'not as required: RunAsNode=on',
      ok: false,
    });
    expect(fuseCheck(evidence(null, true))).toMatchObject({ ok: false });
    expect(fuseCheck(evidence(null, false))).toMatchObject({ value: 'not packaged (development checkout)', ok: null });
  });
});
