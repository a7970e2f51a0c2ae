// The image watermark: a photographer picks "Image", uploads a PNG logo from the Settings
// tab, and the event's watermark becomes that logo, with a preview the server rendered with
// it (different from the same photo without); the page stays free of axe violations.
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import AxeBuilder from '@axe-core/playwright';
import { Client } from './support/api.mjs';
import { launch, openPage } from './support/browser.mjs';
import { realPhotos } from './support/photos.mjs';
import { startServer } from './support/server.mjs';

let server;
let browser;

before(async () => {
  [server, browser] = await Promise.all([startServer(), launch()]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A 160×60 PNG logo with transparency, drawn by Chromium; its path. */
async function drawLogo() {
  const page = await browser.newPage();
  const base64 = await page.evaluate(async () => {
    const canvas = Object.assign(document.createElement('canvas'), { width: 160, height: 60 });
    const g = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    g.fillStyle = 'rgba(255, 255, 255, 0.9)';
    g.font = 'bold 36px sans-serif';
    g.fillText('STUDIO', 8, 44);
    const blob = /** @type {Blob} */ (await new Promise((resolve) => canvas.toBlob(resolve, 'image/png')));
    return btoa(String.fromCharCode(...new Uint8Array(await blob.arrayBuffer())));
  });
  await page.close();
  const path = join(mkdtempSync(join(tmpdir(), 'picpass-logo-')), 'studio-logo.png');
  writeFileSync(path, Buffer.from(base64, 'base64'));
  return path;
}

test('a PNG logo uploaded in Settings becomes the event watermark, previewed on a photo', async () => {
  const owner = await Client.photographer(server.base, 'mira');
  const event = await owner.post('/api/events', { name: 'Gala', ttl_seconds: 86_400 });
  const [photo] = realPhotos(1);
  await owner.upload(event.event_id, [{ name: basename(photo), bytes: readFileSync(photo) }]);
  await owner.waitReady(event.event_id, 1);
  const logo = await drawLogo();

  const { page, context, check } = await openPage(browser);
  await context.addInitScript((value) => localStorage.setItem('picpass.session', value), JSON.stringify({ token: owner.session.token, expires_at: owner.session.expires_at }));
  await page.goto(`${server.base}/#/events/${event.event_id}/settings`);
  await page.getByRole('heading', { name: 'Watermark' }).waitFor();
  await page.getByLabel('Watermark guests’ copies').check();
  await page.getByRole('radio', { name: 'Image (your logo)' }).check();
  assert.equal(await page.getByLabel('Watermark text').isVisible(), false, 'the text field gives way to the logo');
  await page.getByText('Choose a logo to watermark with.').waitFor();

  const preview = page.getByRole('img', { name: `Preview of ${basename(photo)} as guests see it` });
  const before = await preview.getAttribute('src'); // rendered without a watermark
  await page.setInputFiles('#logo-input', logo);
  await page.getByText('Logo: studio-logo.png').waitFor();
  await page.getByText('Saved.', { exact: true }).waitFor();
  const saved = await owner.get(`/api/events/${event.event_id}`);
  assert.equal(saved.watermark?.kind, 'image');
  const mark = await owner.get(`/api/events/${event.event_id}/photos/${saved.watermark.image_photo_id}`);
  assert.equal(mark.filename, 'studio-logo.png');
  assert.equal(mark.content_type, 'image/png');

  await page.waitForFunction((old) => {
    const img = document.querySelector('figure.preview img');
    return img instanceof HTMLImageElement && img.getAttribute('src') !== old && img.complete;
  }, before);
  const shown = Buffer.from(await (await page.request.get(await preview.getAttribute('src'))).body());
  const photoId = (await owner.get(`/api/events/${event.event_id}/photos?limit=10`)).items.find((p) => p.filename === basename(photo)).photo_id;
  const spec = { resize: { width: 720, fit: 'inside' }, format: 'jpeg', quality: 80 };
  const plain = await owner.post(`/api/events/${event.event_id}/photos/${photoId}/derivatives`, { spec: { ...spec, watermark: false } });
  const unmarked = Buffer.from(await (await fetch(plain.url)).arrayBuffer());
  assert.ok(shown.length > 0 && !shown.equals(unmarked), 'the preview carries the logo');

  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.help}`), []);
  check();
  await context.close();
});
