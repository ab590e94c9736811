/**
 * A parser of `text/event-stream` bodies (the WHATWG server-sent events format), fed the body
 * in chunks as a stream reader hands them over: `EventSource` cannot be used because it sends
 * neither Jupyter's token header nor its XSRF header, so the body is read from `fetch`.
 */

/**
 * One dispatched server-sent event.
 */
export interface IServerSentEvent {
  /**
   * The `event:` field; "message" when the event had none.
   */
  event: string;

  /**
   * The `data:` lines, joined with newlines.
   */
  data: string;

  /**
   * The last `id:` seen on the stream, if any.
   */
  id?: string;
}

/**
 * Parses a stream in chunks: `push` returns the events the chunk completed; a partial line or
 * event waits for the next chunk. Comments (`: keep-alive`) and unknown fields are skipped.
 */
export class ServerSentEventParser {
  /**
   * Feed the next chunk of the body; returns the events it completes.
   */
  push(chunk: string): IServerSentEvent[] {
    this._buffer += chunk;
    const events: IServerSentEvent[] = [];
    // A CR LF pair split across two chunks must not read as two line ends: wait for the LF.
    let end = this._buffer.search(/\r\n|\r(?!$)|\n/);
    while (end >= 0) {
      const line = this._buffer.slice(0, end);
      const eol = this._buffer.startsWith('\r\n', end) ? 2 : 1;
      this._buffer = this._buffer.slice(end + eol);
      const event = this._line(line);
      if (event) {
        events.push(event);
      }
      end = this._buffer.search(/\r\n|\r(?!$)|\n/);
    }
    return events;
  }

  private _line(line: string): IServerSentEvent | null {
    if (line === '') {
      return this._dispatch();
    }
    if (line.startsWith(':')) {
      return null;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    switch (field) {
      case 'event':
        this._event = value;
        break;
      case 'data':
        this._data.push(value);
        break;
      case 'id':
        this._id = value;
        break;
    }
    return null;
  }

  private _dispatch(): IServerSentEvent | null {
    const event = this._event;
    const data = this._data;
    this._event = '';
    this._data = [];
    if (data.length === 0) {
      return null; // per the spec, an event without data is not dispatched
    }
    const dispatched: IServerSentEvent = {
      event: event || 'message',
      data: data.join('\n')
    };
    if (this._id !== undefined) {
      dispatched.id = this._id;
    }
    return dispatched;
  }

  private _buffer = '';
  private _event = '';
  private _data: string[] = [];
  private _id: string | undefined = undefined;
}
