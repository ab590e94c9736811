/**
 * Shapes of the JSON payloads served by the lakebook server extension.
 */

/**
 * Answer of `GET /lakebook/status`.
 */
export interface IStatus {
  /**
   * URL of the lakebook gateway the server talks to.
   */
  gateway_url: string;

  /**
   * Whether `GET {gateway_url}/healthz` answered successfully.
   */
  gateway_ok: boolean;
}

/**
 * Error body returned by the lakebook server extension.
 */
export interface IErrorBody {
  /**
   * Machine readable error code.
   */
  code: string;

  /**
   * Human readable explanation.
   */
  message: string;

  /**
   * The fields a 422 names, each with its message (dotted paths).
   */
  fields?: { field: string; message: string }[];
}

/**
 * A launchable flow, from `GET /lakebook/deployments`.
 */
export interface IDeployment {
  name: string;
  description: string | null;
  tags: string[];
  parameters_schema: Record<string, unknown>;
}

/**
 * Answer of `POST /lakebook/flows/{name}/execute`.
 */
export interface ILaunched {
  run_id: string;
  state: string;
}

/**
 * A flow run, from `GET /lakebook/runs` and `GET /lakebook/runs/{id}`.
 */
export interface IRun {
  run_id: string;
  flow_name: string;
  state: string;
  state_name: string;
  created_at: string;
  owner?: string;
  parameters?: Record<string, unknown>;
  start_time?: string | null;
  end_time?: string | null;
}

/**
 * A run in full, from `GET /lakebook/runs/{id}` (`RunOut`): the listed fields plus those a
 * single run always carries.
 */
export interface IRunDetail extends IRun {
  owner: string;
  parameters: Record<string, unknown>;
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
 * A state the run entered, from `GET /lakebook/runs/{id}/states` and the `state` events.
 */
export interface IStateChange {
  /**
   * Prefect's state type (COMPLETED, RUNNING, ...).
   */
  state: string;
  /**
   * The state's display name (Completed, Running, Late, ...).
   */
  name: string;
  timestamp: string;
  message: string | null;
}

/**
 * A run_notebook run's published report, from `GET /lakebook/runs/{id}/report` (`ReportOut`).
 */
export interface IRunReport {
  run_id: string;
  report_name: string;
  notebook: string;
  /**
   * completed, or failed (a cell raised, timed out or killed its kernel).
   */
  status: string;
  user: string | null;
  /**
   * The owner's notebook schedule that made the run, if one did.
   */
  schedule?: string | null;
  parameters: Record<string, unknown>;
  failed_cell: {
    index: number;
    execution_count: number | null;
    ename: string;
    evalue: string;
  } | null;
  started_at: string;
  finished_at: string;
  duration_seconds: number;
  published_at: string;
}

/**
 * A run's published dataset with its first rows, from `GET /lakebook/runs/{id}/result`
 * (`ResultOut`): the run detail's result and the lake's dataset preview.
 */
export interface IRunResult {
  run_id: string;
  dataset: string;
  data_uri: string;
  /**
   * Column name to its Polars type name, in the dataset's column order.
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
