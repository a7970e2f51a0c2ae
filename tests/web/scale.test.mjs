// Grids of a large event: 1,200 photos seeded through the API (tiny real JPEGs, uploaded and
// processed by the server; its data on tmpfs where there is one), scrolled to the end in the photographer's grid and in the
// guest gallery, then the same event grown to 10,000 photos and scrolled again. Every photo
// must show exactly once, in one place, and the DOM must never hold more than a bounded
// number of images however long the event.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch, openPage } from './support/browser.mjs';
import { baseJpeg, labelled, seedEvent, waitProcessed } from './support/seed.mjs';
import { startServer } from './support/server.mjs';

// Three columns of ~127 px at 390×844: about 7 rows on screen and 3 above and below.
const MAX_IMAGES = 60;

let server;
let browser;
let seeded;

before(async () => {
  [server, browser] = await Promise.all([startServer({ inMemory: true }), launch()]);
  seeded = await seedEvent(server.base, browser, { username: 'lena', name: 'Marathon', count: 1200 });
  console.log(`seeded 1,200 photos: uploaded in ${seeded.uploadedMs} ms, all ready in ${seeded.readyMs} ms`);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * Scrolls the page's grid from top to bottom a screen at a time; returns what it saw.
 * Fails if one photo shows in two places or two photos in one place.
 * @param {import('playwright-core').Page} page
 * @param {number} expected photos in the grid
 */
async function scrollThrough(page, expected) {
  /** @type {Map<string, number>} photo id → position */
  const placeOf = new Map();
  /** @type {Map<number, string>} position → photo id */
  const atPlace = new Map();
  let maxImages = 0;
  let maxCells = 0;
  let y = 0;
  const deadline = Date.now() + 300_000;
  for (;;) {
    const snap = await page.evaluate(async (to) => {
      window.scrollTo(0, to);
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const cells = [...document.querySelectorAll('ul.grid > li')].filter((li) => !(/** @type {HTMLElement} */ (li).hidden));
      return {
        cells: cells.map((li) => [Number(li.getAttribute('aria-posinset')), /** @type {HTMLElement} */ (li).dataset.photoId ?? '', Boolean(li.querySelector('img[src]'))]),
        images: document.querySelectorAll('img').length,
        cellsInDom: document.querySelectorAll('ul.grid > li').length,
        bottom: window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2,
        scrollY: window.scrollY,
        // Next: a screen and two rows further (one look reaches three rows past the screen
        // and three before it), never so far that the last row drawn now (the next page
        // may still be on its way) is out of the next look.
        next: (() => {
          const row = cells[0]?.getBoundingClientRect().height ?? 0;
          const lastTop = Math.max(...cells.map((li) => li.getBoundingClientRect().top + window.scrollY));
          return Math.min(window.scrollY + window.innerHeight + 2 * row, lastTop + 2 * row);
        })(),
      };
    }, y);
    maxImages = Math.max(maxImages, snap.images);
    maxCells = Math.max(maxCells, snap.cellsInDom);
    assert.ok(snap.images <= MAX_IMAGES, `${snap.images} images in the DOM at ${snap.scrollY} px`);
    for (const [position, id, hasImage] of snap.cells) {
      assert.ok(id && hasImage, `the cell at position ${position} shows a thumbnail`);
      const place = placeOf.get(id);
      assert.ok(place === undefined || place === position, `${id} shows at ${place} and at ${position}`);
      const there = atPlace.get(position);
      assert.ok(there === undefined || there === id, `position ${position} shows ${there} and ${id}`);
      placeOf.set(id, position);
      atPlace.set(position, id);
    }
    if (snap.bottom && placeOf.size >= expected) break;
    if (Date.now() > deadline) throw new Error(`scrolled to ${snap.scrollY} px and saw ${placeOf.size} of ${expected} photos`);
    // Nothing new drawn yet (the next page on its way): stay and look again.
    y = Math.max(snap.scrollY, snap.next);
    if (y === snap.scrollY) await page.waitForTimeout(50);
  }
  return { placeOf, atPlace, maxImages, maxCells };
}

/** @param {Awaited<ReturnType<typeof scrollThrough>>} seen @param {string[]} ids */
function assertEveryPhotoOnce(seen, ids) {
  assert.equal(seen.placeOf.size, ids.length, 'as many photos shown as the event holds');
  assert.deepEqual([...seen.placeOf.keys()].sort(), [...ids].sort(), 'exactly the event’s photos');
  const positions = [...seen.atPlace.keys()].sort((a, b) => a - b);
  assert.deepEqual([positions[0], positions.at(-1), positions.length], [1, ids.length, ids.length], 'positions 1…n, none skipped');
}

async function openEvent(eventId) {
  const opened = await openPage(browser);
  const { token, expires_at } = seeded.client.session;
  await opened.context.addInitScript((value) => localStorage.setItem('picpass.session', value), JSON.stringify({ token, expires_at }));
  await opened.page.goto(`${server.base}/#/events/${eventId}`);
  await opened.page.getByRole('heading', { name: 'Marathon' }).waitFor();
  return opened;
}

test('the photographer scrolls a 1,200-photo event to the end: every photo once, a bounded DOM', async () => {
  const { page, context, check } = await openEvent(seeded.event.event_id);
  await page.locator('ul.grid li img').first().waitFor();
  const started = Date.now();
  const seen = await scrollThrough(page, 1200);
  assertEveryPhotoOnce(seen, seeded.ids);
  await page.getByText('1200 photos', { exact: true }).waitFor();
  console.log(`1,200: scrolled in ${Date.now() - started} ms; at most ${seen.maxImages} images, ${seen.maxCells} cells in the DOM`);
  check();
  await context.close();
});

test('a guest scrolls the 1,200-photo gallery to the end: every photo once, a bounded DOM', async () => {
  const { code } = await seeded.client.post(`/api/events/${seeded.event.event_id}/codes`, { label: 'Runners', all: true });
  const { page, context, check } = await openPage(browser);
  await page.goto(`${server.base}/e/lena/${seeded.event.slug}`);
  await page.getByLabel('Access code').fill(code);
  await page.getByRole('button', { name: 'View photos' }).click();
  await page.locator('ul.grid li img').first().waitFor();
  const started = Date.now();
  const seen = await scrollThrough(page, 1200);
  assertEveryPhotoOnce(seen, seeded.ids);
  await page.getByText('1200 photos', { exact: true }).waitFor();
  console.log(`gallery 1,200: scrolled in ${Date.now() - started} ms; at most ${seen.maxImages} images`);
  check();
  await context.close();
});

test('the same grid at 10,000 photos: every photo once, the same bounded DOM', async () => {
  const more = 8800;
  const jpeg = await baseJpeg(browser);
  const files = Array.from({ length: more }, (_, i) => ({ name: `IMG_${String(1201 + i).padStart(5, '0')}.jpg`, bytes: labelled(jpeg, `Marathon #${1201 + i}`) }));
  const started = Date.now();
  const ids = await seeded.client.upload(seeded.event.event_id, files, 16);
  await waitProcessed(seeded.client, seeded.event.event_id, 10_000, 900_000);
  console.log(`seeded 8,800 more photos (10,000 in all) in ${Date.now() - started} ms`);

  const { page, context, check } = await openEvent(seeded.event.event_id);
  await page.locator('ul.grid li img').first().waitFor();
  const scrolled = Date.now();
  const seen = await scrollThrough(page, 10_000);
  assertEveryPhotoOnce(seen, [...seeded.ids, ...ids]);
  await page.getByText('10000 photos', { exact: true }).waitFor();
  console.log(`10,000: scrolled in ${Date.now() - scrolled} ms; at most ${seen.maxImages} images, ${seen.maxCells} cells in the DOM`);
  check();
  await context.close();
});
