// @ts-check
/**
 * Cognito's hosted UI with PKCE (RFC 7636): the authorize URL, and the code exchanged for
 * tokens at `/oauth2/token`. The ID token is the bearer: it carries `email` and
 * `cognito:username`, which the API reads. Pure functions over `crypto` and `fetch`, so
 * Node runs their tests.
 */

/** @typedef {{domain: string, client_id: string, scopes?: string[]}} CognitoConfig */

/** @param {Uint8Array} bytes */
function base64url(bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A code verifier: 32 random bytes, base64url (43 characters, within RFC 7636's 43–128). */
export function newVerifier() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * The S256 challenge of a verifier.
 * @param {string} verifier
 */
export async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** @param {string} domain e.g. `auth.example.com` or `https://x.auth.eu-west-1.amazoncognito.com` */
function origin(domain) {
  return domain.startsWith('https://') ? domain.replace(/\/+$/, '') : `https://${domain.replace(/\/+$/, '')}`;
}

/**
 * The hosted UI's authorize URL.
 * @param {CognitoConfig} config
 * @param {{redirectUri: string, state: string, challenge: string}} request
 */
export function authorizeUrl(config, { redirectUri, state, challenge }) {
  const url = new URL('/oauth2/authorize', origin(config.domain));
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', config.client_id);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('scope', (config.scopes ?? ['openid', 'email', 'profile']).join(' '));
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('code_challenge', challenge);
  return url.toString();
}

/**
 * Trades the authorization code for tokens; the session is the ID token.
 * @param {CognitoConfig} config
 * @param {{code: string, verifier: string, redirectUri: string}} grant
 * @param {typeof fetch} [fetchImpl]
 * @param {number} [now] milliseconds, for the expiry
 * @returns {Promise<{token: string, expires_at: string}>}
 */
export async function exchangeCode(config, { code, verifier, redirectUri }, fetchImpl = fetch, now = Date.now()) {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: config.client_id,
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
  let response;
  try {
    response = await fetchImpl(`${origin(config.domain)}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    });
  } catch {
    throw new Error('Could not reach the sign-in service. Check your connection and try again.');
  }
  const json = await response.json().catch(() => null);
  if (!response.ok || typeof json?.id_token !== 'string') {
    const reason = json?.error_description ?? json?.error ?? `status ${response.status}`;
    throw new Error(`Sign-in failed (${reason}). Please sign in again.`);
  }
  const seconds = Number(json.expires_in) > 0 ? Number(json.expires_in) : 3600;
  return { token: json.id_token, expires_at: new Date(now + seconds * 1000).toISOString() };
}

/**
 * The hosted UI's sign-out URL (ends Cognito's own session too).
 * @param {CognitoConfig} config
 * @param {string} logoutUri
 */
export function logoutUrl(config, logoutUri) {
  const url = new URL('/logout', origin(config.domain));
  url.searchParams.set('client_id', config.client_id);
  url.searchParams.set('logout_uri', logoutUri);
  return url.toString();
}
