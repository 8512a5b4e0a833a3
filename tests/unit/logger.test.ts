import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createJsonLogger, createMemoryLogger } from '../../src-main/log/logger.ts';
import { APP_NAME, APP_VERSION } from '../../src-shared/app-info.ts';

describe('redacting logger', () => {
  it('keeps allow-listed facts and redacts every other field', () => {
    const lines: string[] = [];
    const logger = createJsonLogger((line) => lines.push(line));
    logger.log('info', 'records.stored', { count: 3, patientName: 'Quorva Zentrell', mrn: 'MRN-1', code: 'OK' });
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({
      level: 'info',
      event: 'records.stored',
      count: 3,
      code: 'OK',
      patientName: '[redacted]',
      mrn: '[redacted]',
    });
    expect(lines[0]).not.toContain('Quorva');
    const memory = createMemoryLogger();
    memory.log('warn', 'x', { name: 'Quorva' });
    expect(memory.entries).toEqual([{ level: 'warn', event: 'x', fields: { name: '[redacted]' } }]);
  });
});

describe('app info', () => {
  it('matches package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect({ APP_NAME, APP_VERSION }).toEqual({ APP_NAME: pkg.productName, APP_VERSION: pkg.version });
  });
});
