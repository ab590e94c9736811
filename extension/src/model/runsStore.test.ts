import { describe, expect, it } from 'vitest';

import { matchesFilter } from './runStates';
import { IRunRow, RunsStore } from './runsStore';

function run(
  id: string,
  state: string,
  minute: number,
  flow = 'ping'
): IRunRow {
  return {
    run_id: id,
    flow_name: flow,
    state,
    state_name: state.charAt(0) + state.slice(1).toLowerCase(),
    created_at: `2026-12-07T02:${String(minute).padStart(2, '0')}:00+00:00`
  };
}

describe('RunsStore', () => {
  it('lists newest first and filters by state on the page', () => {
    const store = new RunsStore();
    store.setPage(
      [run('a', 'COMPLETED', 1), run('b', 'RUNNING', 3), run('c', 'FAILED', 2)],
      0
    );
    expect(store.rows().map(r => r.run_id)).toEqual(['b', 'c', 'a']);
    expect(store.rows('active').map(r => r.run_id)).toEqual(['b']);
    expect(store.rows('failed').map(r => r.run_id)).toEqual(['c']);
    expect(store.activeRunIds()).toEqual(['b']);
  });

  it('applies pushed states, and a page fetched before the event does not undo them', () => {
    const store = new RunsStore();
    store.setPage([run('a', 'PENDING', 1)], 0);
    expect(store.applyEvent('a', { state: 'RUNNING', name: 'Running' })).toBe(
      true
    );
    expect(store.rows()[0].state_name).toBe('Running');
    // A page answered before the run started still says PENDING: the pushed state wins.
    store.setPage([run('a', 'PENDING', 1)], 0);
    expect(store.rows()[0].state).toBe('RUNNING');
    // A page further along than the events wins over them.
    store.setPage([run('a', 'COMPLETED', 1)], 0);
    expect(store.rows()[0].state).toBe('COMPLETED');
    expect(store.activeRunIds()).toEqual([]);
  });

  it('shows a launched run at once on the first page until the list has it', () => {
    const store = new RunsStore();
    store.setPage([run('a', 'COMPLETED', 1)], 0);
    store.addLaunched(run('new', 'SCHEDULED', 5));
    expect(store.rows().map(r => r.run_id)).toEqual(['new', 'a']);
    store.setPage([run('a', 'COMPLETED', 1)], 20);
    expect(store.rows().map(r => r.run_id)).toEqual(['a']);
    store.setPage([run('new', 'RUNNING', 5), run('a', 'COMPLETED', 1)], 0);
    expect(store.rows().map(r => r.run_id)).toEqual(['new', 'a']);
    expect(store.rows()[0].state).toBe('RUNNING');
  });

  it('ignores an event of a run not shown and an older state', () => {
    const store = new RunsStore();
    store.setPage([run('a', 'RUNNING', 1)], 0);
    expect(
      store.applyEvent('zzz', { state: 'COMPLETED', name: 'Completed' })
    ).toBe(false);
    expect(store.applyEvent('a', { state: 'PENDING', name: 'Pending' })).toBe(
      false
    );
    expect(store.rows()[0].state).toBe('RUNNING');
  });
});

describe('matchesFilter', () => {
  it('groups the final states', () => {
    expect(matchesFilter('CRASHED', 'failed')).toBe(true);
    expect(matchesFilter('CANCELLING', 'cancelled')).toBe(true);
    expect(matchesFilter('CANCELLING', 'active')).toBe(true);
    expect(matchesFilter('COMPLETED', 'active')).toBe(false);
  });
});
