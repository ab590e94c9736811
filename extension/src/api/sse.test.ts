import { describe, expect, it } from 'vitest';

import { dispatchEvent, IRunEventHandlers } from './runs';
import { ServerSentEventParser } from './sse';

describe('ServerSentEventParser', () => {
  it('parses the gateway stream: comments skipped, event and data fields', () => {
    const parser = new ServerSentEventParser();
    const events = parser.push(
      ': connected\n\nevent: state\ndata: {"state": "RUNNING"}\n\n: keep-alive\n\n'
    );
    expect(events).toEqual([{ event: 'state', data: '{"state": "RUNNING"}' }]);
  });

  it('waits for the rest of an event split across chunks', () => {
    const parser = new ServerSentEventParser();
    expect(parser.push('event: lo')).toEqual([]);
    expect(parser.push('g\ndata: {"message":')).toEqual([]);
    expect(parser.push(' "hi"}\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([
      { event: 'log', data: '{"message": "hi"}' }
    ]);
  });

  it('treats CR LF split between chunks as one line end', () => {
    const parser = new ServerSentEventParser();
    expect(parser.push('data: a\r')).toEqual([]);
    expect(parser.push('\n\r\n')).toEqual([{ event: 'message', data: 'a' }]);
  });

  it('joins data lines and keeps the last id', () => {
    const parser = new ServerSentEventParser();
    const events = parser.push('id: 7\ndata: one\ndata:two\n\nevent: end\n\n');
    // The `end` without data is not dispatched (the spec's rule); the gateway always sends data.
    expect(events).toEqual([{ event: 'message', data: 'one\ntwo', id: '7' }]);
  });
});

describe('dispatchEvent', () => {
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
      dispatchEvent({ event: 'state', data: '{"state": "RUNNING"}' }, handlers)
    ).toBe(false);
    dispatchEvent({ event: 'log', data: '{"message": "ping: hi"}' }, handlers);
    dispatchEvent(
      { event: 'error', data: '{"message": "Prefect is down"}' },
      handlers
    );
    expect(
      dispatchEvent({ event: 'end', data: '{"state": "COMPLETED"}' }, handlers)
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
    expect(dispatchEvent({ event: 'log', data: '{nope' }, handlers)).toBe(
      false
    );
    expect(calls).toEqual(['error unreadable log event: {nope']);
  });
});
