import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IErrorBody } from '../tokens';

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

  if (response.status === 404) {
    throw new ServerConnection.ResponseError(
      response,
      `${NOT_INSTALLED_MESSAGE} (404 for ${requestUrl})`
    );
  }

  if (!response.ok) {
    const body = data as Partial<IErrorBody> | undefined;
    const message =
      typeof body === 'object' && body !== null && body.message
        ? body.message
        : String(text || response.statusText);
    throw new ServerConnection.ResponseError(response, message);
  }

  return data as T;
}
