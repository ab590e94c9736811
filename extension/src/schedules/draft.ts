import type { IScheduleCreate, INotebookParameter } from '../api/schedules';
import type { IFieldError } from '../form/fieldErrors';
import { CronPreset, describeCron, presetToCron } from './cron';
import { scheduleParameters } from './parameters';

/**
 * What the scheduling dialog holds while the user edits it.
 */
export interface IScheduleDraft {
  notebook: string;
  name: string;
  reportName: string;
  preset: CronPreset;
  timezone: string;
  /**
   * The parameters form's data.
   */
  parameters: Record<string, unknown>;
}

// The gateway's rule for schedule names (lakebook.gateway.schedules.SCHEDULE_NAME).
const SCHEDULE_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const REPORT_NAME_MAX = 128;

/**
 * A schedule name the gateway accepts, from a notebook path: `reports/Daily Sales.ipynb`
 * becomes `daily-sales`.
 */
export function defaultScheduleName(notebook: string): string {
  const file = notebook.split('/').pop() ?? '';
  const stem = file.replace(/\.ipynb$/i, '');
  const name = stem
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '')
    .slice(0, 63);
  return name || 'notebook';
}

/**
 * The browser's time zone (what the dialog starts with), UTC when it cannot tell.
 */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * The IANA time zones the browser knows, with UTC first (Chromium's list leaves it out).
 */
export function timeZones(): string[] {
  const intl = Intl as unknown as {
    supportedValuesOf?: (key: string) => string[];
  };
  const zones = intl.supportedValuesOf?.('timeZone') ?? [];
  return ['UTC', ...zones.filter(zone => zone !== 'UTC')];
}

/**
 * The checks the server makes that the dialog can make first, as field errors on the
 * ScheduleCreate fields (`notebook`, `name`, `cron`, `timezone`, `report_name`,
 * `parameters.x`); the body to send when there are none.
 */
export function validateDraft(
  draft: IScheduleDraft,
  parameters: readonly INotebookParameter[],
  knownTimeZones: readonly string[] = timeZones()
): { body: IScheduleCreate | null; errors: IFieldError[] } {
  const errors: IFieldError[] = [];
  const notebook = draft.notebook.trim();
  if (!notebook) {
    errors.push({ field: 'notebook', message: 'Choose a notebook.' });
  } else if (!/\.ipynb$/i.test(notebook)) {
    errors.push({ field: 'notebook', message: 'Not a notebook (.ipynb).' });
  }
  const name = draft.name.trim();
  if (!SCHEDULE_NAME.test(name)) {
    errors.push({
      field: 'name',
      message:
        "Use 1-63 lower-case letters, digits, '_', '.' or '-', starting with a letter or digit."
    });
  }
  const reportName = draft.reportName.trim();
  if (reportName.length > REPORT_NAME_MAX) {
    errors.push({
      field: 'report_name',
      message: `At most ${REPORT_NAME_MAX} characters.`
    });
  }
  const cron = presetToCron(draft.preset);
  const described = describeCron(cron);
  if (!described.ok) {
    errors.push({ field: 'cron', message: described.error });
  }
  // An empty list means the browser cannot enumerate zones: let the server judge.
  if (knownTimeZones.length > 1 && !knownTimeZones.includes(draft.timezone)) {
    errors.push({ field: 'timezone', message: 'Unknown time zone.' });
  }
  const values = scheduleParameters(parameters, draft.parameters);
  errors.push(...values.errors);
  if (errors.length > 0) {
    return { body: null, errors };
  }
  const body: IScheduleCreate = {
    notebook,
    cron,
    timezone: draft.timezone,
    parameters: values.values,
    name
  };
  if (reportName) {
    body.report_name = reportName;
  }
  return { body, errors };
}

/**
 * Field errors keyed by their top-level field, for the dialog's own inputs (`parameters.*`
 * errors go to the parameters form through `toErrorSchema`).
 */
export function errorsByField(
  errors: readonly IFieldError[]
): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const error of errors) {
    if (error.field.startsWith('parameters')) {
      continue;
    }
    const field = error.field || 'form';
    byField[field] = byField[field]
      ? `${byField[field]} ${error.message}`
      : error.message;
  }
  return byField;
}
