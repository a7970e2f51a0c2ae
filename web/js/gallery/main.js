// @ts-check
/**
 * The guest gallery at `/e/{username}/{slug}`: landing (name, cover, countdown), code
 * entry, then the photos. The viewer token lives in sessionStorage for this tab; a code
 * in the link's fragment (`#code=…`, never sent to a server) is tried at once.
 */
import { startCountdown } from '../components/countdown.js';
import { ApiError, createApi, path } from '../lib/api.js';
import { loadConfig } from '../lib/config.js';
import { byId, h, replace } from '../lib/dom.js';
import { showProblem, unlockMessage } from './pages.js';
import { showPhotos } from './photos.js';

async function start() {
  const main = byId('main');
  const [, , username, slug] = location.pathname.split('/').map(decodeURIComponent);
  const gallery = { username, slug, name: '' };
  const key = `picpass.viewer:${username}/${slug}`;
  const config = await loadConfig();
  const api = createApi(config.api_base, () => sessionStorage.getItem(key));

  /** Ends the visit on errors that need a page of their own (the token is dropped). @param {unknown} error */
  const fatal = (error) => {
    if (error instanceof ApiError && [401, 410].includes(error.status)) sessionStorage.removeItem(key);
    showProblem(main, error, error instanceof ApiError && error.status === 410 && error.code.startsWith('code_') ? showLanding : undefined);
  };

  /** @type {{name: string, expires_at: string, cover_thumb_url?: string}} */
  let landing;
  try {
    landing = await api.get(path`/api/g/${username}/${slug}`);
  } catch (e) {
    return fatal(e);
  }
  gallery.name = landing.name;
  const countdown = byId('countdown');
  startCountdown(countdown, landing.expires_at, (left) => (left ? `Photos available for ${left}` : 'This gallery has expired'));
  countdown.hidden = false;

  function showLanding() {
    sessionStorage.removeItem(key);
    document.title = `${landing.name} · PicPass`;
    const input = h('input', { name: 'code', id: 'code', required: true, autocomplete: 'off', autocapitalize: 'characters', spellcheck: false, inputmode: 'text', 'aria-describedby': 'code-help' });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'card stack unlock' },
      h('label', { class: 'field', for: 'code' }, h('span', {}, 'Access code')),
      input,
      h('p', { id: 'code-help', class: 'muted' }, 'The code from your invitation, e.g. ABCD-EFGH-JKMN.'),
      error,
      h('button', { type: 'submit' }, 'View photos'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void unlock(input.value, error);
    });
    replace(main,
      landing.cover_thumb_url && h('img', { class: 'cover', src: landing.cover_thumb_url, alt: `Cover photo of ${landing.name}`, fetchpriority: 'high' }),
      h('h1', {}, landing.name),
      h('p', {}, 'Enter your access code to see your photos.'),
      form);
    return { input, error };
  }

  /** @param {string} code @param {HTMLElement} error */
  async function unlock(code, error) {
    error.textContent = '';
    try {
      const session = await api.post(path`/api/g/${username}/${slug}/unlock`, { code: code.trim() });
      sessionStorage.setItem(key, session.token);
      showPhotos(main, api, gallery, fatal);
    } catch (e) {
      const message = unlockMessage(e);
      if (message) error.textContent = message;
      else fatal(e);
    }
  }

  const fromLink = /(?:^|&)code=([^&]+)/.exec(location.hash.slice(1))?.[1];
  if (fromLink) {
    history.replaceState(null, '', location.pathname);
    const { input, error } = showLanding();
    input.value = decodeURIComponent(fromLink);
    await unlock(input.value, error);
  } else if (sessionStorage.getItem(key)) {
    showPhotos(main, api, gallery, fatal);
  } else {
    showLanding();
  }
}

start().catch((e) => showProblem(byId('main'), e));
