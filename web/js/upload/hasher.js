// @ts-check
/** SHA-256 of files in two background workers, one file per worker at a time. */

const WORKERS = 2;

/**
 * @typedef {object} Job
 * @property {number} id
 * @property {Blob} file
 * @property {(done: number) => void} progress
 * @property {(sha256: string) => void} resolve
 * @property {(error: Error) => void} reject
 */

/** @type {{worker: Worker, job: Job | null}[]} */
const pool = [];
/** @type {Job[]} */
const waiting = [];
let nextId = 1;

function spawn() {
  const slot = { worker: new Worker(new URL('./hash-worker.js', import.meta.url), { type: 'module' }), job: /** @type {Job | null} */ (null) };
  slot.worker.onmessage = (event) => {
    const job = slot.job;
    if (!job || event.data.id !== job.id) return;
    if (typeof event.data.sha256 === 'string') {
      slot.job = null;
      job.resolve(event.data.sha256);
      pump();
    } else if (event.data.error) {
      slot.job = null;
      job.reject(new Error(`Could not read the file: ${event.data.error}`));
      pump();
    } else {
      job.progress(event.data.done);
    }
  };
  slot.worker.onerror = (event) => {
    event.preventDefault();
    const job = slot.job;
    slot.job = null;
    job?.reject(new Error(`Could not hash the file: ${event.message || 'worker failed'}`));
    pump();
  };
  pool.push(slot);
  return slot;
}

function pump() {
  while (waiting.length > 0) {
    const slot = pool.find((s) => !s.job) ?? (pool.length < WORKERS ? spawn() : null);
    if (!slot) return;
    const job = /** @type {Job} */ (waiting.shift());
    slot.job = job;
    slot.worker.postMessage({ id: job.id, file: job.file });
  }
}

/**
 * Starts the workers before there is anything to hash (when photos are picked), so the
 * first file's hash does not also wait for a worker and its module to load.
 */
export function warmHashers() {
  while (pool.length < WORKERS) spawn();
}

/**
 * The lowercase hex SHA-256 of a file.
 * @param {Blob} file
 * @param {(done: number) => void} [progress] bytes hashed so far
 * @returns {Promise<string>}
 */
export function sha256OfFile(file, progress = () => {}) {
  return new Promise((resolve, reject) => {
    waiting.push({ id: nextId++, file, progress, resolve, reject });
    pump();
  });
}
