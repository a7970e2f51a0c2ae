// @ts-check
/// <reference lib="webworker" />
/**
 * Hashes files off the main thread, 4 MiB at a time (memory stays bounded whatever the
 * file's size): `{id, file}` in; `{id, done}` progress and `{id, sha256}` or `{id, error}` out.
 */
import { Sha256 } from './sha256.js';

const CHUNK = 4 * 1024 * 1024;

self.onmessage = async (/** @type {MessageEvent<{id: number, file: Blob}>} */ event) => {
  const { id, file } = event.data;
  try {
    const hash = new Sha256();
    for (let at = 0; at < file.size; at += CHUNK) {
      hash.update(new Uint8Array(await file.slice(at, at + CHUNK).arrayBuffer()));
      self.postMessage({ id, done: Math.min(file.size, at + CHUNK) });
    }
    self.postMessage({ id, sha256: hash.hex() });
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
