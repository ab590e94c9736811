/**
 * An incremental parser of a `text/event-stream` body (the WHATWG server-sent events format):
 * feed it the decoded chunks as they arrive, it returns the complete events so far.
 */
export interface IServerEvent {
  /**
   * The `event:` field; `message` when the event names none.
   */
  event: string;
  /**
   * The `data:` lines joined by newlines.
   */
  data: string;
}

export class SseParser {
  /**
   * The events completed by this chunk (an event ends at a blank line).
   */
  push(chunk: string): IServerEvent[] {
    let text = this._buffer + chunk;
    // A CR at the end may be the first half of a CRLF split across chunks: wait for the next.
    const held = text.endsWith('\r') ? '\r' : '';
    text = held ? text.slice(0, -1) : text;
    const events: IServerEvent[] = [];
    // Lines end with CRLF, LF or CR; the last piece is a line not yet complete.
    const lines = text.split(/\r\n|\n|\r/);
    this._buffer = (lines.pop() ?? '') + held;
    for (const line of lines) {
      const event = this._line(line);
      if (event) {
        events.push(event);
      }
    }
    return events;
  }

  private _line(line: string): IServerEvent | null {
    if (line === '') {
      if (this._data === null) {
        this._event = '';
        return null;
      }
      const event = { event: this._event || 'message', data: this._data };
      this._event = '';
      this._data = null;
      return event;
    }
    if (line.startsWith(':')) {
      return null; // a comment: the gateway's keep-alives
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    if (field === 'event') {
      this._event = value;
    } else if (field === 'data') {
      this._data = this._data === null ? value : `${this._data}\n${value}`;
    }
    return null;
  }

  private _buffer = '';
  private _event = '';
  private _data: string | null = null;
}
