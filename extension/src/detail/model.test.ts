import { describe, expect, it } from 'vitest';

import { ILogLine, IRunDetail, IStateChange } from '../tokens';
import {
  failureReason,
  filterLogs,
  formatDuration,
  formatParameter,
  mergeLogs,
  mergeStates,
  runDurationMs
} from './model';

function line(second: number, message: string, level = 'INFO'): ILogLine {
  return {
    timestamp: new Date(Date.UTC(2026, 11, 7, 2, 0, second)).toISOString(),
    level,
    logger: 'prefect.flow_runs',
    message
  };
}

function run(changes: Partial<IRunDetail> = {}): IRunDetail {
  return {
    run_id: 'r1',
    flow_name: 'ping',
    owner: 'ana',
    state: 'RUNNING',
    state_name: 'Running',
    parameters: {},
    created_at: '2026-12-07T02:00:00+00:00',
    start_time: '2026-12-07T02:00:01+00:00',
    end_time: null,
    ...changes
  };
}

describe('mergeLogs', () => {
  it('drops lines seen twice (a page, then the same line as an event)', () => {
    const page = [line(1, 'a'), line(2, 'b')];
    const merged = mergeLogs(page, [line(2, 'b'), line(3, 'c')]);
    expect(merged.map(l => l.message)).toEqual(['a', 'b', 'c']);
  });

  it('returns the same array when nothing is new, so React does not re-render', () => {
    const page = [line(1, 'a')];
    expect(mergeLogs(page, [line(1, 'a')])).toBe(page);
  });

  it('puts a late older line in time order, keeping same-instant lines in arrival order', () => {
    const merged = mergeLogs(
      [line(1, 'a'), line(3, 'c')],
      [line(2, 'b'), line(3, 'd')]
    );
    expect(merged.map(l => l.message)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps two equal messages at different times', () => {
    expect(mergeLogs([line(1, 'tick')], [line(2, 'tick')])).toHaveLength(2);
  });
});

describe('filterLogs', () => {
  it('keeps the level and those more severe', () => {
    const lines = [
      line(1, 'd', 'DEBUG'),
      line(2, 'i'),
      line(3, 'w', 'WARNING'),
      line(4, 'e', 'ERROR')
    ];
    expect(filterLogs(lines, 'WARNING').map(l => l.message)).toEqual([
      'w',
      'e'
    ]);
    expect(filterLogs(lines, 'DEBUG')).toHaveLength(4);
  });
});

describe('mergeStates', () => {
  const pending: IStateChange = {
    state: 'PENDING',
    name: 'Pending',
    timestamp: '2026-12-07T02:00:00.500000+00:00',
    message: null
  };
  const running: IStateChange = {
    state: 'RUNNING',
    name: 'Running',
    timestamp: '2026-12-07T02:00:01+00:00',
    message: null
  };

  it('orders by time and ignores a replayed state', () => {
    const history = mergeStates(mergeStates([], running), pending);
    expect(history.map(s => s.state)).toEqual(['PENDING', 'RUNNING']);
    expect(
      mergeStates(history, { ...running, timestamp: '2026-12-07T02:00:01Z' })
    ).toBe(history);
  });
});

describe('formatDuration', () => {
  it.each([
    [400, '0.4 s'],
    [9_949, '9.9 s'],
    [42_000, '42 s'],
    [185_000, '3 min 05 s'],
    [7_620_000, '2 h 07 min'],
    [-1, '–']
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('runDurationMs', () => {
  const now = Date.parse('2026-12-07T02:00:11+00:00');

  it('ticks with the clock while running', () => {
    expect(runDurationMs(run(), now)).toBe(10_000);
  });

  it('is start to end once ended, and null before the start', () => {
    const ended = run({
      state: 'COMPLETED',
      end_time: '2026-12-07T02:00:03.500000+00:00'
    });
    expect(runDurationMs(ended, now)).toBe(2_500);
    expect(
      runDurationMs(run({ start_time: null, state: 'SCHEDULED' }), now)
    ).toBeNull();
  });
});

describe('failureReason', () => {
  const failed: IStateChange = {
    state: 'FAILED',
    name: 'Failed',
    timestamp: '2026-12-07T02:00:05+00:00',
    message: 'Flow run encountered an exception: column "nope" not found'
  };

  it('is the message of the failed state', () => {
    expect(failureReason(run({ state: 'FAILED' }), [failed])).toContain(
      'column "nope"'
    );
  });

  it('is null for a completed run or a history without a message', () => {
    expect(failureReason(run({ state: 'COMPLETED' }), [failed])).toBeNull();
    expect(
      failureReason(run({ state: 'FAILED' }), [{ ...failed, message: null }])
    ).toBeNull();
  });
});

describe('formatParameter', () => {
  it('shows strings as they are and nested values as indented JSON', () => {
    expect(formatParameter('hi')).toBe('hi');
    expect(formatParameter(3)).toBe('3');
    expect(formatParameter({ inputs: [{ dataset: 'sales' }] })).toBe(
      '{\n  "inputs": [\n    {\n      "dataset": "sales"\n    }\n  ]\n}'
    );
  });
});
