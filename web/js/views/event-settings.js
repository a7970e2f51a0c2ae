// @ts-check
/**
 * The Settings tab: rename, change the expiry, the watermark — text, or a PNG logo uploaded
 * here — (saved as it is changed, with a preview rendered by the server from one photo),
 * and deleting the event.
 */
import { confirmAction } from '../components/confirm.js';
import { uploadLogo } from '../components/logo-upload.js';
import { path } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { announce, showError } from '../lib/notice.js';
import { navigate } from '../router.js';

/** @typedef {import('../app.js').AppContext} AppContext */
/** @typedef {import('./event.js').EventPage} EventPage */

const POSITIONS = ['north-west', 'north', 'north-east', 'west', 'center', 'east', 'south-west', 'south', 'south-east'];

/**
 * @param {AppContext} app
 * @param {EventPage} page
 */
export function showSettings(app, page) {
  const event = page.event;
  const eventId = event.event_id;
  const patch = async (/** @type {object} */ change, /** @type {string} */ done) => {
    try {
      page.updated(await app.api.patch(path`/api/events/${eventId}`, change));
      if (done) announce(done);
      return true;
    } catch (e) {
      showError(e, 'Could not save');
      return false;
    }
  };

  const rename = h('form', { class: 'card stack', 'aria-labelledby': 'rename-title' },
    h('h2', { id: 'rename-title' }, 'Name'),
    h('label', { class: 'field' }, h('span', {}, 'Event name'), h('input', { name: 'name', required: true, maxlength: 120, value: event.name })),
    h('button', { type: 'submit' }, 'Rename'));
  rename.addEventListener('submit', (e) => {
    e.preventDefault();
    void patch({ name: String(new FormData(rename).get('name')).trim() }, 'Event renamed.');
  });

  const expiry = h('form', { class: 'card stack', 'aria-labelledby': 'expiry-title' },
    h('h2', { id: 'expiry-title' }, 'Expiry'),
    h('p', { class: 'muted' }, 'When the event expires, every photo and code is deleted.'),
    h('label', { class: 'field' }, h('span', {}, 'Expires on'), h('input', { name: 'expires', type: 'datetime-local', required: true, value: localInput(event.expires_at) })),
    h('button', { type: 'submit' }, 'Change expiry'));
  expiry.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = String(new FormData(expiry).get('expires'));
    void patch({ expires_at: new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z') }, 'Expiry changed.');
  });

  const wm = event.watermark;
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: Boolean(wm) });
  const kindText = h('input', { type: 'radio', name: 'kind', value: 'text', checked: wm?.kind !== 'image' });
  const kindImage = h('input', { type: 'radio', name: 'kind', value: 'image', checked: wm?.kind === 'image' });
  const text = h('input', { name: 'text', maxlength: 200, value: wm?.text ?? '© ' });
  const textField = h('label', { class: 'field' }, h('span', {}, 'Watermark text'), text);
  /** @type {string | null} the logo's photo id */
  let logoId = wm?.kind === 'image' ? wm.image_photo_id ?? null : null;
  const logoInput = h('input', { type: 'file', id: 'logo-input', accept: 'image/png', class: 'visually-hidden' });
  const logoStatus = h('p', { class: 'muted', id: 'logo-status' }, logoId ? 'A logo is set.' : 'No logo yet.');
  const logoField = h('div', { class: 'stack' },
    h('p', { class: 'hint' }, 'A PNG (transparency kept), at most 4 MB. It is stored with the event’s photos, so codes for all photos include it.'),
    h('label', { for: 'logo-input', class: 'button secondary' }, 'Choose a PNG logo'),
    logoInput,
    logoStatus);
  const position = h('select', { name: 'position' }, POSITIONS.map((p) => h('option', { value: p, selected: (wm?.position ?? 'south-east') === p }, p.replace('-', ' '))));
  const opacity = h('input', { type: 'range', name: 'opacity', min: 0.1, max: 1, step: 0.05, value: String(wm?.opacity ?? 0.5) });
  const scale = h('input', { type: 'range', name: 'scale', min: 0.05, max: 0.5, step: 0.01, value: String(wm?.scale ?? 0.2) });
  const saved = h('p', { class: 'muted', 'aria-live': 'polite' });
  const preview = h('figure', { class: 'preview' }, h('figcaption', {}, 'Preview on one of your photos'));
  const watermark = h('form', { class: 'card stack', 'aria-labelledby': 'wm-title' },
    h('h2', { id: 'wm-title' }, 'Watermark'),
    h('p', { class: 'muted' }, 'Drawn on the copies guests see (not on downloads of originals).'),
    h('label', { class: 'inline' }, enabled, ' Watermark guests’ copies'),
    h('fieldset', {}, h('legend', {}, 'Kind'),
      h('label', { class: 'inline' }, kindText, ' Text'),
      h('label', { class: 'inline' }, kindImage, ' Image (your logo)')),
    textField,
    logoField,
    h('label', { class: 'field' }, h('span', {}, 'Position'), position),
    h('label', { class: 'field' }, h('span', {}, 'Opacity'), opacity),
    h('label', { class: 'field' }, h('span', {}, 'Size'), scale),
    saved,
    preview);
  const showKind = () => {
    textField.hidden = kindImage.checked;
    logoField.hidden = !kindImage.checked;
  };
  showKind();
  let timer = 0;
  logoInput.addEventListener('change', async () => {
    const file = logoInput.files?.[0];
    logoInput.value = '';
    if (!file) return;
    logoStatus.textContent = `Uploading ${file.name}…`;
    try {
      logoId = await uploadLogo(app.api, eventId, file);
      logoStatus.textContent = `Logo: ${file.name}`;
      clearTimeout(timer);
      await saveWatermark();
    } catch (e) {
      logoStatus.textContent = `The logo was not uploaded: ${e instanceof Error ? e.message : String(e)}`;
    }
  });
  watermark.addEventListener('input', (event) => {
    if (event.target === logoInput) return;
    showKind();
    clearTimeout(timer);
    saved.textContent = 'Saving…';
    timer = window.setTimeout(saveWatermark, 500);
  });
  watermark.addEventListener('submit', (e) => e.preventDefault());

  async function saveWatermark() {
    const placement = { position: position.value, opacity: Number(opacity.value), scale: Number(scale.value) };
    if (enabled.checked && kindImage.checked && !logoId) {
      saved.textContent = 'Choose a logo to watermark with.';
      return;
    }
    const value = !enabled.checked
      ? null
      : kindImage.checked
        ? { kind: 'image', image_photo_id: logoId, ...placement }
        : text.value.trim() ? { kind: 'text', text: text.value.trim(), ...placement } : null;
    if (!(await patch({ watermark: value }, ''))) {
      saved.textContent = 'Not saved.';
      return;
    }
    saved.textContent = value ? 'Saved.' : 'Saved: no watermark.';
    await renderPreview();
  }

  async function renderPreview() {
    try {
      const photos = await app.api.get(`/api/events/${encodeURIComponent(eventId)}/photos?status=ready&limit=1`);
      const photo = photos.items[0];
      if (!photo) {
        replace(preview, h('figcaption', {}, 'Add a photo to see a preview.'));
        return;
      }
      const spec = { resize: { width: 720, fit: 'inside' }, format: 'jpeg', quality: 80, watermark: Boolean(page.event.watermark) };
      const result = await app.api.post(path`/api/events/${eventId}/photos/${photo.photo_id}/derivatives`, { spec });
      replace(preview,
        h('img', { src: result.url, alt: `Preview of ${photo.filename} as guests see it`, width: result.width, height: result.height }),
        h('figcaption', {}, `Preview on ${photo.filename}`));
    } catch (e) {
      showError(e, 'Could not render the preview');
    }
  }

  const remove = h('section', { class: 'card stack danger-zone', 'aria-labelledby': 'delete-title' },
    h('h2', { id: 'delete-title' }, 'Delete event'),
    h('p', {}, 'Deletes every photo, code and download of this event at once.'),
    h('button', { type: 'button', class: 'danger', onclick: deleteEvent }, 'Delete event'));

  async function deleteEvent() {
    if (!(await confirmAction(`Delete “${page.event.name}” and all its photos? This cannot be undone.`, 'Delete event'))) return;
    try {
      await app.api.del(path`/api/events/${eventId}`);
      announce('Event deleted.');
      navigate('/');
    } catch (e) {
      showError(e, 'Could not delete the event');
    }
  }

  replace(page.body, rename, expiry, watermark, remove);
  void renderPreview();
}

/** An RFC 3339 time as a `datetime-local` value in the device's zone. @param {string} iso */
function localInput(iso) {
  const date = new Date(iso);
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
