import { describe, expect, it } from 'vitest';

import {
  CronPreset,
  PRESET_KINDS,
  cronToPreset,
  describeCron,
  presetToCron,
  switchPreset
} from './cron';

const PRESETS: CronPreset[] = [
  { kind: 'hourly', minute: 15 },
  { kind: 'daily', hour: 6, minute: 30 },
  { kind: 'weekdays', hour: 0, minute: 0 },
  { kind: 'weekly', weekday: 0, hour: 23, minute: 59 },
  { kind: 'monthly', day: 31, hour: 7, minute: 5 }
];

describe('cron presets', () => {
  it('write the cron expressions the gateway takes', () => {
    expect(PRESETS.map(presetToCron)).toEqual([
      '15 * * * *',
      '30 6 * * *',
      '0 0 * * 1-5',
      '59 23 * * 0',
      '5 7 31 * *'
    ]);
  });

  it('read back from their own cron', () => {
    for (const preset of PRESETS) {
      expect(cronToPreset(presetToCron(preset))).toEqual(preset);
    }
  });

  it('leave anything else custom', () => {
    for (const cron of [
      '*/5 * * * *',
      '0 6 * 1 *',
      '0 6 * * 1,3',
      '0 0 0 * * *'
    ]) {
      expect(cronToPreset(cron)).toEqual({ kind: 'custom', cron });
    }
  });

  it('keep the time of day when switching', () => {
    const daily: CronPreset = { kind: 'daily', hour: 9, minute: 45 };
    expect(switchPreset(daily, 'weekly')).toEqual({
      kind: 'weekly',
      weekday: 1,
      hour: 9,
      minute: 45
    });
    expect(switchPreset(daily, 'hourly')).toEqual({
      kind: 'hourly',
      minute: 45
    });
    expect(switchPreset(daily, 'custom')).toEqual({
      kind: 'custom',
      cron: '45 9 * * *'
    });
    for (const kind of PRESET_KINDS) {
      expect(switchPreset(daily, kind).kind).toBe(kind);
    }
  });

  it('normalise the spaces of a custom cron', () => {
    expect(presetToCron({ kind: 'custom', cron: '  0   6 * * *  ' })).toBe(
      '0 6 * * *'
    );
  });
});

describe('describeCron', () => {
  it('says a valid cron in words', () => {
    expect(describeCron('0 0 * * 1-5')).toEqual({
      ok: true,
      text: 'At 00:00, Monday through Friday'
    });
  });

  it('refuses what Prefect would refuse, with a sentence', () => {
    const empty = describeCron('  ');
    expect(empty).toEqual({ ok: false, error: 'Enter a cron expression.' });
    const seconds = describeCron('0 0 6 * * *');
    expect(seconds.ok).toBe(false);
    expect(!seconds.ok && seconds.error).toContain('five fields');
    const bad = describeCron('61 * * * *');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).not.toMatch(/^Error:/);
    expect(!bad.ok && bad.error.length).toBeGreaterThan(0);
  });
});
