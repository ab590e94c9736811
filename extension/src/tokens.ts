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
