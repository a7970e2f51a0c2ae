// @ts-check
/// <reference lib="webworker" />
/**
 * Hashes files off the main thread: `{id, file}` in; `{id, done}` progress and `{id, sha256}`
 * or `{id, error}` out. A file of up to 32 MiB (a single-PUT upload) is read whole and
 * hashed by the platform (WebCrypto: native code, several times faster than ours, which
 * matters when the device is also busy sending); a larger one, or where WebCrypto is
 * missing (an insecure origin), goes through our SHA-256 4 MiB at a time, so memory stays
 * bounded whatever the file's size.
 */
import { Sha256 } from './sha256.js';

const CHUNK = 4 * 1024 * 1024;
const WHOLE_MAX = 32 * 1024 * 1024;

/** @param {ArrayBuffer} digest */
function hex(digest) {
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** @param {Blob} file @param {(done: number) => void} progress */
async function sha256(file, progress) {
  if (file.size <= WHOLE_MAX && self.crypto?.subtle) {
    const digest = await self.crypto.subtle.digest('SHA-256', await file.arrayBuffer());
    progress(file.size);
    return hex(digest);
  }
  const hash = new Sha256();
  for (let at = 0; at < file.size; at += CHUNK) {
    hash.update(new Uint8Array(await file.slice(at, at + CHUNK).arrayBuffer()));
    progress(Math.min(file.size, at + CHUNK));
  }
  return hash.hex();
}

self.onmessage = async (/** @type {MessageEvent<{id: number, file: Blob}>} */ event) => {
  const { id, file } = event.data;
  try {
    const digest = await sha256(file, (done) => self.postMessage({ id, done }));
    self.postMessage({ id, sha256: digest });
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
