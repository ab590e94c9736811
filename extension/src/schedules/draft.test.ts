import { describe, expect, it } from 'vitest';

import type { INotebookParameter } from '../api/schedules';
import {
  IScheduleDraft,
  defaultScheduleName,
  errorsByField,
  validateDraft
} from './draft';

const ZONES = ['UTC', 'Europe/Paris'];
const PARAMETERS: INotebookParameter[] = [
  { name: 'limit', type: 'int', default: '10' }
];

function draft(change: Partial<IScheduleDraft> = {}): IScheduleDraft {
  return {
    notebook: 'reports/sales.ipynb',
    name: 'sales',
    reportName: '',
    preset: { kind: 'weekdays', hour: 7, minute: 0 },
    timezone: 'Europe/Paris',
    parameters: { limit: 10 },
    ...change
  };
}

describe('defaultScheduleName', () => {
  it('makes a name the gateway accepts from the notebook', () => {
    expect(defaultScheduleName('reports/Daily Sales.ipynb')).toBe(
      'daily-sales'
    );
    expect(defaultScheduleName('_x.ipynb')).toBe('x');
    expect(defaultScheduleName('Été.ipynb')).toBe('t');
    expect(defaultScheduleName('!!!.ipynb')).toBe('notebook');
    expect(defaultScheduleName(`${'a'.repeat(80)}.ipynb`)).toHaveLength(63);
  });
});

describe('validateDraft', () => {
  it('builds the ScheduleCreate body', () => {
    expect(validateDraft(draft(), PARAMETERS, ZONES)).toEqual({
      body: {
        notebook: 'reports/sales.ipynb',
        cron: '0 7 * * 1-5',
        timezone: 'Europe/Paris',
        parameters: {},
        name: 'sales'
      },
      errors: []
    });
    const named = validateDraft(
      draft({ reportName: ' weekly ', parameters: { limit: 3 } }),
      PARAMETERS,
      ZONES
    );
    expect(named.body).toMatchObject({
      report_name: 'weekly',
      parameters: { limit: 3 }
    });
  });

  it('names every field to fix', () => {
    const result = validateDraft(
      draft({
        notebook: 'data.csv',
        name: 'Bad Name',
        reportName: 'r'.repeat(129),
        preset: { kind: 'custom', cron: '0 6 * *' },
        timezone: 'Mars/Olympus'
      }),
      PARAMETERS,
      ZONES
    );
    expect(result.body).toBeNull();
    expect(result.errors.map(e => e.field)).toEqual([
      'notebook',
      'name',
      'report_name',
      'cron',
      'timezone'
    ]);
  });

  it('leaves the time zone to the server when the browser lists none', () => {
    expect(
      validateDraft(draft({ timezone: 'Mars/Olympus' }), PARAMETERS, ['UTC'])
        .errors
    ).toEqual([]);
  });
});

describe('errorsByField', () => {
  it('joins the messages of a field and leaves parameters to the form', () => {
    expect(
      errorsByField([
        { field: 'cron', message: 'Bad.' },
        { field: 'cron', message: 'Really.' },
        { field: 'parameters.limit', message: 'not an int' },
        { field: '', message: 'Gateway down' }
      ])
    ).toEqual({ cron: 'Bad. Really.', form: 'Gateway down' });
  });
});
