// @ts-check
/** Messages for the user: one live region for news, one alert region for errors. */

/**
 * Announces a short status ("Link copied").
 * @param {string} message
 */
export function announce(message) {
  const region = document.getElementById('status');
  if (!region) return;
  region.textContent = '';
  region.classList.remove('error');
  region.textContent = message;
  scheduleHide(region);
}

/**
 * Shows an error as a sentence; never silent, and logged for developers as a warning.
 * @param {unknown} error
 * @param {string} [doing] what failed, e.g. "Could not rename the event"
 */
export function showError(error, doing) {
  const message = error instanceof Error ? error.message : String(error);
  const region = document.getElementById('status');
  console.warn(doing ?? 'error', error);
  if (!region) return;
  region.classList.add('error');
  region.textContent = doing ? `${doing}: ${message}` : message;
  scheduleHide(region, 8000);
}

/** @type {number | undefined} */
let timer;
/** @param {HTMLElement} region @param {number} [ms] */
function scheduleHide(region, ms = 4000) {
  clearTimeout(timer);
  region.hidden = false;
  timer = window.setTimeout(() => {
    region.hidden = true;
    region.textContent = '';
  }, ms);
}
