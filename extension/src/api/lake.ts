import { IRun } from '../tokens';
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
   * Who owns the name (the first publisher); null: nobody, only admins publish under it.
   */
  owner?: string | null;
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
  /**
   * Input rows the latest run left out (malformed rows), and the first few of them.
   */
  rows_rejected?: number;
  reject_sample?: IRejectedRow[];
}

/**
 * A row a run left out of its dataset (`RejectedRowOut`): where it was, and why.
 */
export interface IRejectedRow {
  /**
   * 1-based position among the input's data rows.
   */
  row: number;
  /**
   * Line in the input file (a CSV's header is line 1), if it has lines.
   */
  line: number | null;
  reason: string;
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
