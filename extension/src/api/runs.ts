/**
 * The typed client of the server extension's flow and run endpoints (docs/lab-extension.md,
 * E2): deployments, launching, the runs list, and for one run its details, log pages, state
 * history, cancel, its published result and a notebook run's report. Its live events: `openRunEvents` in ./events.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { PartialJSONObject } from '@lumino/coreutils';

import {
  ICancelled,
  IDeployment,
  ILaunched,
  ILogLine,
  IRun,
  IRunDetail,
  IRunReport,
  IRunResult,
  IStateChange
} from '../tokens';
import { requestAPI } from './request';

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
 * Lines asked per logs page: the gateway's largest page.
 */
export const LOG_PAGE_SIZE = 200;

/**
 * Pages read at most when a view opens (10 000 lines); later lines arrive as events.
 */
const MAX_LOG_PAGES = 50;

/**
 * The answer, or null for a 404: a run without that part (no result published, no states
 * endpoint on an older server); other errors are thrown as they are.
 */
async function nullIfNotFound<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
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
  return nullIfNotFound(requestAPI<IStateChange[]>(runPath(runId, 'states')));
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
/**
 * A run_notebook run's report, or null when the run published none.
 */
export function fetchReport(runId: string): Promise<IRunReport | null> {
  return nullIfNotFound(requestAPI<IRunReport>(runPath(runId, 'report')));
}

/**
 * The executed notebook of a run's report (nbformat JSON), read through the server extension.
 */
export function fetchReportNotebook(runId: string): Promise<PartialJSONObject> {
  return requestAPI<PartialJSONObject>(runPath(runId, 'report', 'notebook'));
}

/**
 * Where the server extension serves a run's report as HTML (under a CSP sandbox), for a frame.
 */
export function reportHtmlUrl(
  runId: string,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  return URLExt.join(
    settings.baseUrl,
    'lakebook',
    runPath(runId, 'report', 'html')
  );
}

export async function fetchResult(
  runId: string,
  rows = 20
): Promise<IRunResult | null> {
  const query = URLExt.objectToQueryString({ rows });
  return nullIfNotFound(
    requestAPI<IRunResult>(runPath(runId, 'result') + query)
  );
}
