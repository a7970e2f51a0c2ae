// @ts-check
/**
 * One PUT of bytes to a presigned storage URL, with upload progress (XHR: `fetch` has
 * none), and the retry policy around it: waits of 0, 1, 3 and 5 s between attempts; while
 * the connection is down it waits for it to come back and goes on, however long that takes.
 */

export const RETRY_DELAYS_MS = [0, 1000, 3000, 5000];

export class TransferError extends Error {
  /**
   * @param {string} message
   * @param {number} status 0 when nothing came back (network)
   * @param {'network' | 'retry' | 'expired' | 'fatal' | 'aborted'} kind
   */
  constructor(message, status, kind) {
    super(message);
    this.name = 'TransferError';
    this.status = status;
    this.kind = kind;
  }
}

/** Headers the browser sets itself and refuses from scripts. */
const FORBIDDEN = new Set(['content-length', 'host', 'connection']);

/**
 * PUTs `body`; resolves with the response's ETag (or '').
 * @param {string} url
 * @param {Record<string, string>} headers
 * @param {Blob} body
 * @param {(sent: number) => void} onProgress bytes of `body` sent so far
 * @param {AbortSignal} [signal]
 * @returns {Promise<string>}
 */
export function put(url, headers, body, onProgress, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new TransferError('Cancelled.', 0, 'aborted'));
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) {
      if (!FORBIDDEN.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(body.size);
        resolve((xhr.getResponseHeader('etag') ?? '').trim());
      } else {
        reject(classify(xhr.status, xhr.responseText));
      }
    };
    xhr.onerror = () => reject(new TransferError('The connection dropped.', 0, 'network'));
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => reject(new TransferError('Cancelled.', 0, 'aborted'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

/** @param {number} status @param {string} text */
function classify(status, text) {
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? '';
  const said = /<Message>([^<]+)<\/Message>/.exec(text)?.[1] ?? `storage answered ${status}`;
  if (status === 403 && /expired|Request has expired|AccessDenied/i.test(`${code} ${said}`)) {
    return new TransferError(`The upload link expired (${said}).`, status, 'expired');
  }
  if (status === 408 || status === 429 || status >= 500) return new TransferError(`Storage is busy (${said}).`, status, 'retry');
  if (code === 'BadDigest') return new TransferError('The file changed on the device while it was uploading.', status, 'fatal');
  return new TransferError(`Storage refused the upload: ${said}.`, status, 'fatal');
}

/** Resolves when the browser reports it is online again, or after `ms` anyway. @param {number} ms */
export function onlineOrAfter(ms) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      window.removeEventListener('online', done);
      resolve(undefined);
    };
    const timer = setTimeout(done, ms);
    window.addEventListener('online', done);
  });
}

/** @param {number} ms */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `attempt` until it succeeds: retryable failures after 0, 1, 3, 5 s; past those, a
 * dropped connection is waited out (the upload resumes by itself); `expired` calls
 * `refresh` first. Fatal and aborted failures are thrown.
 * @template T
 * @param {() => Promise<T>} attempt
 * @param {{refresh?: () => Promise<void>, onWait?: (message: string | null) => void, signal?: AbortSignal}} [hooks]
 * @returns {Promise<T>}
 */
export async function withRetries(attempt, hooks = {}) {
  for (let tries = 0; ; tries += 1) {
    try {
      const result = await attempt();
      hooks.onWait?.(null);
      return result;
    } catch (error) {
      if (!(error instanceof TransferError) || error.kind === 'fatal' || error.kind === 'aborted') throw error;
      if (hooks.signal?.aborted) throw new TransferError('Cancelled.', 0, 'aborted');
      if (error.kind === 'expired' && hooks.refresh) await hooks.refresh();
      if (tries < RETRY_DELAYS_MS.length) {
        hooks.onWait?.(`${error.message} Retrying…`);
        await sleep(RETRY_DELAYS_MS[tries]);
      } else if (error.kind === 'network') {
        hooks.onWait?.('Waiting for the connection to come back…');
        await onlineOrAfter(5000);
      } else {
        throw error;
      }
    }
  }
}
