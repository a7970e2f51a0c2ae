// @ts-check
/**
 * The photographer app: reads `/config.json`, signs in (local or Cognito), routes between
 * events list and event pages while the upload tray keeps working underneath.
 */
import { currentSession, finishHostedSignIn, signOut } from './auth/auth.js';
import { mountTray } from './components/tray.js';
import { createApi } from './lib/api.js';
import { loadConfig } from './lib/config.js';
import { byId, h, replace } from './lib/dom.js';
import { showError } from './lib/notice.js';
import { navigate, startRouter } from './router.js';
import { Uploader } from './upload/uploader.js';
import { showEvent } from './views/event.js';
import { showEvents } from './views/events.js';
import { showSignIn } from './views/signin.js';

/**
 * @typedef {object} AppContext
 * @property {import('./lib/config.js').Config} config
 * @property {import('./lib/api.js').Api} api
 * @property {Uploader} uploader
 * @property {HTMLElement} main
 * @property {() => Promise<{username: string, email: string}>} me
 * @property {() => void} signedIn
 */

async function start() {
  const main = byId('main');
  const config = await loadConfig();
  try {
    await finishHostedSignIn(config.auth);
  } catch (e) {
    showError(e);
  }
  const api = createApi(config.api_base, () => currentSession()?.token ?? null, () => {
    signOut({ mode: 'local' });
    navigate('/');
  });
  const uploader = new Uploader(api);
  mountTray(byId('tray'), uploader);
  /** @type {Promise<any> | null} */
  let profile = null;
  /** @type {AppContext} */
  const app = {
    config,
    api,
    uploader,
    main,
    me: () => (profile ??= api.get('/api/me').catch((e) => {
      profile = null;
      throw e;
    })),
    signedIn: () => {
      profile = null;
      void uploader.restore();
      navigate('/');
    },
  };
  const account = byId('account');
  const renderAccount = async () => {
    if (!currentSession()) return replace(account);
    try {
      const me = await app.me();
      replace(account,
        h('span', { class: 'muted' }, me.username),
        h('button', { type: 'button', class: 'link', onclick: () => { signOut(config.auth); profile = null; navigate('/'); } }, 'Sign out'));
    } catch (e) {
      showError(e, 'Could not load your profile');
    }
  };
  /** @param {() => unknown} show */
  const guarded = (show) => {
    void renderAccount();
    if (!currentSession()) return showSignIn(app, 'signin');
    return Promise.resolve(show()).catch((e) => {
      replace(main, h('h1', {}, 'Something went wrong'), h('p', { role: 'alert' }, e instanceof Error ? e.message : String(e)), h('p', {}, h('a', { href: '#/' }, 'Back to your events')));
    });
  };
  const focusMain = () => main.focus({ preventScroll: true });
  startRouter([
    { pattern: /^\/$/, show: () => guarded(() => showEvents(app)) },
    { pattern: /^\/signup$/, show: () => (currentSession() ? navigate('/') : showSignIn(app, 'signup')) },
    { pattern: /^\/events\/([0-9A-Z]{26})(?:\/(codes|settings))?$/, show: ([id, tab]) => { window.scrollTo(0, 0); return guarded(() => showEvent(app, id, /** @type {any} */ (tab || 'photos'))); } },
  ], () => replace(main, h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '#/' }, 'Back to your events'))));
  window.addEventListener('hashchange', () => focusMain());
  if (currentSession()) void uploader.restore();
}

start().catch((e) => {
  const main = document.getElementById('main');
  if (main) replace(main, h('h1', {}, 'PicPass could not start'), h('p', { role: 'alert' }, e instanceof Error ? e.message : String(e)));
});
