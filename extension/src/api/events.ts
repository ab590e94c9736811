import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { StreamError } from '../model/runFollower';
import { IServerEvent, SseParser } from '../model/sse';
import { ILogLine, IStateChange } from '../tokens';

/**
 * Read `GET /lakebook/runs/{id}/events` through Jupyter's own request function (so its token
 * and XSRF headers apply, which `EventSource` cannot send) and call `onEvent` per event.
 * Resolves when the server closes the stream; rejects with a `StreamError` when it will not
 * open one.
 */
export async function openRunEvents(
  runId: string,
  onEvent: (event: IServerEvent) => void,
  signal: AbortSignal,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<void> {
  const url = URLExt.join(
    settings.baseUrl,
    'lakebook',
    'runs',
    encodeURIComponent(runId),
    'events'
  );
  const response = await ServerConnection.makeRequest(
    url,
    { headers: { Accept: 'text/event-stream' }, signal },
    settings
  );
  if (!response.ok) {
    throw await streamError(response);
  }
  if (!response.body) {
    throw new StreamError('the events answer has no body', 'failed');
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        return;
      }
      for (const event of parser.push(value)) {
        onEvent(event);
      }
    }
  } finally {
    reader.releaseLock();
  }
}

async function streamError(response: Response): Promise<StreamError> {
  const text = await response.text();
  let message = text || response.statusText;
  let isLakebookError = false;
  try {
    const body = JSON.parse(text);
    if (body && typeof body.message === 'string') {
      message = body.message;
      isLakebookError = true;
    }
  } catch {
    // Jupyter's own 404 page is HTML: the endpoint does not exist.
  }
  if (response.status === 404) {
    return new StreamError(message, isLakebookError ? 'gone' : 'missing');
  }
  return new StreamError(message, 'failed');
}

/**
 * What the events of one run mean, for `dispatchRunEvent`.
 */
export interface IRunEventHandlers {
  onState(change: IStateChange): void;
  onLog(line: ILogLine): void;
  /**
   * The gateway lost Prefect for a while (an `error` event), or an event was unreadable.
   */
  onError(message: string): void;
  /**
   * The run is over and the stream ends (`end` event), with the final state when given.
   */
  onEnd(state: string | null): void;
}

/**
 * Hand one event of a run's stream to its handler; true for `end`. Unknown kinds are skipped
 * (the gateway may add some), unreadable data is reported rather than thrown.
 */
export function dispatchRunEvent(
  event: IServerEvent,
  handlers: IRunEventHandlers
): boolean {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(event.data);
  } catch {
    handlers.onError(`unreadable ${event.event} event: ${event.data}`);
    return false;
  }
  switch (event.event) {
    case 'state':
      handlers.onState(data as unknown as IStateChange);
      return false;
    case 'log':
      handlers.onLog(data as unknown as ILogLine);
      return false;
    case 'error':
      handlers.onError(String(data.message ?? event.data));
      return false;
    case 'end':
      handlers.onEnd(typeof data.state === 'string' ? data.state : null);
      return true;
    default:
      return false;
  }
}
