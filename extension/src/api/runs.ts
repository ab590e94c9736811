/**
 * The typed client of the server extension's flow and run endpoints (docs/lab-extension.md,
 * E2): deployments, launching, the runs list, and for one run its details, log pages, state
 * history, cancel, its published result and its live events.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IDeployment, ILaunched, IRun } from '../tokens';
import { requestAPI } from './request';
import { IServerSentEvent, ServerSentEventParser } from './sse';

/**
 * `GET /lakebook/deployments`: the flows the user can launch.
 */
export function listDeployments(): Promise<IDeployment[]> {
  return requestAPI<IDeployment[]>('deployments');
}

/**
 * `GET /lakebook/runs`: one page of the user's runs from every source, newest first.
 */
export function listRuns(page: {
  limit: number;
  offset: number;
  flow?: string;
}): Promise<IRun[]> {
  const query = new URLSearchParams({
    limit: String(page.limit),
    offset: String(page.offset)
  });
  if (page.flow) {
    query.set('flow', page.flow);
  }
  return requestAPI<IRun[]>(`runs?${query.toString()}`);
}

/**
 * `POST /lakebook/flows/{name}/execute`; a 422 rejects with a `LakebookResponseError` whose
 * `fields` name the bad parameters.
 */
export function launchFlow(
  flowName: string,
  parameters: Record<string, unknown>
): Promise<ILaunched> {
  return requestAPI<ILaunched>(
    `flows/${encodeURIComponent(flowName)}/execute`,
    { method: 'POST', body: JSON.stringify({ parameters }) }
  );
}

/**
 * Prefect state types after which a run changes no more.
 */
export const TERMINAL_STATES: ReadonlySet<string> = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'CRASHED'
]);

/**
 * A run in full, from `GET /lakebook/runs/{id}` (`RunOut`).
 */
export interface IRunDetail {
  run_id: string;
  flow_name: string;
  owner: string;
  /**
   * Prefect's state type (COMPLETED, RUNNING, ...).
   */
  state: string;
  /**
   * The state's display name (Completed, Running, Late, ...).
   */
  state_name: string;
  parameters: Record<string, unknown>;
  created_at: string;
  start_time: string | null;
  end_time: string | null;
}

/**
 * One log line (`LogOut`), from the logs pages and the `log` events.
 */
export interface ILogLine {
  timestamp: string;
  level: string;
  logger: string;
  message: string;
}

/**
 * A state the run entered, from a `state` event.
 */
export interface IStateChange {
  state: string;
  name: string;
  timestamp: string;
  message: string | null;
}

/**
 * A run's published dataset, from `GET /lakebook/runs/{id}/result` (`ResultOut`).
 */
export interface IRunResult {
  run_id: string;
  dataset: string;
  data_uri: string;
  /**
   * Column name to its type, in the dataset's column order.
   */
  columns: Record<string, string>;
  row_count: number;
  bytes: number;
  preview: Record<string, unknown>[];
  download_url: string | null;
  download_expires_at: string | null;
}

/**
 * Answer of `POST /lakebook/runs/{id}/cancel`.
 */
export interface ICancelled {
  run_id: string;
  state: string;
}

/**
 * Lines asked per logs page: the gateway's largest page.
 */
export const LOG_PAGE_SIZE = 200;

/**
 * Pages read at most when a view opens (10 000 lines); later lines arrive as events.
 */
const MAX_LOG_PAGES = 50;

function runPath(runId: string, ...rest: string[]): string {
  return URLExt.join('runs', encodeURIComponent(runId), ...rest);
}

export function fetchRun(runId: string): Promise<IRunDetail> {
  return requestAPI<IRunDetail>(runPath(runId));
}

/**
 * Every state the run went through (`GET /lakebook/runs/{id}/states`), oldest first; null
 * when the server has no such endpoint (then the `state` events are the history).
 */
export async function fetchStates(
  runId: string
): Promise<IStateChange[] | null> {
  try {
    return await requestAPI<IStateChange[]>(runPath(runId, 'states'));
  } catch (error) {
    if (
      error instanceof ServerConnection.ResponseError &&
      error.response.status === 404
    ) {
      return null;
    }
    throw error;
  }
}

/**
 * Every log line the run has so far, oldest first, a page at a time.
 */
