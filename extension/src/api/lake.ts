import { requestAPI } from './request';

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
 * A run's published dataset (`ResultOut`), with its first rows.
 */
export interface IResultOut {
  run_id: string;
  dataset: string;
  data_uri: string;
  columns: Record<string, string>;
  row_count: number;
  bytes: number;
  preview: Record<string, unknown>[];
  download_url: string | null;
  download_expires_at: string | null;
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
export interface IRunState {
  run_id: string;
  flow_name: string;
  state: string;
  state_name: string;
}

export function listDatasets(): Promise<IDatasetOut[]> {
  return requestAPI<IDatasetOut[]>('lake/datasets');
}

export function getDataset(name: string): Promise<IDatasetDetail> {
  return requestAPI<IDatasetDetail>(
    `lake/datasets/${encodeURIComponent(name)}`
  );
}

export function getResult(runId: string, rows: number): Promise<IResultOut> {
  return requestAPI<IResultOut>(
    `runs/${encodeURIComponent(runId)}/result?rows=${rows}`
  );
}

export function getRun(runId: string): Promise<IRunState> {
  return requestAPI<IRunState>(`runs/${encodeURIComponent(runId)}`);
}
