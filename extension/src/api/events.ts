import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { StreamError } from '../model/runFollower';
import { IServerEvent, SseParser } from '../model/sse';

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
