/** Vitals typed in °F and lb become the record's UCUM units; flags follow the usual adult ranges. */
import { describe, expect, it } from 'vitest';
import { toRecordUnit, vitalFlag, VitalsEntry } from '../../src-shared/chart/vitals.ts';

describe('vital sign units and flags', () => {
  it('converts °F to Cel and lb to kg, to one decimal, and leaves °C and kg as typed', () => {
    expect(toRecordUnit('bodyTemperature', '[degF]', 98.6)).toBe(37);
    expect(toRecordUnit('bodyTemperature', '[degF]', 101.3)).toBe(38.5);
    expect(toRecordUnit('bodyTemperature', 'Cel', 37.2)).toBe(37.2);
    expect(toRecordUnit('bodyWeight', '[lb_av]', 154)).toBe(69.9);
    expect(toRecordUnit('bodyWeight', 'kg', 70.4)).toBe(70.4);
    // A converted value is what the record's ranges check: 120 °F is no body temperature.
    expect(VitalsEntry.safeParse({ bodyTemperature: toRecordUnit('bodyTemperature', '[degF]', 120) }).success).toBe(
      false,
    );
    expect(VitalsEntry.safeParse({ bodyWeight: toRecordUnit('bodyWeight', '[lb_av]', 154) }).success).toBe(true);
  });

  it('flags values outside the usual adult range, not the edges', () => {
    expect(vitalFlag('heartRate', 59)).toBe('low');
    expect(vitalFlag('heartRate', 60)).toBeNull();
    expect(vitalFlag('heartRate', 100)).toBeNull();
    expect(vitalFlag('heartRate', 101)).toBe('high');
    expect(vitalFlag('systolic', 140)).toBe('high');
    expect(vitalFlag('diastolic', 59)).toBe('low');
    expect(vitalFlag('bodyTemperature', 38.0)).toBe('high');
    expect(vitalFlag('oxygenSaturation', 94)).toBe('low');
    expect(vitalFlag('bodyWeight', 250)).toBeNull();
  });
});
