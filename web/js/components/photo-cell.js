// @ts-check
/**
 * A photo in the photographer's grid: thumbnail (once ready), selection checkbox, and its
 * processing status — waiting, processing, or failed with the reason and a retry button.
 */
import { h, replace } from '../lib/dom.js';

/** @typedef {{photo_id: string, filename: string, status: string, thumb_url: string | null, error: {message: string} | null}} Photo */

/** @type {Record<string, string>} */
const STATUS = { pending: 'Waiting for processing', processing: 'Processing…', failed: 'Failed' };

/** @param {HTMLLIElement} cell */
export function createPhotoCell(cell) {
  cell.classList.add('photo-cell');
}

/**
 * @param {HTMLLIElement} cell
 * @param {Photo} photo
 * @param {{selected: boolean, onSelect: (id: string, on: boolean) => void, onRetry: (photo: Photo) => void}} options
 */
export function renderPhotoCell(cell, photo, { selected, onSelect, onRetry }) {
  cell.dataset.photoId = photo.photo_id;
  cell.dataset.status = photo.status;
  const box = h('input', {
    type: 'checkbox',
    class: 'cell-check',
    checked: selected,
    'aria-label': `Select ${photo.filename}`,
    onchange: (/** @type {Event} */ e) => onSelect(photo.photo_id, /** @type {HTMLInputElement} */ (e.target).checked),
  });
  const picture = photo.status === 'ready' && photo.thumb_url
    ? h('img', { src: photo.thumb_url, alt: photo.filename, loading: 'lazy', decoding: 'async' })
    : h('span', { class: 'cell-name' }, photo.filename);
  const status = photo.status === 'ready'
    ? null
    : h('span', { class: `badge ${photo.status}`, role: photo.status === 'failed' ? 'note' : null },
      STATUS[photo.status] ?? photo.status,
      photo.status === 'failed' && photo.error ? `: ${photo.error.message}` : '');
  const retry = photo.status === 'failed'
    ? h('button', { type: 'button', class: 'small', onclick: () => onRetry(photo) }, 'Retry', h('span', { class: 'visually-hidden' }, ` ${photo.filename}`))
    : null;
  replace(cell, picture, box, status, retry);
}
