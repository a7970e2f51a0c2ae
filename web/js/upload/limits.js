// @ts-check
/**
 * PicPass's upload limits (API.md defaults), checked on the device so nothing is sent that
 * the server would refuse, each refusal explained in a sentence.
 */
import { formatBytes } from '../lib/format.js';

export const LIMITS = Object.freeze({
  maxFileBytes: 200 * 1024 * 1024,
  maxFilesPerBatch: 500,
  maxSidePx: 20000,
  maxMegapixels: 100,
  types: ['image/jpeg', 'image/png', 'image/webp'],
});

/**
 * Why a file cannot be sent, or null when it can.
 * @param {{size: number}} file
 * @param {import('./image-info.js').ImageInfo} info
 * @returns {string | null}
 */
export function refusal(file, info) {
  if (file.size === 0) return 'This file is empty.';
  if (!info.type) return 'Not a photo PicPass accepts: only JPEG, PNG and WebP images can be uploaded.';
  if (file.size > LIMITS.maxFileBytes) {
    return `Too large: ${formatBytes(file.size)}; the largest photo PicPass takes is ${formatBytes(LIMITS.maxFileBytes)}.`;
  }
  if (info.width && info.height) {
    if (Math.max(info.width, info.height) > LIMITS.maxSidePx) {
      return `Too many pixels on one side (${info.width} × ${info.height}); at most ${LIMITS.maxSidePx} px.`;
    }
    if (info.width * info.height > LIMITS.maxMegapixels * 1e6) {
      return `Too many pixels (${Math.round((info.width * info.height) / 1e6)} MP); at most ${LIMITS.maxMegapixels} MP.`;
    }
  }
  return null;
}

/** Why more files cannot join a batch of `count`, or null. @param {number} count */
export function countRefusal(count) {
  return count >= LIMITS.maxFilesPerBatch
    ? `At most ${LIMITS.maxFilesPerBatch} photos can be added at once; upload these first, then add more.`
    : null;
}
