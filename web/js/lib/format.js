// @ts-check
/** Human-readable sizes, dates and time left. */

/** @param {number} bytes */
export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** @param {string | number | Date} when */
export function formatDate(when) {
  return new Date(when).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * Time left until `expires`, in the two largest units: "3 days 4 hours", "5 minutes".
 * @param {string | number | Date} expires
 * @param {number} [now]
 */
export function timeLeft(expires, now = Date.now()) {
  const seconds = Math.floor((new Date(expires).getTime() - now) / 1000);
  if (seconds <= 0) return null;
  const parts = [
    [Math.floor(seconds / 86400), 'day'],
    [Math.floor((seconds % 86400) / 3600), 'hour'],
    [Math.floor((seconds % 3600) / 60), 'minute'],
  ];
  const first = parts.findIndex(([n]) => Number(n) > 0);
  if (first === -1) return 'less than a minute';
  return parts
    .slice(first, first + 2)
    .filter(([n]) => Number(n) > 0)
    .map(([n, unit]) => `${n} ${unit}${n === 1 ? '' : 's'}`)
    .join(' ');
}
