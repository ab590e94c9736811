import { URLExt } from '@jupyterlab/coreutils';

import { requestAPI } from './request';

/**
 * A notebook schedule, the gateway's `ScheduleOut` (from `GET /lakebook/schedules`).
 */
export interface ISchedule {
  /**
   * `owner:name`.
   */
  id: string;
  name: string;
  owner: string;
  notebook: string;
  cron: string;
  timezone: string;
  parameters: Record<string, unknown>;
  active: boolean;
  next_run_at: string | null;
}

/**
 * Body of `POST /lakebook/schedules`, the gateway's `ScheduleCreate`.
 */
export interface IScheduleCreate {
  notebook: string;
  cron: string;
  timezone: string;
  parameters: Record<string, unknown>;
  name?: string;
  report_name?: string;
  timeout_seconds?: number;
}

/**
 * One assignment of a notebook's `parameters` cell. `type` is the Python type name the cell
 * gives (`str`, `int`, `float`, `bool`, `list`, `dict`) or null when any value fits; `default`
 * is the value, or its Python source as written in the cell.
 */
export interface INotebookParameter {
  name: string;
  type: string | null;
  default: unknown;
  optional?: boolean;
  help?: string;
}

/**
 * Answer of `GET /lakebook/notebook-parameters?path=`; `parameters` is empty (or null) when
 * the notebook has no `parameters` cell.
 */
export interface INotebookParameters {
  notebook: string;
  parameters: INotebookParameter[] | null;
}

/**
 * A run of `run_notebook` as `GET /lakebook/runs?flow=run_notebook` answers it (`RunOut`).
 */
export interface INotebookRun {
  run_id: string;
  flow_name: string;
  owner: string;
  state: string;
  state_name: string;
  parameters: Record<string, unknown>;
  created_at: string;
  start_time: string | null;
  end_time: string | null;
}

export function listSchedules(): Promise<ISchedule[]> {
  return requestAPI<ISchedule[]>('schedules');
}

export function setScheduleActive(
  id: string,
  active: boolean
): Promise<ISchedule> {
  return requestAPI<ISchedule>(`schedules/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    body: JSON.stringify({ active })
  });
}

export async function deleteSchedule(id: string): Promise<void> {
  await requestAPI<unknown>(`schedules/${encodeURIComponent(id)}`, {
    method: 'DELETE'
  });
}

export function notebookParameters(path: string): Promise<INotebookParameters> {
  return requestAPI<INotebookParameters>(
    `notebook-parameters${URLExt.objectToQueryString({ path })}`
  );
}

export function notebookRuns(limit = 50): Promise<INotebookRun[]> {
  return requestAPI<INotebookRun[]>(
    `runs${URLExt.objectToQueryString({ flow: 'run_notebook', limit })}`
  );
}

/**
 * Create a schedule; a refusal rejects with a `LakebookResponseError` whose `fields` name the
 * bad inputs.
 */
export function createSchedule(body: IScheduleCreate): Promise<ISchedule> {
  return requestAPI<ISchedule>('schedules', {
    method: 'POST',
    body: JSON.stringify(body)
  });
}
