// @ts-check
/**
 * A watermark logo sent straight to storage: hashed, registered as one of the event's
 * photos (`POST …/uploads`, the API's only way in), one PUT. Small (PNG, ≤ 4 MB), so no
 * tray, no multipart; the settings page shows its progress in words.
 */
import { path } from '../lib/api.js';
import { sha256OfFile } from '../upload/hasher.js';
import { put } from '../upload/transfer.js';

/** Largest logo the API accepts (`pipeline::watermark::MAX_MARK_BYTES`). */
export const MAX_LOGO_BYTES = 4 * 1024 * 1024;

/**
 * Uploads `file` to the event; resolves with its photo id (an identical file already in
 * the event is used as it is).
 * @param {import('../lib/api.js').Api} api
 * @param {string} eventId
 * @param {File} file
 * @returns {Promise<string>}
 */
export async function uploadLogo(api, eventId, file) {
  const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => head[i] === b);
  if (!png) throw new Error('a logo must be a PNG file');
  if (file.size > MAX_LOGO_BYTES) throw new Error('a logo may have at most 4 MB');
  const sha256 = await sha256OfFile(file);
  const { tickets: [ticket] } = await api.post(path`/api/events/${eventId}/uploads`, {
    files: [{ name: file.name, content_type: 'image/png', bytes: file.size, sha256 }],
  });
  if (ticket.kind === 'single') await put(ticket.url, ticket.headers, file, () => {});
  else if (ticket.kind !== 'duplicate') throw new Error(`unexpected upload ticket ${ticket.kind}`);
  return ticket.photo_id;
}