export async function fetchAllLogs(runId: string): Promise<ILogLine[]> {
  const lines: ILogLine[] = [];
  for (let page = 0; page < MAX_LOG_PAGES; page++) {
    const query = URLExt.objectToQueryString({
      limit: LOG_PAGE_SIZE,
      offset: page * LOG_PAGE_SIZE
    });
    const batch = await requestAPI<ILogLine[]>(runPath(runId, 'logs') + query);
    lines.push(...batch);
    if (batch.length < LOG_PAGE_SIZE) {
      break;
    }
  }
  return lines;
}

export function cancelRun(runId: string): Promise<ICancelled> {
  return requestAPI<ICancelled>(runPath(runId, 'cancel'), { method: 'POST' });
}

/**
 * The run's published result with its first `rows` rows, or null when it published nothing.
 */
export async function fetchResult(
  runId: string,
  rows = 20
): Promise<IRunResult | null> {
  const query = URLExt.objectToQueryString({ rows });
  try {
    return await requestAPI<IRunResult>(runPath(runId, 'result') + query);
  } catch (error) {
    if (
      error instanceof ServerConnection.ResponseError &&
      error.response.status === 404
    ) {
      return null;
    }
    throw error;
  }
}

/**
 * What `followRunEvents` reports.
 */
export interface IRunEventHandlers {
  onState(change: IStateChange): void;
  onLog(line: ILogLine): void;
  /**
   * The gateway lost Prefect for a while, or the stream broke and is being retried.
   */
  onError(message: string): void;
  /**
   * The run is over and the stream ended (`end` event), or following gave up.
   */
  onEnd(state: string | null): void;
}

/**
 * Delays between reconnections, in milliseconds; following gives up after the last.
 */
export const RECONNECT_DELAYS_MS = [1000, 2000, 4000, 8000, 15000, 30000];

/**
 * Follow `GET /lakebook/runs/{id}/events` until an `end` event or until `signal` aborts,
 * reconnecting with back-off when the stream breaks. The body is read from
 * `ServerConnection.makeRequest` so Jupyter's token and XSRF headers apply.
 */
export async function followRunEvents(
  runId: string,
  handlers: IRunEventHandlers,
  signal: AbortSignal,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<void> {
  const url = URLExt.join(
    settings.baseUrl,
    'lakebook',
    runPath(runId, 'events')
  );
  let failures = 0;
  while (!signal.aborted) {
    let ended = false;
    let received = false;
    try {
      const response = await ServerConnection.makeRequest(
        url,
        { signal, headers: { Accept: 'text/event-stream' } },
        settings
      );
      if (!response.ok || !response.body) {
        const message = await errorMessage(response);
        if (response.status >= 400 && response.status < 500) {
          // Not found, not allowed: retrying will not change the answer.
          handlers.onError(message);
          handlers.onEnd(null);
          return;
        }
        throw new Error(message);
      }
      ended = await readEvents(response.body, handlers, () => {
        received = true;
      });
    } catch (error) {
      if (signal.aborted) {
        return;
      }
      handlers.onError(
        `event stream interrupted: ${(error as Error).message ?? error}`
      );
    }
    if (ended) {
      return;
    }
    failures = received ? 0 : failures + 1;
    if (failures >= RECONNECT_DELAYS_MS.length) {
      handlers.onError(
        'gave up following the run: the event stream keeps failing'
      );
      handlers.onEnd(null);
      return;
    }
    await sleep(RECONNECT_DELAYS_MS[failures], signal);
  }
}

/**
 * Read one connection's events; true when the `end` event came.
 */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  handlers: IRunEventHandlers,
  onEvent: () => void
): Promise<boolean> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new ServerSentEventParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        return false;
      }
      for (const event of parser.push(
        decoder.decode(value, { stream: true })
      )) {
        onEvent();
        if (dispatchEvent(event, handlers)) {
          return true;
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Hand one event to its handler; true for `end`.
 */
export function dispatchEvent(
  event: IServerSentEvent,
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
      return false; // an event kind this view does not know yet
  }
}

async function errorMessage(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    if (body && typeof body.message === 'string') {
      return body.message;
    }
  } catch {
    // not JSON: fall back to the status line
  }
  return `${response.status} ${response.statusText}`.trim();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
