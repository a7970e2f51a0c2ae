// @ts-check
/**
 * The full-screen viewer: web-size image, previous/next by buttons, arrow keys or a swipe,
 * download of the original, Escape or the close button to return to the grid.
 */
import { h, replace } from '../lib/dom.js';

/** @typedef {{photo_id: string, filename: string, width: number, height: number, thumb_url: string, web_url: string}} ViewerPhoto */

/**
 * @param {{photos: () => readonly ViewerPhoto[], onDownload: (photo: ViewerPhoto) => void, onClose: (index: number) => void}} options
 * @returns {{open: (index: number) => void}}
 */
export function createLightbox({ photos, onDownload, onClose }) {
  let index = 0;
  const image = h('img', { class: 'lightbox-image', alt: '' });
  const caption = h('p', { class: 'lightbox-caption', 'aria-live': 'polite' });
  const previous = h('button', { type: 'button', class: 'lightbox-nav prev', 'aria-label': 'Previous photo', onclick: () => go(-1) }, '‹');
  const next = h('button', { type: 'button', class: 'lightbox-nav next', 'aria-label': 'Next photo', onclick: () => go(1) }, '›');
  const download = h('button', { type: 'button', class: 'secondary small', onclick: () => onDownload(photos()[index]) }, 'Download');
  const close = h('button', { type: 'button', class: 'small', onclick: () => dialog.close() }, 'Close');
  const dialog = h('dialog', { class: 'lightbox', 'aria-label': 'Photo viewer' },
    h('div', { class: 'lightbox-bar' }, caption, download, close),
    h('div', { class: 'lightbox-stage' }, image, previous, next),
  );
  document.body.appendChild(dialog);
  dialog.addEventListener('close', () => onClose(index));
  dialog.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowRight') go(1);
    else if (event.key === 'ArrowLeft') go(-1);
    else return;
    event.preventDefault();
  });
  let startX = 0;
  let startY = 0;
  dialog.addEventListener('pointerdown', (event) => {
    startX = event.clientX;
    startY = event.clientY;
  });
  dialog.addEventListener('pointerup', (event) => {
    const dx = event.clientX - startX;
    if (Math.abs(dx) > 50 && Math.abs(dx) > Math.abs(event.clientY - startY)) go(dx < 0 ? 1 : -1);
  });

  /** @param {number} step */
  function go(step) {
    const all = photos();
    const target = index + step;
    if (target < 0 || target >= all.length) return;
    show(target);
  }

  /** @param {number} at */
  function show(at) {
    const all = photos();
    index = at;
    const photo = all[at];
    image.src = photo.web_url;
    image.alt = photo.filename;
    image.width = photo.width;
    image.height = photo.height;
    replace(caption, `${photo.filename} (${at + 1} of ${all.length})`);
    previous.disabled = at === 0;
    next.disabled = at === all.length - 1;
    const after = all[at + 1];
    if (after) new Image().src = after.web_url;
  }

  return {
    open(at) {
      show(at);
      if (!dialog.open) dialog.showModal();
      close.focus();
    },
  };
}
