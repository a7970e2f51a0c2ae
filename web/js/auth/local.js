// @ts-check
/** Local accounts of `picpass serve`: sign-up and sign-in forms' calls. */

/** @typedef {import('../lib/api.js').Api} Api */
/** @typedef {import('./session.js').Session} Session */

/**
 * @param {Api} api
 * @param {{username: string, email: string, password: string}} account
 * @returns {Promise<Session>}
 */
export async function signUp(api, account) {
  await api.post('/api/auth/signup', account);
  return logIn(api, account.username, account.password);
}

/**
 * @param {Api} api
 * @param {string} login username or e-mail
 * @param {string} password
 * @returns {Promise<Session>}
 */
export async function logIn(api, login, password) {
  const session = await api.post('/api/auth/login', { login, password });
  return { token: session.token, expires_at: session.expires_at };
}
