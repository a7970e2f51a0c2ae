// @ts-check
/** The app's runtime configuration, `/config.json`: changed per deployment without a build. */

/**
 * @typedef {{mode: 'local'} | {mode: 'cognito', domain: string, client_id: string, scopes?: string[]}} AuthConfig
 * @typedef {{api_base: string, auth: AuthConfig}} Config
 */

/** @type {Promise<Config> | null} */
let loading = null;

/** @returns {Promise<Config>} */
export function loadConfig() {
  loading ??= fetch('/config.json', { cache: 'no-cache' }).then(async (response) => {
    if (!response.ok) throw new Error(`The app's configuration (/config.json) is missing (${response.status}).`);
    const config = await response.json();
    if (typeof config?.api_base !== 'string' || !['local', 'cognito'].includes(config?.auth?.mode)) {
      throw new Error("The app's configuration (/config.json) is not valid.");
    }
    return /** @type {Config} */ (config);
  });
  return loading;
}
