// One Chromium per test file (Debian's, never a downloaded one), pages that fail the test
// on any page error or console error.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/**
 * A context and page that record page errors and console errors; `check()` throws if any.
 * @param {import('playwright-core').Browser} browser
 * @param {import('playwright-core').BrowserContextOptions} [options]
 * @param {{allowConsole?: RegExp[]}} [rules] console errors that a test causes on purpose
 */
export async function openPage(browser, options = PHONE, rules = {}) {
  const context = await browser.newContext({ acceptDownloads: true, ...options });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = `${message.text()} ${message.location()?.url ?? ''}`;
    if (!(rules.allowConsole ?? []).some((re) => re.test(text))) problems.push(`console error: ${text}`);
  });
  return {
    context,
    page,
    problems,
    check() {
      if (problems.length) throw new Error(`the page reported errors:\n${problems.join('\n')}`);
    },
  };
}
