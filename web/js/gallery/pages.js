// @ts-check
/**
 * The guest's clear pages for what went wrong: a wrong code (on the code form), a lockout
 * with the minutes left, a revoked or expired code, an expired gallery, a missing one.
 */
import { ApiError } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';

/**
 * A sentence for an unlock failure shown under the code field, or null when the failure
 * needs a page of its own.
 * @param {unknown} error
 */
export function unlockMessage(error) {
  if (error instanceof ApiError && error.status === 401) {
    return 'That code does not open this gallery. Check it and try again (letters and digits; case, spaces and dashes do not matter).';
  }
  if (error instanceof ApiError && error.status === 422) return 'Enter the code you were given.';
  if (error instanceof ApiError && (error.status === 429 || error.status === 410 || error.status === 404)) return null;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Replaces the page with the explanation of an error that ends the visit (or most of it).
 * @param {HTMLElement} main
 * @param {unknown} error
 * @param {() => void} [tryAgain] offered where another code may work
 */
export function showProblem(main, error, tryAgain) {
  const again = tryAgain && h('button', { type: 'button', onclick: tryAgain }, 'Enter another code');
  if (error instanceof ApiError && error.status === 429) {
    const minutes = Math.max(1, Math.ceil((error.retryAfter ?? 900) / 60));
    document.title = 'Too many tries · PicPass';
    replace(main, h('h1', {}, 'Too many wrong codes'),
      h('p', { role: 'alert' }, `For your safety this gallery is locked for this device. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`));
    return;
  }
  if (error instanceof ApiError && error.status === 410 && error.code === 'code_revoked') {
    document.title = 'Code revoked · PicPass';
    replace(main, h('h1', {}, 'This code no longer works'),
      h('p', { role: 'alert' }, 'The photographer has revoked this access code. Ask them for a new one.'), again);
    return;
  }
  if (error instanceof ApiError && error.status === 410 && error.code === 'code_expired') {
    document.title = 'Code expired · PicPass';
    replace(main, h('h1', {}, 'This code has expired'),
      h('p', { role: 'alert' }, 'The access code you used has reached its end date. Ask the photographer for a new one.'), again);
    return;
  }
  if (error instanceof ApiError && error.status === 410) {
    document.title = 'Gallery expired · PicPass';
    replace(main, h('h1', {}, 'This gallery has expired'),
      h('p', { role: 'alert' }, 'The photos of this event have been deleted, as planned by the photographer. ', error.message));
    return;
  }
  if (error instanceof ApiError && error.status === 404) {
    document.title = 'Not found · PicPass';
    replace(main, h('h1', {}, 'Gallery not found'), h('p', { role: 'alert' }, 'Check the link you were given.'));
    return;
  }
  document.title = 'Problem · PicPass';
  replace(main, h('h1', {}, 'Something went wrong'),
    h('p', { role: 'alert' }, error instanceof Error ? error.message : String(error)),
    h('button', { type: 'button', onclick: () => location.reload() }, 'Reload'));
}
