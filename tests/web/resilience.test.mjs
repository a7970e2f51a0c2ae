// Uploads that survive what phones and venues do to them: the network cut in the middle of a
// multipart upload and restored (it completes by itself), the page reloaded mid-upload (the
// tray lists the file; selecting it again sends only the parts storage does not hold), and
// the photographer moving between events while uploads go on. On loopback a part takes a
// moment, so "in the middle" is made exact: the test holds the PUTs of parts 3 and later at
// the network layer (route interception) until it cuts the network or reloads the page.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from './support/api.mjs';
import { launch, openPage } from './support/browser.mjs';
import { paddedPhoto, realPhotos } from './support/photos.mjs';
import { startServer } from './support/server.mjs';

const MIB = 1024 * 1024;
// Multipart above 8 MiB in 5 MiB parts (S3's smallest): a 28 MB photo is 6 parts.
const PART_BYTES = 5 * MIB;
const LARGE_BYTES = 28_000_000;

let server;
let browser;
let owner;
let large;

before(async () => {
  [server, browser] = await Promise.all([
    startServer({ env: { PICPASS_MAX_SINGLE_PUT_BYTES: String(8 * MIB), PICPASS_MULTIPART_PART_BYTES: String(PART_BYTES) } }),
    launch(),
  ]);
  owner = await Client.photographer(server.base, 'rosa');
  large = paddedPhoto(LARGE_BYTES);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Errors Chromium logs for requests the test cuts on purpose. */
const CUT = [/ERR_INTERNET_DISCONNECTED|ERR_NETWORK_CHANGED|Failed to load resource|net::ERR_/];

/** A signed-in page (the session the API gave, where the app keeps it). */
async function signedInPage() {
  const opened = await openPage(browser, undefined, { allowConsole: CUT });
  const session = { token: owner.session.token, expires_at: owner.session.expires_at };
  await opened.context.addInitScript((value) => localStorage.setItem('picpass.session', value), JSON.stringify(session));
  const cdp = await opened.context.newCDPSession(opened.page);
  await cdp.send('Network.enable');
  /** Limits uploads to `bytesPerSecond` (-1: no limit). @param {number} bytesPerSecond */
  const throttle = (bytesPerSecond) => cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond,
  });
  return { ...opened, throttle };
}

/**
 * Holds the storage PUTs of parts `from` and later until `release()` (then lets everything
 * through). @param {import('playwright-core').Page} page @param {number} from
 */
async function holdParts(page, from) {
  let release = () => {};
  const released = new Promise((resolve) => { release = () => resolve(undefined); });
  await page.route('**/blobs/**', async (route) => {
    const part = Number(new URL(route.request().url()).searchParams.get('partNumber') ?? 0);
    if (route.request().method() === 'PUT' && part >= from) await released;
    await route.continue().catch(() => {}); // a request the cut or the reload killed meanwhile
  });
  return release;
}

/** PUTs to storage by part number (0: a single PUT), from now on. @param {import('playwright-core').Page} page */
function watchPuts(page) {
  const puts = { started: /** @type {number[]} */ ([]), stored: /** @type {number[]} */ ([]), failed: /** @type {number[]} */ ([]) };
  const part = (/** @type {string} */ url) => Number(new URL(url).searchParams.get('partNumber') ?? 0);
  const isPut = (/** @type {import('playwright-core').Request} */ r) => r.method() === 'PUT' && new URL(r.url()).pathname.startsWith('/blobs/');
  page.on('request', (r) => { if (isPut(r)) puts.started.push(part(r.url())); });
  page.on('requestfailed', (r) => { if (isPut(r)) puts.failed.push(part(r.url())); });
  page.on('response', (r) => { if (isPut(r.request()) && r.ok()) puts.stored.push(part(r.url())); });
  return puts;
}

/** Bytes of part `n` of a file of `size` bytes. @param {number} n @param {number} size */
function partSize(n, size) {
  const count = Math.ceil(size / PART_BYTES);
  return n === count ? size - PART_BYTES * (count - 1) : PART_BYTES;
}

