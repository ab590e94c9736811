import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IFieldError } from '../form/fieldErrors';
import { IErrorBody } from '../tokens';

/**
 * An error answer of the server extension: its message, and the fields it names (a 422).
 */
export class LakebookResponseError extends ServerConnection.ResponseError {
  constructor(
    response: Response,
    message: string,
    readonly fields: IFieldError[] = []
  ) {
    super(response, message);
  }
}

/**
 * Message used when the server extension does not answer at all.
 */
export const NOT_INSTALLED_MESSAGE =
  'lakebook server extension is not installed or not enabled';

/**
 * Call the lakebook server extension REST API.
 *
 * @param endPoint API path relative to `<baseUrl>/lakebook/`
 * @param init Initial values for the request
 * @param settings Server settings (defaults to `ServerConnection.makeSettings()`)
 * @returns The decoded JSON body of the response
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const requestUrl = URLExt.join(settings.baseUrl, 'lakebook', endPoint);

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(requestUrl, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }

  const text = await response.text();
  let data: unknown = text;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      // Keep the raw text: not every error page is JSON.
    }
  }

  const body = data as Partial<IErrorBody> | undefined;
  const isErrorBody =
    typeof body === 'object' && body !== null && Boolean(body.message);

  // A 404 without lakebook's JSON error body comes from Jupyter: no such route.
  if (response.status === 404 && !isErrorBody) {
    throw new ServerConnection.ResponseError(
      response,
      `${NOT_INSTALLED_MESSAGE} (404 for ${requestUrl})`
    );
  }

  if (!response.ok) {
    const message = isErrorBody
      ? String(body!.message)
      : String(text || response.statusText);
    const fields =
      isErrorBody && Array.isArray(body!.fields) ? body!.fields : [];
    throw new LakebookResponseError(response, message, fields);
  }

  return data as T;
}
