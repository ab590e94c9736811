import { ServerConnection } from '@jupyterlab/services';

import {
  fromSession,
  fromStatus,
  GatewayState,
  ISessionAnswer,
  IStatusAnswer
} from '../model/gateway';
import { requestAPI } from './request';

/**
 * `GET /lakebook/session`; on a server without sessions (404) the operator's or the
 * environment's token is in use and only `GET status` tells whether the gateway answers.
 */
export async function checkSession(): Promise<GatewayState> {
  try {
    return fromSession(await requestAPI<ISessionAnswer>('session'));
  } catch (error) {
    if (isNotFound(error)) {
      return fromStatus(await requestAPI<IStatusAnswer>('status'));
    }
    throw error;
  }
}

/**
 * `POST /lakebook/session`: sign in to the gateway; rejects with the server's message (401
 * wrong credentials, 422 fields, 429 throttled).
 */
export async function signIn(
  username: string,
  password: string
): Promise<GatewayState> {
  const answer = await requestAPI<ISessionAnswer>('session', {
    method: 'POST',
    body: JSON.stringify({ username, password })
  });
  return fromSession(answer);
}

/**
 * `DELETE /lakebook/session`: the server revokes the gateway token the sign-in gave it.
 */
export async function signOut(): Promise<void> {
  await requestAPI<void>('session', { method: 'DELETE' });
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof ServerConnection.ResponseError &&
    error.response.status === 404
  );
}
