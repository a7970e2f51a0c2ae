// Large events for the scale tests and benchmarks: thousands of tiny real JPEGs, each one
// distinct, uploaded through the presign API like any client, then processed by the server.
import { Client } from './api.mjs';

/**
 * A small JPEG drawn and encoded by Chromium (a gradient and a label), as bytes.
 * @param {import('playwright-core').Browser} browser
 */
export async function baseJpeg(browser) {
  const page = await browser.newPage();
  try {
    const base64 = await page.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 96;
      canvas.height = 64;
      const g = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
      const fill = g.createLinearGradient(0, 0, 96, 64);
      fill.addColorStop(0, '#2a6f97');
      fill.addColorStop(1, '#f4a259');
      g.fillStyle = fill;
      g.fillRect(0, 0, 96, 64);
      g.fillStyle = '#fff';
      g.font = '20px sans-serif';
      g.fillText('PicPass', 10, 40);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.8));
      const bytes = new Uint8Array(await /** @type {Blob} */ (blob).arrayBuffer());
      let text = '';
      for (const b of bytes) text += String.fromCharCode(b);
      return btoa(text);
    });
    return Buffer.from(base64, 'base64');
  } finally {
    await page.close();
  }
}

/**
 * The base JPEG with a comment segment (`FF FE`) naming `label` right after its Start Of
 * Image: a valid JPEG of the same picture with its own bytes (and SHA-256).
 * @param {Buffer} jpeg @param {string} label
 */
export function labelled(jpeg, label) {
  const text = Buffer.from(label, 'utf8');
  const header = Buffer.from([0xff, 0xfe, (text.length + 2) >> 8, (text.length + 2) & 0xff]);
  return Buffer.concat([jpeg.subarray(0, 2), header, text, jpeg.subarray(2)]);
}

/** Waits until every photo of the event is processed; throws on any failure. */
export async function waitProcessed(client, eventId, count, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [event, pending, processing, failed] = await Promise.all([
      client.get(`/api/events/${eventId}`),
      ...['pending', 'processing', 'failed'].map((status) => client.get(`/api/events/${eventId}/photos?status=${status}&limit=1`)),
    ]);
    if (failed.items.length) throw new Error(`processing failed: ${JSON.stringify(failed.items[0].error)}`);
    if (event.photo_count >= count && !pending.items.length && !processing.items.length) return;
    if (Date.now() > deadline) throw new Error(`photos of ${eventId} not processed in ${timeoutMs} ms (${event.photo_count} registered)`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * A photographer's event of `count` distinct tiny JPEGs, uploaded 16 at a time through the
 * presign API and processed. Returns the client, the event, the photo ids and timings (ms).
 * @param {string} base @param {import('playwright-core').Browser} browser
 * @param {{username: string, name: string, count: number, timeoutMs?: number}} options
 */
export async function seedEvent(base, browser, { username, name, count, timeoutMs = 600_000 }) {
  const client = await Client.photographer(base, username);
  const event = await client.post('/api/events', { name, ttl_seconds: 30 * 86_400 });
  const jpeg = await baseJpeg(browser);
  const files = Array.from({ length: count }, (_, i) => ({ name: `IMG_${String(i + 1).padStart(5, '0')}.jpg`, bytes: labelled(jpeg, `${name} #${i + 1}`) }));
  const started = Date.now();
  const ids = await client.upload(event.event_id, files, 16);
  const uploadedMs = Date.now() - started;
  await waitProcessed(client, event.event_id, count, timeoutMs);
  return { client, event, ids, uploadedMs, readyMs: Date.now() - started };
}
