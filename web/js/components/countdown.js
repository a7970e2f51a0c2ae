// @ts-check
/** "Expires in 3 days 4 hours", kept current every minute while on the page. */
import { formatDate, timeLeft } from '../lib/format.js';

/**
 * @param {HTMLElement} el
 * @param {string} expiresAt RFC 3339
 * @param {(left: string | null) => string} [text]
 * @returns {() => void} stops it
 */
export function startCountdown(el, expiresAt, text = (left) => (left ? `Expires in ${left}` : 'Expired')) {
  const tick = () => {
    el.textContent = text(timeLeft(expiresAt));
    el.title = formatDate(expiresAt);
    if (!el.isConnected) clearInterval(timer);
  };
  const timer = setInterval(tick, 30_000);
  tick();
  return () => clearInterval(timer);
}
