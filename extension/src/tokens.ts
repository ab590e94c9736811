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
}
