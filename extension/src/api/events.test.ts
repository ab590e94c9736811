import { describe, expect, it } from 'vitest';

import { dispatchRunEvent, IRunEventHandlers } from './events';

describe('dispatchRunEvent', () => {
  function recorder(): { calls: string[]; handlers: IRunEventHandlers } {
    const calls: string[] = [];
    return {
      calls,
      handlers: {
        onState: change => calls.push(`state ${change.state}`),
        onLog: line => calls.push(`log ${line.message}`),
        onError: message => calls.push(`error ${message}`),
        onEnd: state => calls.push(`end ${state}`)
      }
    };
  }

  it('hands each kind to its handler and reports the end', () => {
    const { calls, handlers } = recorder();
    expect(
      dispatchRunEvent(
        { event: 'state', data: '{"state": "RUNNING"}' },
        handlers
      )
    ).toBe(false);
    dispatchRunEvent(
      { event: 'log', data: '{"message": "ping: hi"}' },
      handlers
    );
    dispatchRunEvent(
      { event: 'error', data: '{"message": "Prefect is down"}' },
      handlers
    );
    expect(
      dispatchRunEvent(
        { event: 'end', data: '{"state": "COMPLETED"}' },
        handlers
      )
    ).toBe(true);
    expect(calls).toEqual([
      'state RUNNING',
      'log ping: hi',
      'error Prefect is down',
      'end COMPLETED'
    ]);
  });

  it('reports unreadable data instead of throwing', () => {
    const { calls, handlers } = recorder();
    expect(dispatchRunEvent({ event: 'log', data: '{nope' }, handlers)).toBe(
      false
    );
    expect(calls).toEqual(['error unreadable log event: {nope']);
  });
});
