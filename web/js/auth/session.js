// @ts-check
/** The photographer's session: the bearer token and when it ends, kept in localStorage. */

const KEY = 'picpass.session';

/** @typedef {{token: string, expires_at: string}} Session */

/** @returns {Session | null} the session, unless missing or expired */
export function currentSession() {
  try {
    const session = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    if (session && typeof session.token === 'string' && Date.parse(session.expires_at) > Date.now()) {
      return session;
    }
  } catch {
    // A damaged entry is as good as none.
  }
  return null;
}

/** @param {Session} session */
export function saveSession(session) {
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession() {
  localStorage.removeItem(KEY);
}
