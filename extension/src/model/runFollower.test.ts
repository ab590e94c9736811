import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { OpenStream, RunFollower, StreamError } from './runFollower';
import { IServerEvent } from './sse';

/**
 * A stream opener whose streams the test drives: each open is recorded with its callbacks.
 */
function fakeStreams() {
  const opened: {
    runId: string;
    emit: (event: IServerEvent) => void;
    close: () => void;
    fail: (error: Error) => void;
    signal: AbortSignal;
  }[] = [];
  const open: OpenStream = (runId, onEvent, signal) =>
    new Promise<void>((resolve, reject) => {
      opened.push({
        runId,
        emit: onEvent,
        close: resolve,
        fail: reject,
        signal
      });
    });
  return { opened, open };
}

describe('RunFollower', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('opens one stream per active run, closes those no longer wanted', () => {
    const { opened, open } = fakeStreams();
    const follower = new RunFollower({
      openStream: open,
      onEvent: () => {},
      onUnavailable: () => {}
    });
    follower.follow(['a', 'b']);
    follower.follow(['a', 'b']);
    expect(opened.map(s => s.runId)).toEqual(['a', 'b']);
    follower.follow(['b']);
    expect(opened[0].signal.aborted).toBe(true);
    expect(follower.followedRunIds).toEqual(['b']);
  });

  it('passes events on and stops after end', async () => {
    const { opened, open } = fakeStreams();
    const events: string[] = [];
    const follower = new RunFollower({
      openStream: open,
      onEvent: (runId, event) => events.push(`${runId}:${event.event}`),
      onUnavailable: () => {}
    });
    follower.follow(['a']);
    opened[0].emit({ event: 'state', data: '{}' });
    opened[0].emit({ event: 'end', data: '{}' });
    opened[0].close();
    await vi.runAllTimersAsync();
    expect(events).toEqual(['a:state', 'a:end']);
    expect(follower.followedRunIds).toEqual([]);
    follower.follow(['a']);
    expect(opened).toHaveLength(1); // an ended run is not followed again
  });

  it('reconnects with back-off when a stream drops before its end', async () => {
    const { opened, open } = fakeStreams();
    const follower = new RunFollower({
      openStream: open,
      onEvent: () => {},
      onUnavailable: () => {},
      backoff: { initialMs: 1000, maxMs: 8000 }
    });
    follower.follow(['a']);
    opened[0].fail(new TypeError('network error'));
    await vi.advanceTimersByTimeAsync(999);
    expect(opened).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(opened).toHaveLength(2);
    opened[1].close(); // closed without `end`: the second retry waits twice as long
    await vi.advanceTimersByTimeAsync(1999);
    expect(opened).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(opened).toHaveLength(3);
  });

  it('gives up on streams when the endpoint is missing, and says so', async () => {
    const { opened, open } = fakeStreams();
    const onUnavailable = vi.fn();
    const follower = new RunFollower({
      openStream: open,
      onEvent: () => {},
      onUnavailable
    });
    follower.follow(['a', 'b']);
    opened[0].fail(new StreamError('404', 'missing'));
    await vi.runAllTimersAsync();
    expect(onUnavailable).toHaveBeenCalledOnce();
    expect(follower.available).toBe(false);
    expect(opened[1].signal.aborted).toBe(true);
    follower.follow(['c']);
    expect(opened).toHaveLength(2);
  });

  it('stops following a run the server no longer knows', async () => {
    const { opened, open } = fakeStreams();
    const follower = new RunFollower({
      openStream: open,
      onEvent: () => {},
      onUnavailable: () => {}
    });
    follower.follow(['a']);
    opened[0].fail(new StreamError('no run a', 'gone'));
    await vi.runAllTimersAsync();
    expect(follower.followedRunIds).toEqual([]);
    expect(follower.available).toBe(true);
  });

  it('reports each broken stream to onStreamError while it retries, not a stop', async () => {
    const { opened, open } = fakeStreams();
    const errors: string[] = [];
    const follower = new RunFollower({
      openStream: open,
      onEvent: () => {},
      onUnavailable: () => {},
      onStreamError: (runId, error) =>
        errors.push(`${runId}: ${(error as Error).message}`),
      backoff: { initialMs: 1000, maxMs: 8000 }
    });
    follower.follow(['a']);
    opened[0].fail(new TypeError('network error'));
    await vi.advanceTimersByTimeAsync(1000);
    opened[1].fail(new StreamError('no run a', 'gone'));
    await vi.runAllTimersAsync();
    expect(errors).toEqual(['a: network error', 'a: no run a']);
    expect(follower.followedRunIds).toEqual([]);
    follower.follow(['b']);
    follower.dispose();
    opened[2].fail(new DOMException('aborted', 'AbortError'));
    await vi.runAllTimersAsync();
    expect(errors).toHaveLength(2);
  });
});
