import { describe, expect, it } from 'vitest';

import { SseParser } from './sse';

describe('SseParser', () => {
  it('parses the gateway stream: comments skipped, events with their data', () => {
    const parser = new SseParser();
    const events = parser.push(
      ': connected\n\nevent: state\ndata: {"state": "RUNNING"}\n\n: keep-alive\n\nevent: end\ndata: {}\n\n'
    );
    expect(events).toEqual([
      { event: 'state', data: '{"state": "RUNNING"}' },
      { event: 'end', data: '{}' }
    ]);
  });

  it('keeps a partial event until the chunk that completes it', () => {
    const parser = new SseParser();
    expect(parser.push('event: log\nda')).toEqual([]);
    expect(parser.push('ta: one\ndata: two\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'log', data: 'one\ntwo' }]);
  });

  it('treats a CRLF split across chunks as one line end', () => {
    const parser = new SseParser();
    expect(parser.push('data: x\r')).toEqual([]);
    expect(parser.push('\n\r\n')).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('dispatches nothing for an event without data', () => {
    const parser = new SseParser();
    expect(parser.push('event: state\n\ndata: y\n\n')).toEqual([
      { event: 'message', data: 'y' }
    ]);
  });

  it('reads a field value with or without the space after the colon', () => {
    const parser = new SseParser();
    expect(parser.push('event:log\ndata:one\ndata: two\n\n')).toEqual([
      { event: 'log', data: 'one\ntwo' }
    ]);
  });
});
