// @ts-check
/** The PicPass HTTP API: JSON in and out, errors as `ApiError` with the server's message. */

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0: the server could not be reached)
   * @param {string} code the API's snake_case error code
   * @param {string} message a sentence for people
   * @param {number | null} [retryAfter] seconds, from `Retry-After`
   */
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/**
 * @typedef {object} Api
 * @property {(path: string) => Promise<any>} get
 * @property {(path: string, body?: unknown) => Promise<any>} post
 * @property {(path: string, body: unknown) => Promise<any>} patch
 * @property {(path: string, body: unknown) => Promise<any>} put
 * @property {(path: string) => Promise<any>} del
 */

/**
 * @param {string} base API origin ('' for the page's own)
 * @param {() => string | null} token the bearer token to send, if any
 * @param {(error: ApiError) => void} [onUnauthorized] called on 401 (e.g. to sign out)
 * @returns {Api}
 */
export function createApi(base, token, onUnauthorized) {
  /** @param {string} method @param {string} path @param {unknown} [body] */
  async function call(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json' };
    const bearer = token();
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'network', 'Could not reach PicPass. Check your connection and try again.');
    }
    if (response.status === 204) return null;
    const text = await response.text();
    /** @type {any} */
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (response.ok) return json;
    const retry = Number(response.headers.get('retry-after'));
    const error = new ApiError(
      response.status,
      json?.error?.code ?? `http_${response.status}`,
      json?.error?.message ?? `The server answered ${response.status}.`,
      Number.isFinite(retry) && retry > 0 ? retry : null,
    );
    if (response.status === 401 && onUnauthorized) onUnauthorized(error);
    throw error;
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body ?? {}),
    patch: (path, body) => call('PATCH', path, body),
    put: (path, body) => call('PUT', path, body),
    del: (path) => call('DELETE', path),
  };
}

/**
 * `encodeURIComponent` for each path segment.
 * @param {TemplateStringsArray} strings
 * @param {...(string | number)} values
 */
export function path(strings, ...values) {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(values[i]) : ''), '');
}
