// @ts-check
/**
 * The unlocked gallery: the granted photos in a virtualised grid, full-screen viewer,
 * download one (original name), select and download a zip, or download everything.
 */
import { createVirtualGrid, pageSize } from '../components/virtual-grid.js';
import { path } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { downloadArchive } from './archive.js';
import { createLightbox } from './lightbox.js';

/** @typedef {import('./lightbox.js').ViewerPhoto} ViewerPhoto */

/**
 * @param {HTMLElement} main
 * @param {import('../lib/api.js').Api} api the viewer's API (token attached)
 * @param {{username: string, slug: string, name: string}} gallery
 * @param {(error: unknown) => void} onFatal
 */
export function showPhotos(main, api, gallery, onFatal) {
  /** @type {Set<string>} */
  const selected = new Set();
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const selectedText = h('span', {}, 'Tick photos to download several at once.');
  const downloadSelected = h('button', { type: 'button', disabled: true, onclick: () => zip({ photo_ids: [...selected] }) }, 'Download selected');
  const downloadAll = h('button', { type: 'button', class: 'secondary', onclick: () => zip({ all: true }) }, 'Download all');
  const status = h('p', { class: 'archive-status', role: 'status', hidden: true });
  const list = h('ul', { class: 'grid', 'aria-label': 'Photos' });
  replace(main,
    h('h1', {}, gallery.name),
    count,
    h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Downloads' }, selectedText, downloadSelected, downloadAll),
    status,
    list,
  );
  document.title = `${gallery.name} · PicPass`;

  /** @param {ViewerPhoto} photo */
  async function downloadOne(photo) {
    try {
      const { url } = await api.get(path`/api/g/${gallery.username}/${gallery.slug}/photos/${photo.photo_id}/download`);
      location.assign(url);
    } catch (e) {
      onFatal(e);
    }
  }

  /** @param {{photo_ids: string[]} | {all: true}} selection */
  async function zip(selection) {
    downloadSelected.disabled = true;
    downloadAll.disabled = true;
    try {
      await downloadArchive(api, gallery, selection, status);
    } catch (e) {
      if (e instanceof Error && 'status' in e && (e.status === 410 || e.status === 401)) return onFatal(e);
      status.hidden = false;
      status.textContent = `The zip could not be made: ${e instanceof Error ? e.message : String(e)}`;
      status.classList.add('error');
    } finally {
      downloadSelected.disabled = selected.size === 0;
      downloadAll.disabled = false;
    }
  }

  const lightbox = createLightbox({
    photos: () => /** @type {readonly ViewerPhoto[]} */ (grid.items()),
    onDownload: (photo) => void downloadOne(photo),
    onClose: (index) => {
      const cell = list.querySelector(`[aria-posinset="${index + 1}"] .open`);
      if (cell instanceof HTMLElement) cell.focus();
    },
  });

  const grid = createVirtualGrid({
    list,
    key: (/** @type {ViewerPhoto} */ p) => p.photo_id,
    loadPage: (cursor) => api.get(`${path`/api/g/${gallery.username}/${gallery.slug}/photos`}?limit=${pageSize(cursor)}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
    createCell: (cell) => cell.classList.add('viewer-cell'),
    renderCell: (cell, /** @type {ViewerPhoto} */ photo, index) => {
      cell.dataset.photoId = photo.photo_id;
      replace(cell,
        h('button', { type: 'button', class: 'open', 'aria-label': `Open ${photo.filename}`, onclick: () => lightbox.open(index) },
          h('img', { src: photo.thumb_url, alt: '', loading: 'lazy', decoding: 'async' })),
        h('input', {
          type: 'checkbox', class: 'cell-check', checked: selected.has(photo.photo_id), 'aria-label': `Select ${photo.filename}`,
          onchange: (/** @type {Event} */ e) => {
            if (/** @type {HTMLInputElement} */ (e.target).checked) selected.add(photo.photo_id);
            else selected.delete(photo.photo_id);
            downloadSelected.disabled = selected.size === 0;
            selectedText.textContent = selected.size ? `${selected.size} selected` : 'Tick photos to download several at once.';
          },
        }),
      );
    },
    onError: onFatal,
    onCount: (n, complete) => {
      count.textContent = complete ? `${n} photo${n === 1 ? '' : 's'}` : `${n}+ photos`;
    },
  });
  grid.reset();
}