async function until(predicate, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every photo of an event, all pages. */
async function photosOf(eventId) {
  const all = [];
  let cursor = null;
  do {
    const page = await owner.get(`/api/events/${eventId}/photos?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    all.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

test('the network cut in the middle of a multipart upload and restored: the upload completes by itself', async () => {
  const event = await owner.post('/api/events', { name: 'Offline', ttl_seconds: 86_400 });
  const { page, context, check } = await signedInPage();
  await page.goto(`${server.base}/#/events/${event.event_id}`);
  await page.getByRole('heading', { name: 'Offline' }).waitFor();
  const puts = watchPuts(page);
  const release = await holdParts(page, 3);
  await page.setInputFiles('#photo-input', large);
  await page.getByRole('button', { name: 'Upload 1 photo' }).click();

  await until(() => puts.stored.length >= 2, 'parts 1 and 2 stored');
  await until(() => puts.started.length >= 4, 'four parts on their way');
  await context.setOffline(true);
  release();
  const storedAtCut = puts.stored.length;
  await until(() => puts.failed.length >= 1, 'a part cut off');
  const summary = page.locator('#tray-summary');
  await summary.getByText(/offline: resumes when the connection is back/).waitFor();
  assert.match(await page.locator('.tray-row .tray-state').textContent(), /The connection dropped|Waiting for the connection/);
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(puts.stored.length, storedAtCut, 'nothing reaches storage while offline');
  await context.setOffline(false);

  await summary.getByText(/^1 of 1 files/).waitFor({ timeout: 60_000 });
  assert.doesNotMatch(await summary.textContent(), /offline/);
  assert.ok(storedAtCut < Math.ceil(LARGE_BYTES / PART_BYTES), `the cut came mid-upload (${storedAtCut} parts were stored)`);
  assert.ok(puts.started.every((n) => n > 0), 'a multipart upload');
  await page.waitForFunction(() => document.querySelectorAll('li[data-status=ready] img').length === 1, null, { timeout: 120_000 });
  const photos = await photosOf(event.event_id);
  assert.deepEqual(photos.map((p) => [p.filename, p.status, p.bytes ?? LARGE_BYTES]), [[basename(large), 'ready', LARGE_BYTES]]);
  check();
  await context.close();
});

test('a reload mid-upload: the tray lists the file, and selecting it again sends only the missing parts', async () => {
  const event = await owner.post('/api/events', { name: 'Reload', ttl_seconds: 86_400 });
  const { page, context, check } = await signedInPage();
  page.on('dialog', (dialog) => void dialog.accept()); // the "leave the page?" warning
  await page.goto(`${server.base}/#/events/${event.event_id}`);
  await page.getByRole('heading', { name: 'Reload' }).waitFor();
  const before = watchPuts(page);
  const release = await holdParts(page, 3);
  await page.setInputFiles('#photo-input', large);
  await page.getByRole('button', { name: 'Upload 1 photo' }).click();
  await until(() => before.stored.length >= 2 && before.started.length >= 4, 'parts 1 and 2 stored, more on their way');

  const storedBefore = [...new Set(before.stored)].sort();
  await page.reload();
  release();
  await page.getByRole('heading', { name: 'Reload' }).waitFor();
  const tray = page.getByRole('complementary').filter({ has: page.getByRole('heading', { name: 'Uploads' }) });
  await tray.getByText('1 interrupted').waitFor();
  await page.locator('.tray-row', { hasText: basename(large) }).getByText(/Interrupted/).waitFor();

  const afterReload = watchPuts(page);
  await page.setInputFiles('#tray-resume', large);
  await page.getByText('1 of 1 files').waitFor({ timeout: 60_000 });
  const size = statSync(large).size;
  const sent = afterReload.started.reduce((sum, n) => sum + (n === 0 ? size : partSize(n, size)), 0);
  assert.ok(afterReload.started.length > 0 && afterReload.started.every((n) => n > 0), 'parts were sent after the reload');
  assert.ok(sent < size, `after the reload ${sent} bytes were sent, fewer than the file's ${size}`);
  assert.deepEqual(storedBefore, [1, 2], 'parts 1 and 2 were stored before the reload');
  for (const n of storedBefore) assert.ok(!afterReload.started.includes(n), `part ${n}, stored before the reload, is not sent again`);

  await page.waitForFunction(() => document.querySelectorAll('li[data-status=ready] img').length === 1, null, { timeout: 120_000 });
  const photos = await photosOf(event.event_id);
  assert.deepEqual(photos.map((p) => [p.filename, p.status]), [[basename(large), 'ready']], 'one photo, processed, not a second registration');
  check();
  await context.close();
});

test('the photographer moves between events while uploads go on, and they all finish', async () => {
  const first = await owner.post('/api/events', { name: 'Ceremony', ttl_seconds: 86_400 });
  const second = await owner.post('/api/events', { name: 'Party', ttl_seconds: 86_400 });
  const photos = realPhotos(8);
  const { page, context, check, throttle } = await signedInPage();
  await page.goto(`${server.base}/#/events/${first.event_id}`);
  await page.getByRole('heading', { name: 'Ceremony' }).waitFor();
  await page.evaluate(() => { /** @type {any} */ (window).sameDocument = true; });
  await throttle(2 * MIB);
  await page.setInputFiles('#photo-input', photos.slice(0, 6));
  await page.getByRole('button', { name: 'Upload 6 photos' }).click();
  const summary = page.locator('#tray-summary');
  await summary.getByText(/^0 of 6 files/).waitFor();

  await page.getByRole('link', { name: '← Your events' }).click();
  await page.getByRole('heading', { name: 'Your events' }).waitFor();
  await page.getByRole('link', { name: /Party/ }).first().click();
  await page.getByRole('heading', { name: 'Party' }).waitFor();
  assert.match(await summary.textContent(), /^[0-5] of 6 files/, 'the first uploads are still going while on another event');
  await page.setInputFiles('#photo-input', photos.slice(6, 8));
  await page.getByRole('button', { name: 'Upload 2 photos' }).click();
  await page.getByRole('link', { name: 'Access codes' }).click();
  await page.getByRole('heading', { name: 'New access code' }).waitFor();
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Watermark' }).waitFor();
  assert.match(await summary.textContent(), /^[0-7] of 8 files/, 'still uploading while browsing tabs');
  await page.getByRole('link', { name: '← Your events' }).click();
  await page.getByRole('link', { name: /Ceremony/ }).first().click();
  await page.getByRole('heading', { name: 'Ceremony' }).waitFor();

  await summary.getByText(/^8 of 8 files/).waitFor({ timeout: 120_000 });
  await throttle(-1);
  assert.equal(await page.evaluate(() => /** @type {any} */ (window).sameDocument), true, 'the app never reloaded');
  await page.waitForFunction(() => document.querySelectorAll('li[data-status=ready] img').length === 6, null, { timeout: 120_000 });
  const ready = async (id) => (await photosOf(id)).filter((p) => p.status === 'ready').map((p) => p.filename).sort();
  assert.deepEqual(await ready(first.event_id), photos.slice(0, 6).map((p) => basename(p)).sort());
  await owner.waitReady(second.event_id, 2);
  assert.deepEqual(await ready(second.event_id), photos.slice(6, 8).map((p) => basename(p)).sort());
  check();
  await context.close();
});
