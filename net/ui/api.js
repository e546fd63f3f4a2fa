// The REST API with the session's bearer token. Every failure is an ApiError
// carrying the server's error shape ({error, message}, docs/http-api.md#errors)
// and the HTTP status; a 401 also ends the session (the token was revoked or
// expired), which sends the page back to sign-in.
import { session } from './session.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// api('GET', '/services') -> the parsed JSON body (or the text of a text body).
export async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${session.token}` };
  if (session.admin && session.tenant) headers['X-Tenant-ID'] = session.tenant;
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, 'unreachable', 'the server did not answer');
  }
  const type = response.headers.get('Content-Type') || '';
  const payload = type.includes('json') ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    const code = payload && payload.error ? String(payload.error) : `http_${response.status}`;
    const message = payload && payload.message ? String(payload.message) : response.statusText;
    if (response.status === 401) session.expire(message);
    throw new ApiError(response.status, code, message);
  }
  return payload;
}

// Percent-encodes one path segment (a service id, a token id, a secret key).
export function segment(value) {
  return encodeURIComponent(String(value));
}

// A query string from an object, skipping empty values.
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

// A 403 the page expected (a view the token may only partly use): quiet.
export function isForbidden(error) {
  return error instanceof ApiError && error.status === 403;
}
