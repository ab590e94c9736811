import { describe, expect, it } from 'vitest';

import type { INotebookRun, ISchedule } from '../api/schedules';
import { canonical, runsOfSchedule } from './runs';

const SCHEDULE: ISchedule = {
  id: 'ana:sales',
  name: 'sales',
  owner: 'ana',
  notebook: 'sales.ipynb',
  cron: '0 6 * * *',
  timezone: 'UTC',
  parameters: { a: 1, b: [1, 2] },
  active: true,
  next_run_at: null
};

function run(
  id: string,
  created: string,
  change: Partial<INotebookRun> = {}
): INotebookRun {
  return {
    run_id: id,
    flow_name: 'run_notebook',
    owner: 'ana',
    state: 'COMPLETED',
    state_name: 'Completed',
    parameters: { notebook: 'sales.ipynb', parameters: { b: [1, 2], a: 1 } },
    created_at: created,
    start_time: null,
    end_time: null,
    ...change
  };
}

describe('runsOfSchedule', () => {
  it('keeps the runs of its notebook, parameters and owner, newest first', () => {
    const runs = [
      run('old', '2026-12-01T06:00:00Z'),
      run('other-owner', '2026-12-05T06:00:00Z', { owner: 'bob' }),
      run('new', '2026-12-03T06:00:00Z'),
      run('other-notebook', '2026-12-04T06:00:00Z', {
        parameters: { notebook: 'x.ipynb', parameters: { a: 1, b: [1, 2] } }
      }),
      run('other-parameters', '2026-12-04T07:00:00Z', {
        parameters: { notebook: 'sales.ipynb', parameters: { a: 2, b: [1, 2] } }
      }),
      run('mid', '2026-12-02T06:00:00Z')
    ];
    expect(runsOfSchedule(SCHEDULE, runs).map(r => r.run_id)).toEqual([
      'new',
      'mid',
      'old'
    ]);
    expect(runsOfSchedule(SCHEDULE, runs, 1).map(r => r.run_id)).toEqual([
      'new'
    ]);
  });

  it('matches a schedule without parameters to runs without them', () => {
    const bare = { ...SCHEDULE, parameters: {} };
    const runs = [
      run('none', '2026-12-01T06:00:00Z', {
        parameters: { notebook: 'sales.ipynb' }
      })
    ];
    expect(runsOfSchedule(bare, runs).map(r => r.run_id)).toEqual(['none']);
  });
});

describe('canonical', () => {
  it('ignores key order, not list order', () => {
    expect(canonical({ b: { d: 1, c: 2 }, a: 1 })).toBe(
      canonical({ a: 1, b: { c: 2, d: 1 } })
    );
    expect(canonical([1, 2])).not.toBe(canonical([2, 1]));
  });
});
