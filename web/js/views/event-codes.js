// @ts-check
/**
 * The Access codes tab: create a code for the selected photos or all of them (label,
 * optional expiry), and the list of codes — each as text, link and QR code, with copy,
 * edit subset and revoke.
 */
import { confirmAction } from '../components/confirm.js';
import { qrSvg } from '../components/qr.js';
import { path } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { formatDate } from '../lib/format.js';
import { announce, showError } from '../lib/notice.js';
import { selectionOf } from './selection.js';

/** @typedef {import('../app.js').AppContext} AppContext */
/** @typedef {import('./event.js').EventPage} EventPage */

/**
 * @param {AppContext} app
 * @param {EventPage} page
 */
export async function showCodes(app, page) {
  const eventId = page.event.event_id;
  const selected = selectionOf(eventId);
  const error = h('p', { class: 'form-error', role: 'alert' });
  const form = h('form', { class: 'card stack', 'aria-labelledby': 'new-code' },
    h('h2', { id: 'new-code' }, 'New access code'),
    h('label', { class: 'field' }, h('span', {}, 'Label'), h('input', { name: 'label', required: true, maxlength: 100, placeholder: 'e.g. Family', autocomplete: 'off' })),
    h('fieldset', {},
      h('legend', {}, 'Photos'),
      h('label', { class: 'inline' }, h('input', { type: 'radio', name: 'which', value: 'selected', checked: selected.size > 0, disabled: selected.size === 0 }),
        ` The ${selected.size} selected photo${selected.size === 1 ? '' : 's'}`),
      h('label', { class: 'inline' }, h('input', { type: 'radio', name: 'which', value: 'all', checked: selected.size === 0 }), ' All photos, including ones added later'),
    ),
    h('label', { class: 'field' }, h('span', {}, 'Code expires (optional)'), h('input', { name: 'expires', type: 'date' })),
    error,
    h('button', { type: 'submit' }, 'Create code'),
  );
  const list = h('ul', { class: 'codes', 'aria-label': 'Access codes' });
  replace(page.body, form, h('h2', {}, 'Codes'), list);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    error.textContent = '';
    /** @type {Record<string, unknown>} */
    const body = { label: String(data.get('label')).trim() };
    if (data.get('which') === 'selected') body.photo_ids = [...selected];
    else body.all = true;
    const expires = String(data.get('expires') ?? '');
    if (expires) body.expires_at = endOfDay(expires);
    try {
      const code = await app.api.post(path`/api/events/${eventId}/codes`, body);
      list.prepend(codeItem(code));
      form.reset();
      announce(`Code ${code.code} created.`);
    } catch (e) {
      error.textContent = e instanceof Error ? e.message : String(e);
    }
  });

  /** @param {any} code */
  function codeItem(code) {
    const link = `${page.publicUrl}#code=${code.code}`;
    const li = h('li', { class: 'card code', 'data-code': code.code });
    const render = (/** @type {any} */ c) => {
      const revoked = Boolean(c.revoked_at);
      const scope = c.all ? 'All photos' : `${c.photo_ids?.length ?? 0} photo${c.photo_ids?.length === 1 ? '' : 's'}`;
      replace(li,
        h('h3', {}, c.label),
        h('p', { class: 'code-text' }, h('span', { class: 'visually-hidden' }, 'Code: '), c.code),
        h('p', { class: 'muted' }, scope, ' · ',
          revoked ? `revoked ${formatDate(c.revoked_at)}` : c.expires_at ? `expires ${formatDate(c.expires_at)}` : 'valid while the event lasts'),
        !revoked && h('div', { class: 'code-share' },
          qrSvg(link, `QR code of the link for ${c.label}`),
          h('p', { class: 'break' }, h('a', { href: link, class: 'code-link' }, link))),
        !revoked && h('div', { class: 'row wrap' },
          h('button', { type: 'button', onclick: () => copy(link) }, 'Copy link', h('span', { class: 'visually-hidden' }, ` for ${c.label}`)),
          h('button', { type: 'button', class: 'secondary', disabled: selected.size === 0, onclick: () => edit(c, { photo_ids: [...selected] }) },
            `Grant the ${selected.size} selected`, h('span', { class: 'visually-hidden' }, ` to ${c.label}`)),
          !c.all && h('button', { type: 'button', class: 'secondary', onclick: () => edit(c, { all: true }) }, 'Grant all photos', h('span', { class: 'visually-hidden' }, ` to ${c.label}`)),
          h('button', { type: 'button', class: 'danger', onclick: () => revoke(c) }, 'Revoke', h('span', { class: 'visually-hidden' }, ` ${c.label}`))),
      );
    };
    /** @param {any} c @param {object} change */
    const edit = async (c, change) => {
      try {
        render(await app.api.patch(path`/api/events/${eventId}/codes/${c.code_id}`, change));
        announce(`Code ${c.label} updated.`);
      } catch (e) {
        showError(e, 'Could not change the code');
      }
    };
    /** @param {any} c */
    const revoke = async (c) => {
      if (!(await confirmAction(`Revoke the code “${c.label}”? Guests using it lose access at once.`, 'Revoke code'))) return;
      try {
        await app.api.del(path`/api/events/${eventId}/codes/${c.code_id}`);
        render({ ...c, revoked_at: new Date().toISOString() });
        announce(`Code ${c.label} revoked.`);
      } catch (e) {
        showError(e, 'Could not revoke the code');
      }
    };
    render(code);
    return li;
  }

  /** @type {string | null} */
  let cursor = null;
  try {
    do {
      const pageOfCodes = await app.api.get(`/api/events/${encodeURIComponent(eventId)}/codes?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      for (const code of pageOfCodes.items) list.prepend(codeItem(code));
      cursor = pageOfCodes.next_cursor;
    } while (cursor);
  } catch (e) {
    showError(e, 'Could not load the codes');
  }
}

/** @param {string} text */
async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    announce('Link copied.');
  } catch {
    showError(new Error('Your browser did not allow copying; select the link and copy it instead.'));
  }
}

/** The end of a chosen day, in the photographer's time zone, as RFC 3339 UTC. @param {string} day */
function endOfDay(day) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d, 23, 59, 59).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
