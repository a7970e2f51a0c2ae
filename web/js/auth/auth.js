// @ts-check
/**
 * Sign-in behind one interface, whichever back-end `/config.json` names: local accounts
 * (forms in the app) or Cognito's hosted UI (a redirect, then `?code=&state=` back at `/`).
 */
import { authorizeUrl, challengeOf, exchangeCode, logoutUrl, newVerifier } from './cognito.js';
import { clearSession, currentSession, saveSession } from './session.js';

/** @typedef {import('../lib/config.js').AuthConfig} AuthConfig */

const PENDING = 'picpass.pkce';

/** Where Cognito sends the browser back: the app's root. */
function redirectUri() {
  return `${location.origin}/`;
}

/**
 * Starts the hosted UI sign-in (Cognito mode): stores the verifier and state, redirects.
 * @param {AuthConfig & {mode: 'cognito'}} config
 */
export async function startHostedSignIn(config) {
  const verifier = newVerifier();
  const state = newVerifier();
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  location.assign(authorizeUrl(config, { redirectUri: redirectUri(), state, challenge: await challengeOf(verifier) }));
}

/**
 * Finishes a hosted UI sign-in if the URL carries its answer; true when a session was made.
 * @param {AuthConfig} config
 */
export async function finishHostedSignIn(config) {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (config.mode !== 'cognito' || (!code && !params.get('error'))) return false;
  history.replaceState(null, '', '/');
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null');
  sessionStorage.removeItem(PENDING);
  if (params.get('error')) throw new Error(`Sign-in failed: ${params.get('error_description') ?? params.get('error')}.`);
  if (!code || !pending || pending.state !== params.get('state')) {
    throw new Error('Sign-in could not be completed (it was started in another tab or expired). Please sign in again.');
  }
  saveSession(await exchangeCode(config, { code, verifier: pending.verifier, redirectUri: redirectUri() }));
  return true;
}

/** @param {AuthConfig} config */
export function signOut(config) {
  clearSession();
  if (config.mode === 'cognito') location.assign(logoutUrl(config, redirectUri()));
}

export { currentSession, saveSession };
