// Accessibility and screenshots: axe finds no violations on each main screen of the
// photographer app and the guest gallery (390×844), and each is photographed (plus the
// event page at 1280×800): into $PICPASS_SCREENSHOTS_DIR when set — `PICPASS_SCREENSHOTS_DIR=
// docs/screenshots scripts/test-web a11y.test.mjs` refreshes the README's — else a temp dir.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import AxeBuilder from '@axe-core/playwright';
import { Client } from './support/api.mjs';
import { launch, openPage } from './support/browser.mjs';
import { realPhotos } from './support/photos.mjs';
import { ROOT, startServer } from './support/server.mjs';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const SHOTS = process.env.PICPASS_SCREENSHOTS_DIR
  ? resolve(ROOT, process.env.PICPASS_SCREENSHOTS_DIR)
  : mkdtempSync(join(tmpdir(), 'picpass-screenshots-'));
let server;
let browser;
let seeded;

before(async () => {
  [server, browser] = await Promise.all([startServer(), launch()]);
  mkdirSync(SHOTS, { recursive: true });
  const anna = await Client.photographer(server.base, 'anna');
  const event = await anna.post('/api/events', { name: 'Anna & Ben', ttl_seconds: 30 * 86400 });
  const files = realPhotos(6).map((path) => ({ name: basename(path), bytes: readFileSync(path) }));
  const ids = await anna.upload(event.event_id, files);
  await anna.waitReady(event.event_id, files.length);
  await anna.call('PATCH', `/api/events/${event.event_id}`, { cover_photo_id: ids[1] });
  const family = await anna.post(`/api/events/${event.event_id}/codes`, { label: 'Family', all: true });
  const friends = await anna.post(`/api/events/${event.event_id}/codes`, { label: 'Friends', photo_ids: ids.slice(0, 2) });
  const revoked = await anna.post(`/api/events/${event.event_id}/codes`, { label: 'Old', all: true });
  await anna.call('DELETE', `/api/events/${event.event_id}/codes/${revoked.code_id}`);
  seeded = { anna, event, family, friends, revoked, gallery: `${server.base}/e/anna/anna-ben` };
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** @param {import('playwright-core').Page} page @param {string} screen */
async function audit(page, screen) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  assert.deepEqual(found, [], `axe on ${screen}`);
}

/** @param {import('playwright-core').Page} page @param {string} name */
async function shoot(page, name) {
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** Scrolls a heading to just under the sticky top bar. @param {import('playwright-core').Page} page @param {string} name */
async function scrollToHeading(page, name) {
  await page.getByRole('heading', { name, exact: true }).evaluate((el) => window.scrollBy(0, el.getBoundingClientRect().top - 72));
}

/** A photographer's page with the session already stored, as after signing in. */
async function signedIn(options) {
  const opened = await openPage(browser, options);
  const session = seeded.anna.session;
  await opened.context.addInitScript((s) => localStorage.setItem('picpass.session', JSON.stringify(s)), { token: session.token, expires_at: session.expires_at });
  return opened;
}

test('sign-in and sign-up pages', async () => {
  const { page, check, context } = await openPage(browser);
  await page.goto(`${server.base}/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await audit(page, 'sign in');
  await shoot(page, 'sign-in');
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();
  await audit(page, 'sign up');
  check();
  await context.close();
});

test('events list, event photos, codes and settings', async () => {
  const { page, check, context } = await signedIn();
  await page.goto(`${server.base}/`);
  await page.getByRole('link', { name: 'Anna & Ben' }).waitFor();
  await audit(page, 'events');
  await shoot(page, 'events');

  await page.getByRole('link', { name: 'Anna & Ben' }).click();
  await page.waitForFunction(() => document.querySelectorAll('li[data-status=ready] img').length === 6);
  await page.locator('li[data-status=ready] img').evaluateAll((imgs) => Promise.all(imgs.map((i) => i.decode())));
  await page.getByRole('checkbox').nth(0).check();
  await page.getByRole('checkbox').nth(1).check();
  await audit(page, 'event photos');
  await scrollToHeading(page, 'Photos');
  await shoot(page, 'event-photos');

  await page.getByRole('link', { name: 'Access codes' }).click();
  await page.getByRole('heading', { name: 'Friends' }).waitFor();
  await audit(page, 'codes');
  await scrollToHeading(page, 'Codes');
  await shoot(page, 'codes');

  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Watermark' }).waitFor();
  await page.getByLabel('Watermark guests’ copies').check();
  await page.getByLabel('Watermark text').fill('© Anna Photo');
  await page.getByText('Saved.').waitFor();
  await page.getByRole('img', { name: /as guests see it/ }).waitFor();
  await audit(page, 'settings');
  await scrollToHeading(page, 'Watermark');
  await shoot(page, 'settings-watermark');
  check();
  await context.close();
});

test('the event page on a desktop (1280×800)', async () => {
  const { page, check, context } = await signedIn({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${server.base}/#/events/${seeded.event.event_id}`);
  await page.waitForFunction(() => document.querySelectorAll('li[data-status=ready] img').length === 6);
  await page.locator('li[data-status=ready] img').evaluateAll((imgs) => Promise.all(imgs.map((i) => i.decode())));
  await audit(page, 'event photos (desktop)');
  await shoot(page, 'event-desktop');
  check();
  await context.close();
});

test('gallery landing, grid, viewer and its problem pages', async () => {
  const { page, check, context } = await openPage(browser, undefined, { allowConsole: [/status of 4\d\d/] });
  await page.goto(seeded.gallery);
  await page.getByRole('img', { name: 'Cover photo of Anna & Ben' }).waitFor();
  await page.getByRole('img', { name: 'Cover photo of Anna & Ben' }).evaluate((img) => img.decode());
  await audit(page, 'gallery landing');
  await shoot(page, 'gallery-landing');

  await page.getByLabel('Access code').fill('WRON-GCOD-E000');
  await page.getByRole('button', { name: 'View photos' }).click();
  await page.getByText('That code does not open this gallery').waitFor();
  await audit(page, 'wrong code');
  await shoot(page, 'gallery-wrong-code');

  await page.getByLabel('Access code').fill(seeded.family.code);
  await page.getByRole('button', { name: 'View photos' }).click();
  await page.getByText('6 photos').waitFor();
  await page.locator('.viewer-cell img').evaluateAll((imgs) => Promise.all(imgs.map((i) => i.decode())));
  await audit(page, 'gallery grid');
  await shoot(page, 'gallery-grid');

  await page.locator('.viewer-cell button.open').first().click();
  const viewer = page.getByRole('dialog', { name: 'Photo viewer' });
  await viewer.locator('img').evaluate((img) => img.decode());
  await audit(page, 'full-screen viewer');
  await shoot(page, 'gallery-viewer');
  await page.keyboard.press('Escape');

  // A revoked code: the token stops working on its next request.
  await seeded.anna.call('DELETE', `/api/events/${seeded.event.event_id}/codes/${seeded.family.code_id}`);
  await page.reload();
  await page.getByRole('heading', { name: 'This code no longer works' }).waitFor();
  await audit(page, 'revoked code');
  await shoot(page, 'gallery-revoked');
  check();
  await context.close();
});

test('a lockout says how many minutes are left', async () => {
  const { page, check, context } = await openPage(browser, undefined, { allowConsole: [/status of 4\d\d/] });
  await page.goto(seeded.gallery);
  const lockedOut = page.getByRole('heading', { name: 'Too many wrong codes' });
  // Ten wrong codes from one address in 15 minutes lock it out (earlier tests tried some).
  for (let i = 0; i < 11 && !(await lockedOut.isVisible()); i += 1) {
    await page.getByLabel('Access code').fill(`WRON-GCOD-E00${i}`);
    await page.getByRole('button', { name: 'View photos' }).click();
    const wrong = page.getByText('That code does not open this gallery');
    await Promise.race([wrong.waitFor(), lockedOut.waitFor()]);
    if (await wrong.isVisible()) await page.getByRole('alert').evaluate((el) => { el.textContent = ''; });
  }
  await lockedOut.waitFor();
  await page.reload();
  await page.getByLabel('Access code').fill(seeded.friends.code);
  await page.getByRole('button', { name: 'View photos' }).click();
  await lockedOut.waitFor();
  await page.getByText(/Try again in 15 minutes/).waitFor();
  await audit(page, 'lockout');
  await shoot(page, 'gallery-lockout');
  check();
  await context.close();
});

test('an expired gallery says so', async () => {
  const { page, check, context } = await openPage(browser, undefined, { allowConsole: [/status of 410/] });
  const past = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  await seeded.anna.call('PATCH', `/api/events/${seeded.event.event_id}`, { expires_at: past });
  await page.goto(seeded.gallery);
  await page.getByRole('heading', { name: 'This gallery has expired' }).waitFor();
  await audit(page, 'expired gallery');
  await shoot(page, 'gallery-expired');
  check();
  await context.close();
});
