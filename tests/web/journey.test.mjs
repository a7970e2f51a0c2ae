// The two journeys in a real browser at 390×844: a photographer signs up, creates an
// event, adds 5 real photos (and a non-image, refused before sending), watches them upload
// and process, and makes a code for 3 of them; a guest in a fresh context is refused a
// wrong code, then sees exactly those 3, browses them full screen, downloads one under
// its original name and the three as a zip (bytes equal to the originals).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { launch, openPage } from './support/browser.mjs';
import { decodeQrPath } from './support/qr.mjs';
import { realPhotos } from './support/photos.mjs';
import { startServer } from './support/server.mjs';

let server;
let browser;
const photos = realPhotos(5);
const shared = {};

before(async () => {
  [server, browser] = await Promise.all([startServer(), launch()]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a photographer signs up, uploads 5 photos and makes a code for 3', async () => {
  const { page, check, context } = await openPage(browser);
  const registered = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && /\/uploads$/.test(request.url())) registered.push(...JSON.parse(request.postData() ?? '{}').files);
  });
  await page.goto(`${server.base}/#/signup`);
  await page.getByLabel('Username').fill('anna');
  await page.getByLabel('E-mail').fill('anna@example.com');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Your events' }).waitFor();

  await page.getByLabel('Event name').fill('Anna & Ben');
  await page.getByRole('button', { name: 'Create event' }).click();
  await page.getByRole('heading', { name: 'Anna & Ben' }).waitFor();
  await page.getByText(/Expires in 29 days/).waitFor();

  const notes = join(mkdtempSync(join(tmpdir(), 'picpass-notes-')), 'notes.jpg');
  writeFileSync(notes, 'not a photo, whatever the name says\n');
  await page.setInputFiles('#photo-input', [...photos, notes]);
  await page.getByText('5 photos ready to upload').waitFor();
  const refused = page.locator('.staged-item.refused');
  await assert.doesNotReject(refused.getByText('Refused: Not a photo PicPass accepts').waitFor());
  assert.equal(await refused.locator('.staged-name').textContent(), 'notes.jpg');
  assert.match(await page.locator('.staged-item').first().textContent(), /\d+ × \d+/, 'dimensions read on the device');

  await page.getByRole('button', { name: 'Upload 5 photos' }).click();
  const overall = page.getByRole('progressbar', { name: 'Overall upload progress' });
  await overall.waitFor();
  await page.getByText('5 of 5 files').waitFor();
  assert.equal(await overall.evaluate((el) => /** @type {HTMLProgressElement} */ (el).value === /** @type {HTMLProgressElement} */ (el).max), true);
  assert.deepEqual(registered.map((f) => f.name).sort(), photos.map((p) => basename(p)).sort(), 'only the 5 photos were sent');

  await page.waitForFunction(() => document.querySelectorAll('li[data-status=ready] img').length === 5, null, { timeout: 120_000 });
  for (const name of photos.slice(0, 3).map((p) => basename(p))) {
    await page.getByRole('checkbox', { name: `Select ${name}` }).check();
  }
  await page.getByText('3 selected').waitFor();
  await page.getByRole('button', { name: 'Create code for selection' }).click();
  await page.getByLabel('Label').fill('Family');
  assert.equal(await page.getByLabel('The 3 selected photos').isChecked(), true);
  await page.getByRole('button', { name: 'Create code' }).click();
  const card = page.locator('li.code').first();
  await card.getByRole('heading', { name: 'Family' }).waitFor();
  const code = (await card.locator('.code-text').textContent()).replace('Code: ', '');
  assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  const link = await card.locator('a.code-link').getAttribute('href');
  assert.equal(link, `${server.base}/e/anna/anna-ben#code=${code}`);
  const qr = card.getByRole('img', { name: 'QR code of the link for Family' });
  const [d, viewBox] = await qr.evaluate((svg) => [svg.querySelector('path')?.getAttribute('d'), svg.getAttribute('viewBox')]);
  assert.equal(decodeQrPath(d, Number(viewBox.split(' ')[2])), link, 'the QR code reads back as the link');
  await card.getByText('3 photos').waitFor();
  Object.assign(shared, { code, link, gallery: `${server.base}/e/anna/anna-ben` });
  check();
  await context.close();
});

test('a guest unlocks with the code, sees exactly the 3 photos and downloads them', async () => {
  assert.ok(shared.code, 'needs the photographer journey');
  const { page, check, context } = await openPage(browser, undefined, { allowConsole: [/status of 401/] });
  await page.goto(shared.gallery);
  await page.getByRole('heading', { name: 'Anna & Ben' }).waitFor();
  await page.getByText(/Photos available for 29 days/).waitFor();

  await page.getByLabel('Access code').fill('AAAA-BBBB-CCCC');
  await page.getByRole('button', { name: 'View photos' }).click();
  await page.getByRole('alert').getByText('That code does not open this gallery').waitFor();

  await page.getByLabel('Access code').fill(` ${shared.code.toLowerCase().replaceAll('-', ' ')} `);
  await page.getByRole('button', { name: 'View photos' }).click();
  await page.getByText('3 photos').waitFor();
  const names = await page.locator('.viewer-cell button.open').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label')));
  assert.deepEqual([...names].sort(), photos.slice(0, 3).map((p) => `Open ${basename(p)}`).sort());
  await page.getByText(/Photos available for 29 days/).waitFor();

  await page.getByRole('button', { name: names[0] }).click();
  const viewer = page.getByRole('dialog', { name: 'Photo viewer' });
  await viewer.getByText('(1 of 3)').waitFor();
  await page.keyboard.press('ArrowRight');
  await viewer.getByText('(2 of 3)').waitFor();
  await page.keyboard.press('ArrowRight');
  await viewer.getByText('(3 of 3)').waitFor();
  await page.keyboard.press('ArrowLeft');
  await viewer.getByText('(2 of 3)').waitFor();
  await viewer.locator('img').evaluate((img) => img.decode());
  const shown = (await viewer.locator('.lightbox-caption').textContent()).replace(/ \(2 of 3\)$/, '');
  const [download] = await Promise.all([page.waitForEvent('download'), viewer.getByRole('button', { name: 'Download' }).click()]);
  assert.equal(download.suggestedFilename(), shown, 'saved under the original file name');
  const original = photos.find((p) => basename(p) === shown);
  assert.ok(readFileSync(await download.path()).equals(readFileSync(original)), 'the original bytes');
  await page.keyboard.press('Escape');

  for (const name of names) await page.getByRole('checkbox', { name: name.replace('Open', 'Select') }).check();
  const [zip] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByRole('button', { name: 'Download selected' }).click()]);
  assert.equal(zip.suggestedFilename(), 'Anna & Ben.zip');
  const dir = mkdtempSync(join(tmpdir(), 'picpass-zip-'));
  execFileSync('unzip', ['-q', await zip.path(), '-d', dir]);
  assert.deepEqual(readdirSync(dir).sort(), photos.slice(0, 3).map((p) => basename(p)).sort());
  for (const name of readdirSync(dir)) {
    assert.ok(readFileSync(join(dir, name)).equals(readFileSync(join('/usr/share/backgrounds', name))), `${name} byte-equal`);
  }
  await page.getByText('Your zip is ready').waitFor();
  check();
  await context.close();
});
