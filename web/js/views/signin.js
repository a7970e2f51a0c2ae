// @ts-check
/** Sign in and create an account (local accounts), or the hosted sign-in button (Cognito). */
import { logIn, signUp } from '../auth/local.js';
import { saveSession, startHostedSignIn } from '../auth/auth.js';
import { h, replace } from '../lib/dom.js';

/** @typedef {import('../app.js').AppContext} AppContext */

/**
 * @param {AppContext} app
 * @param {'signin' | 'signup'} mode
 */
export function showSignIn(app, mode) {
  document.title = mode === 'signup' ? 'Create an account · PicPass' : 'Sign in · PicPass';
  if (app.config.auth.mode === 'cognito') {
    const auth = app.config.auth;
    replace(app.main,
      h('h1', {}, 'Sign in to PicPass'),
      h('p', {}, 'Deliver your event photos to your guests.'),
      h('button', { type: 'button', onclick: () => void startHostedSignIn(auth) }, 'Sign in'),
    );
    return;
  }
  const error = h('p', { class: 'form-error', role: 'alert' });
  const field = (/** @type {string} */ label, /** @type {Record<string, unknown>} */ attrs) =>
    h('label', { class: 'field' }, h('span', {}, label), h('input', { required: true, ...attrs }));
  const form = mode === 'signup'
    ? h('form', { class: 'card stack', 'aria-labelledby': 'auth-title' },
      field('Username', { name: 'username', autocomplete: 'username', pattern: '[A-Za-z][A-Za-z0-9_\\-]{2,31}', title: '3–32 letters, digits, _ or -, starting with a letter' }),
      field('E-mail', { name: 'email', type: 'email', autocomplete: 'email' }),
      field('Password', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: 8 }),
      error,
      h('button', { type: 'submit' }, 'Create account'),
      h('p', {}, 'Have an account? ', h('a', { href: '#/' }, 'Sign in')))
    : h('form', { class: 'card stack', 'aria-labelledby': 'auth-title' },
      field('Username or e-mail', { name: 'login', autocomplete: 'username' }),
      field('Password', { name: 'password', type: 'password', autocomplete: 'current-password' }),
      error,
      h('button', { type: 'submit' }, 'Sign in'),
      h('p', {}, 'New to PicPass? ', h('a', { href: '#/signup' }, 'Create an account')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const value = (/** @type {string} */ name) => String(data.get(name) ?? '');
    const button = /** @type {HTMLButtonElement} */ (form.querySelector('button[type=submit]'));
    button.disabled = true;
    error.textContent = '';
    try {
      const session = mode === 'signup'
        ? await signUp(app.api, { username: value('username'), email: value('email'), password: value('password') })
        : await logIn(app.api, value('login'), value('password'));
      saveSession(session);
      app.signedIn();
    } catch (e) {
      error.textContent = e instanceof Error ? e.message : String(e);
    } finally {
      button.disabled = false;
    }
  });
  replace(app.main,
    h('h1', { id: 'auth-title' }, mode === 'signup' ? 'Create an account' : 'Sign in'),
    h('p', {}, 'Deliver your event photos to your guests, each with their own access code.'),
    form,
  );
}
