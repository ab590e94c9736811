import { describe, expect, it, vi } from 'vitest';

import { IRunState } from '../api/lake';
import { followRunToEnd, RunProgress } from './followRun';
import { OpenStream, StreamError } from './runFollower';
import { IServerEvent } from './sse';

const RUN = 'run-1';

function stateEvent(state: string, name: string): IServerEvent {
  const data = {
    state,
    name,
    timestamp: '2026-12-07T10:00:00Z',
    message: null
  };
  return {
    event: 'state',
    data: JSON.stringify(data),
    id: null
  } as IServerEvent;
}

function run(state: string, name: string): IRunState {
  return { run_id: RUN, flow_name: 'ingest_upload', state, state_name: name };
}

/**
 * A stream that sends `events` and closes, as the server does for a run that ends.
 */
function streamOf(events: IServerEvent[]): OpenStream {
  return async (_runId, onEvent) => {
    for (const event of events) {
      onEvent(event);
    }
  };
}

describe('followRunToEnd', () => {
  it('shows each pushed state and reads the run once, after its end', async () => {
    const seen: RunProgress[] = [];
    const read = vi.fn(async () => run('COMPLETED', 'Completed'));
    const ended = await followRunToEnd({
      runId: RUN,
      read,
      openStream: streamOf([
        stateEvent('PENDING', 'Pending'),
        stateEvent('RUNNING', 'Running'),
        stateEvent('COMPLETED', 'Completed'),
        {
          event: 'end',
          data: '{"state": "COMPLETED"}',
          id: null
        } as IServerEvent
      ]),
      onRun: progress => seen.push(progress),
      signal: new AbortController().signal,
      pollDelays: [1, 1]
    });
    expect(seen.slice(0, 3).map(p => p.state)).toEqual([
      'PENDING',
      'RUNNING',
      'COMPLETED'
    ]);
    expect(read).toHaveBeenCalledTimes(1);
    expect(ended).toEqual(run('COMPLETED', 'Completed'));
  });

  it('polls with back-off where the server has no event stream', async () => {
    const answers = [run('RUNNING', 'Running'), run('FAILED', 'Failed')];
    const read = vi.fn(async () => answers.shift()!);
    const missing: OpenStream = async () => {
      throw new StreamError('no events endpoint', 'missing');
    };
    const seen: string[] = [];
    const ended = await followRunToEnd({
      runId: RUN,
      read,
      openStream: missing,
      onRun: progress => seen.push(progress.state),
      signal: new AbortController().signal,
      pollDelays: [1, 1, 1]
    });
    expect(seen).toEqual(['RUNNING', 'FAILED']);
    expect(ended?.state).toBe('FAILED');
  });

  it('resolves with null when stopped or when the run is gone', async () => {
    const controller = new AbortController();
    const never: OpenStream = () => new Promise<void>(() => undefined);
    const read = vi.fn(async () => run('RUNNING', 'Running'));
    const stopped = followRunToEnd({
      runId: RUN,
      read,
      openStream: never,
      onRun: () => undefined,
      signal: controller.signal
    });
    controller.abort();
    expect(await stopped).toBeNull();

    const gone: OpenStream = async () => {
      throw new StreamError('run run-1 not found', 'gone');
    };
    const lost = await followRunToEnd({
      runId: RUN,
      read,
      openStream: gone,
      onRun: () => undefined,
      signal: new AbortController().signal
    });
    expect(lost).toBeNull();
    expect(read).not.toHaveBeenCalled();
  });
});
