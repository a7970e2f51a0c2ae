// @ts-check
/**
 * The Photos tab: add photos (picker → upload tray), the virtualised grid with live
 * processing status, sort order, and actions on the selection (new code, cover, delete).
 */
import { confirmAction } from '../components/confirm.js';
import { mountPicker } from '../components/picker.js';
import { createPhotoCell, renderPhotoCell } from '../components/photo-cell.js';
import { createVirtualGrid, pageSize } from '../components/virtual-grid.js';
import { path } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { announce, showError } from '../lib/notice.js';
import { navigate } from '../router.js';
import { selectionOf } from './selection.js';

/** @typedef {import('../app.js').AppContext} AppContext */
/** @typedef {import('./event.js').EventPage} EventPage */
/** @typedef {import('../components/photo-cell.js').Photo} Photo */

const POLL_MS = 1500;

/**
 * @param {AppContext} app
 * @param {EventPage} page
 */
export function showPhotos(app, page) {
  const eventId = page.event.event_id;
  const selected = selectionOf(eventId);
  const picker = h('section', { class: 'card', 'aria-labelledby': 'add-title' }, h('h2', { id: 'add-title' }, 'Add photos'));
  const pickerBody = h('div');
  picker.appendChild(pickerBody);
  mountPicker(pickerBody, (files) => app.uploader.add(eventId, files));

  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const sort = h('select', { 'aria-label': 'Sort photos by' },
    h('option', { value: 'uploaded' }, 'Upload time'),
    h('option', { value: 'taken' }, 'Capture time'));
  const selectionText = h('span', {});
  const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Selected photos' },
    selectionText,
    h('button', { type: 'button', onclick: () => navigate(`/events/${eventId}/codes`) }, 'Create code for selection'),
    h('button', { type: 'button', class: 'secondary', onclick: setCover }, 'Use as cover'),
    h('button', { type: 'button', class: 'danger', onclick: deleteSelected }, 'Delete selected'),
    h('button', { type: 'button', class: 'link', onclick: clearSelection }, 'Clear selection'),
  );
  const list = h('ul', { class: 'grid', 'aria-label': 'Photos' });
  replace(page.body,
    picker,
    h('section', { 'aria-labelledby': 'photos-title' },
      h('div', { class: 'row spread' }, h('h2', { id: 'photos-title' }, 'Photos'), h('label', { class: 'inline' }, 'Sort by ', sort)),
      count,
      toolbar,
      list),
  );

  /** @param {string} id @param {boolean} on */
  const onSelect = (id, on) => {
    if (on) selected.add(id);
    else selected.delete(id);
    updateToolbar();
  };
  /** @param {Photo} photo */
  const onRetry = async (photo) => {
    try {
      grid.upsert([await app.api.post(path`/api/events/${eventId}/photos/${photo.photo_id}/retry`)]);
      announce(`${photo.filename} queued again.`);
    } catch (e) {
      showError(e, `Could not retry ${photo.filename}`);
    }
  };
  const grid = createVirtualGrid({
    list,
    key: (/** @type {Photo} */ p) => p.photo_id,
    loadPage: (cursor) => app.api.get(`/api/events/${encodeURIComponent(eventId)}/photos?limit=${pageSize(cursor)}&sort=${sort.value}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
    createCell: createPhotoCell,
    renderCell: (cell, photo) => renderPhotoCell(cell, photo, { selected: selected.has(photo.photo_id), onSelect, onRetry }),
    onError: (e) => showError(e, 'Could not load the photos'),
    onCount: (n, complete) => {
      count.textContent = `${n}${complete ? '' : '+'} photo${n === 1 ? '' : 's'}`;
    },
  });
  sort.addEventListener('change', () => grid.reset());
  grid.reset();

  function updateToolbar() {
    toolbar.hidden = selected.size === 0;
    selectionText.textContent = `${selected.size} selected`;
  }
  updateToolbar();

  function clearSelection() {
    selected.clear();
    updateToolbar();
    grid.refresh();
  }

  async function setCover() {
    const [first] = selected;
    try {
      page.updated(await app.api.patch(path`/api/events/${eventId}`, { cover_photo_id: first }));
      announce('Cover photo set: guests see it before entering their code.');
    } catch (e) {
      showError(e, 'Could not set the cover');
    }
  }

  async function deleteSelected() {
    const ids = [...selected];
    if (!(await confirmAction(`Delete ${ids.length} photo${ids.length === 1 ? '' : 's'}? Guests lose them too. This cannot be undone.`, 'Delete photos'))) return;
    const deleted = [];
    for (const id of ids) {
      try {
        await app.api.del(path`/api/events/${eventId}/photos/${id}`);
        deleted.push(id);
        selected.delete(id);
      } catch (e) {
        showError(e, 'Could not delete a photo');
        break;
      }
    }
    grid.remove(deleted);
    updateToolbar();
    announce(`${deleted.length} photo${deleted.length === 1 ? '' : 's'} deleted.`);
  }

  // New uploads join the grid as pending photos; the poller follows them until ready.
  /** @param {Event} event */
  const onUploaded = (event) => {
    const { eventId: uploadedTo, photoId, name } = /** @type {CustomEvent} */ (event).detail;
    if (uploadedTo !== eventId) return;
    grid.upsert([{ photo_id: photoId, filename: name, status: 'pending', thumb_url: null, error: null }]);
  };
  app.uploader.addEventListener('uploaded', onUploaded);

  let polling = false;
  const poll = async () => {
    if (!list.isConnected) {
      clearInterval(timer);
      app.uploader.removeEventListener('uploaded', onUploaded);
      grid.destroy();
      return;
    }
    const waiting = grid.items().filter((p) => p.status === 'pending' || p.status === 'processing');
    if (polling || waiting.length === 0) return;
    polling = true;
    try {
      const [pending, processing] = await Promise.all(['pending', 'processing'].map((status) =>
        app.api.get(`/api/events/${encodeURIComponent(eventId)}/photos?status=${status}&limit=200`)));
      const still = new Map([...pending.items, ...processing.items].map((p) => [p.photo_id, p]));
      const changed = [...still.values()].filter((p) => waiting.some((w) => w.photo_id === p.photo_id && w.status !== p.status));
      const moved = waiting.filter((p) => !still.has(p.photo_id)).slice(0, 40);
      const fresh = await Promise.all(moved.map((p) => app.api.get(path`/api/events/${eventId}/photos/${p.photo_id}`).catch(() => null)));
      grid.upsert([...changed, ...fresh.filter(Boolean)]);
    } catch (e) {
      showError(e, 'Could not refresh the processing status');
    } finally {
      polling = false;
    }
  };
  const timer = setInterval(() => void poll(), POLL_MS);
}
