import cronstrue from 'cronstrue';

/**
 * The ways a schedule's time is picked in the dialog: presets for the common cases (as
 * jupyter-scheduler offers), or a cron expression typed by hand.
 */
export type CronPreset =
  | { kind: 'hourly'; minute: number }
  | { kind: 'daily'; hour: number; minute: number }
  | { kind: 'weekdays'; hour: number; minute: number }
  | { kind: 'weekly'; weekday: number; hour: number; minute: number }
  | { kind: 'monthly'; day: number; hour: number; minute: number }
  | { kind: 'custom'; cron: string };

export type CronPresetKind = CronPreset['kind'];

export const PRESET_KINDS: readonly CronPresetKind[] = [
  'hourly',
  'daily',
  'weekdays',
  'weekly',
  'monthly',
  'custom'
];

/**
 * What the dialog starts with: every day at 06:00.
 */
const DEFAULT_HOUR = 6;
export const DEFAULT_PRESET: CronPreset = {
  kind: 'daily',
  hour: DEFAULT_HOUR,
  minute: 0
};

/**
 * The preset of another kind that keeps what it can of the current one (its time of day), so
 * switching presets does not throw away the time the user picked; custom starts from the
 * current cron.
 */
export function switchPreset(
  current: CronPreset,
  kind: CronPresetKind
): CronPreset {
  const time = timeOfDay(current);
  switch (kind) {
    case 'hourly':
      return { kind, minute: time.minute };
    case 'daily':
    case 'weekdays':
      return { kind, ...time };
    case 'weekly':
      return { kind, weekday: 1, ...time };
    case 'monthly':
      return { kind, day: 1, ...time };
    case 'custom':
      return { kind, cron: presetToCron(current) };
  }
}

function timeOfDay(preset: CronPreset): { hour: number; minute: number } {
  switch (preset.kind) {
    case 'custom':
      return { hour: DEFAULT_HOUR, minute: 0 };
    case 'hourly':
      return { hour: DEFAULT_HOUR, minute: preset.minute };
    default:
      return { hour: preset.hour, minute: preset.minute };
  }
}

/**
 * The five-field cron expression of a preset (minute hour day-of-month month day-of-week).
 */
export function presetToCron(preset: CronPreset): string {
  switch (preset.kind) {
    case 'hourly':
      return `${preset.minute} * * * *`;
    case 'daily':
      return `${preset.minute} ${preset.hour} * * *`;
    case 'weekdays':
      return `${preset.minute} ${preset.hour} * * 1-5`;
    case 'weekly':
      return `${preset.minute} ${preset.hour} * * ${preset.weekday}`;
    case 'monthly':
      return `${preset.minute} ${preset.hour} ${preset.day} * *`;
    case 'custom':
      return preset.cron.trim().replace(/\s+/g, ' ');
  }
}

const NUMBER = /^\d{1,2}$/;

/**
 * The preset a cron expression is, or `custom` when it is none of them (the inverse of
 * `presetToCron` for every preset it produces).
 */
export function cronToPreset(cron: string): CronPreset {
  const fields = cron.trim().split(/\s+/);
  const custom: CronPreset = { kind: 'custom', cron: cron.trim() };
  if (fields.length !== 5) {
    return custom;
  }
  const [minute, hour, day, month, weekday] = fields;
  if (!NUMBER.test(minute) || Number(minute) > 59 || month !== '*') {
    return custom;
  }
  const m = Number(minute);
  if (hour === '*') {
    return day === '*' && weekday === '*'
      ? { kind: 'hourly', minute: m }
      : custom;
  }
  if (!NUMBER.test(hour) || Number(hour) > 23) {
    return custom;
  }
  const h = Number(hour);
  if (day === '*') {
    if (weekday === '*') {
      return { kind: 'daily', hour: h, minute: m };
    }
    if (weekday === '1-5') {
      return { kind: 'weekdays', hour: h, minute: m };
    }
    if (/^[0-6]$/.test(weekday)) {
      return { kind: 'weekly', weekday: Number(weekday), hour: h, minute: m };
    }
    return custom;
  }
  if (
    weekday === '*' &&
    NUMBER.test(day) &&
    Number(day) >= 1 &&
    Number(day) <= 31
  ) {
    return { kind: 'monthly', day: Number(day), hour: h, minute: m };
  }
  return custom;
}

/**
 * A cron expression in words, or why it is not one the gateway takes.
 */
export type CronDescription =
  { ok: true; text: string } | { ok: false; error: string };

/**
 * Describe a cron expression in words (cronstrue). The gateway (Prefect) takes five fields
 * only, while cronstrue would also read a seconds or a year field: those are refused here so
 * the dialog never shows a readable preview of a cron the server will reject.
 */
export function describeCron(cron: string): CronDescription {
  const trimmed = cron.trim();
  if (!trimmed) {
    return { ok: false, error: 'Enter a cron expression.' };
  }
  const count = trimmed.split(/\s+/).length;
  if (count !== 5) {
    return {
      ok: false,
      error: `A cron expression has five fields (minute hour day-of-month month day-of-week); this one has ${count}.`
    };
  }
  try {
    return {
      ok: true,
      text: cronstrue.toString(trimmed, {
        throwExceptionOnParseError: true,
        use24HourTimeFormat: true,
        verbose: false
      })
    };
  } catch (error) {
    return { ok: false, error: cronMessage(error) };
  }
}

/**
 * cronstrue throws strings (or Errors) starting with "Error: "; the field only needs the
 * sentence.
 */
function cronMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^Error:\s*/, '');
}
