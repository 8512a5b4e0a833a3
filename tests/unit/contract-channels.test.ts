/** The contract's channels, one file per capability (src-shared/ipc/channels/), merged in contract.ts. */
import { describe, expect, it } from 'vitest';
import { channelNames, channels } from '../../src-shared/ipc/contract.ts';
import { alertChannels } from '../../src-shared/ipc/channels/alerts.ts';
import { breakGlassChannels } from '../../src-shared/ipc/channels/break-glass.ts';
import { draftChannels } from '../../src-shared/ipc/channels/drafts.ts';
import { chartChannels, chartReadChannels, chartWriteChannels } from '../../src-shared/ipc/channels/chart.ts';
import { sessionChannels } from '../../src-shared/ipc/channels/session.ts';
import { syncChannels } from '../../src-shared/ipc/channels/sync.ts';
import { workstationChannels } from '../../src-shared/ipc/channels/workstation.ts';

/** Each capability file's table, with the name prefixes its channels may have. */
const capabilities: [file: string, table: object, prefixes: string[]][] = [
  ['workstation', workstationChannels, ['workstation.']],
  ['session', sessionChannels, ['session.']],
  ['chart', chartChannels, ['patients.', 'chart.']],
  ['sync', syncChannels, ['sync.']],
  ['break-glass', breakGlassChannels, ['breakGlass.']],
  ['alerts', alertChannels, ['alerts.']],
  ['drafts', draftChannels, ['drafts.']],
];

describe('contract channels by capability', () => {
  it('defines no channel in two capability files', () => {
    const sizes = capabilities.map(([, table]) => Object.keys(table).length);
    const union = new Set(capabilities.flatMap(([, table]) => Object.keys(table)));
    expect(union.size).toBe(sizes.reduce((a, b) => a + b, 0));
  });

  it('merges exactly the capability files, the same definitions, into the contract', () => {
    const union = new Set(capabilities.flatMap(([, table]) => Object.keys(table)));
    expect(new Set(channelNames)).toEqual(union);
    expect(channelNames).toHaveLength(union.size);
    for (const [, table] of capabilities) {
      for (const [name, definition] of Object.entries(table)) {
        expect(channels[name as keyof typeof channels]).toBe(definition);
      }
    }
  });

  it.each(capabilities)('keeps only its own channels in channels/%s.ts', (_file, table, prefixes) => {
    const names = Object.keys(table);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(
        prefixes.some((prefix) => name.startsWith(prefix)),
        name,
      ).toBe(true);
    }
  });

  it('splits the chart into reading and writing, nothing left out', () => {
    expect(Object.keys(chartChannels)).toEqual([...Object.keys(chartReadChannels), ...Object.keys(chartWriteChannels)]);
  });
});
