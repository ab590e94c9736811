import { URLExt } from '@jupyterlab/coreutils';

import { IUploadOut } from '../api/lake';
import { NOT_INSTALLED_MESSAGE } from '../api/request';

/**
 * The multipart field the gateway reads the file from (`UPLOAD_FIELD` in
 * gateway/lakebook/gateway/api/routes/lake.py); the server extension forwards the body as is.
 */
export const UPLOAD_FIELD = 'file';

/**
 * File name extensions the gateway accepts (`_DECLARED` in lakebook.gateway.core.uploads).
 */
export const ACCEPTED_EXTENSIONS = [
  'csv',
  'tsv',
  'txt',
  'json',
  'jsonl',
  'ndjson',
  'parquet',
  'pq'
];

/**
 * The file picker's `accept` attribute.
 */
export const ACCEPT_ATTRIBUTE = ACCEPTED_EXTENSIONS.map(ext => `.${ext}`).join(
  ','
);

/**
 * Why a file is refused before it is sent, or null when it may be sent. The gateway decides
 * on the content; this only spares a round trip for a name it would refuse anyway.
 */
export function refuseBeforeSending(file: {
  name: string;
  size: number;
}): string | null {
  if (file.size === 0) {
    return `${file.name} is empty`;
  }
  const dot = file.name.lastIndexOf('.');
  const extension = dot > 0 ? file.name.slice(dot + 1).toLowerCase() : '';
  if (extension && !ACCEPTED_EXTENSIONS.includes(extension)) {
    return `file type .${extension} is not accepted: use csv, jsonl or parquet`;
  }
  return null;
}

/**
 * What the request of an upload is made of: the URL, the headers Jupyter's auth wants, and
 * the multipart body with the file in its field.
 *
 * Not `requestAPI`: ServerConnection sets `Content-Type: application/json` on any
 * authenticated request without one, which would hide the multipart boundary; and fetch
 * reports no upload progress.
 */
export interface IUploadRequest {
  url: string;
  headers: Record<string, string>;
  body: FormData;
}

export function buildUploadRequest(
  file: Blob,
  filename: string,
  settings: { baseUrl: string; token: string },
  cookie: string
): IUploadRequest {
  const headers: Record<string, string> = {};
  if (settings.token) {
    headers['Authorization'] = `token ${settings.token}`;
  }
  const xsrf = readCookie(cookie, '_xsrf');
  if (xsrf !== undefined) {
    headers['X-XSRFToken'] = xsrf;
  }
  const body = new FormData();
  body.append(UPLOAD_FIELD, file, filename);
  return {
    url: URLExt.join(settings.baseUrl, 'lakebook', 'lake', 'uploads'),
    headers,
    body
  };
}

function readCookie(cookie: string, name: string): string | undefined {
  for (const part of cookie.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) {
      return decodeURIComponent(value.join('='));
    }
  }
  return undefined;
}

/**
 * The outcome of an upload from the answer's status and text: the gateway's `UploadOut`, or
 * one message for the user (the gateway's own for 413 too large and 415 unknown format).
 */
export function readUploadAnswer(
  status: number,
  text: string
): { upload: IUploadOut } | { error: string } {
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // An HTML error page (a proxy in front of Jupyter): its status says enough.
  }
  if (status >= 200 && status < 300 && isUpload(body)) {
    return { upload: body };
  }
  if (status === 0) {
    return { error: 'the upload did not reach the Jupyter server' };
  }
  if (status === 404) {
    return { error: NOT_INSTALLED_MESSAGE };
  }
  const message =
    typeof body === 'object' && body !== null && 'message' in body
      ? String((body as { message: unknown }).message)
      : `${status} ${text.slice(0, 200)}`.trim();
  if (status === 413) {
    return { error: `too large: ${message}` };
  }
  if (status === 415) {
    return { error: `unknown format: ${message}` };
  }
  return { error: message };
}

function isUpload(body: unknown): body is IUploadOut {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as IUploadOut).key === 'string' &&
    typeof (body as IUploadOut).bytes === 'number'
  );
}

/**
 * Send an upload, reporting the bytes sent; resolves with the outcome, never rejects.
 */
export function sendUpload(
  request: IUploadRequest,
  onProgress: (sent: number, total: number) => void
): Promise<{ upload: IUploadOut } | { error: string }> {
  return new Promise(resolve => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', request.url);
    for (const [name, value] of Object.entries(request.headers)) {
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = event => {
      if (event.lengthComputable) {
        onProgress(event.loaded, event.total);
      }
    };
    xhr.onload = () => resolve(readUploadAnswer(xhr.status, xhr.responseText));
    xhr.onerror = () => resolve(readUploadAnswer(0, ''));
    xhr.send(request.body);
  });
}
