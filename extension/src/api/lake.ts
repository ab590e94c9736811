import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IDeployment, ILaunched, IRun } from '../tokens';
import { NOT_INSTALLED_MESSAGE, requestAPI } from './request';

/**
 * Wire types of the lake endpoints of the server extension (docs/lab-extension.md, E2); the
 * shapes are the gateway's models in `lakebook.common.api`, datetimes as ISO 8601 strings.
 */

/**
 * A dataset with at least one published run (`DatasetOut`).
 */
export interface IDatasetOut {
  name: string;
  latest_run_id: string;
  published_at: string;
  run_count: number;
}

/**
 * One published run of a dataset (`RunSummary`).
 */
export interface IRunSummary {
  run_id: string;
  published_at: string;
}

/**
 * A dataset's latest run in detail (`DatasetDetail`): schema, size, lineage, every run.
 */
export interface IDatasetDetail {
  name: string;
  /**
   * Column name to its Polars type name, in the table's column order.
   */
  columns: Record<string, string>;
  row_count: number;
  bytes: number;
  flow_name: string | null;
  /**
   * Who launched the run that published the latest version.
   */
  user: string | null;
  /**
   * Datasets (or upload keys) the latest run read: its lineage.
   */
  inputs: string[];
  latest_run_id: string;
  /**
   * Newest first.
   */
  runs: IRunSummary[];
}

/**
 * Where an upload landed (`UploadOut`): `key` is what `ingest_upload` takes.
 */
export interface IUploadOut {
  upload_id: string;
  key: string;
  format: string;
  bytes: number;
}

/**
 * A run as the gateway reports it (`RunOut`), the fields the lake section reads.
 */
export type IRunState = Pick<
  IRun,
  'run_id' | 'flow_name' | 'state' | 'state_name'
>;

export function listDatasets(): Promise<IDatasetOut[]> {
  return requestAPI<IDatasetOut[]>('lake/datasets');
}

export function getDataset(name: string): Promise<IDatasetDetail> {
  return requestAPI<IDatasetDetail>(
    `lake/datasets/${encodeURIComponent(name)}`
  );
}

export function getRun(runId: string): Promise<IRunState> {
  return requestAPI<IRunState>(`runs/${encodeURIComponent(runId)}`);
}

/**
 * A field error of a refused launch (the server extension's `fields`, see E2).
 */
export interface ILaunchFieldError {
  field: string;
  message: string;
}

/**
 * The outcome of `POST /lakebook/flows/{name}/execute`: the run, or the refusal with its
 * field errors (which `requestAPI` would drop: it keeps only the message).
 */
export type LaunchOutcome =
  { launched: ILaunched } | { message: string; fields: ILaunchFieldError[] };

export async function launchFlow(
  flow: string,
  parameters: Record<string, unknown>
): Promise<LaunchOutcome> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(
    settings.baseUrl,
    'lakebook',
    'flows',
    encodeURIComponent(flow),
    'execute'
  );
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      url,
      { method: 'POST', body: JSON.stringify({ parameters }) },
      settings
    );
  } catch (error) {
    return { message: String(error), fields: [] };
  }
  const text = await response.text();
  let body: any = undefined;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the status line says what happened.
  }
  if (response.ok && body && typeof body.run_id === 'string') {
    return { launched: body as ILaunched };
  }
  if (response.status === 404 && !(body && body.message)) {
    return { message: NOT_INSTALLED_MESSAGE, fields: [] };
  }
  return {
    message:
      body && typeof body.message === 'string'
        ? body.message
        : `${response.status} ${response.statusText}`,
    fields: body && Array.isArray(body.fields) ? body.fields : []
  };
}

export function listDeployments(): Promise<IDeployment[]> {
  return requestAPI<IDeployment[]>('deployments');
}
