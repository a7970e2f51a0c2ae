// @ts-check
/** The photographer's events, newest first, and the form that creates one. */
import { h, replace } from '../lib/dom.js';
import { formatDate, timeLeft } from '../lib/format.js';
import { showError } from '../lib/notice.js';
import { navigate } from '../router.js';

/** @typedef {import('../app.js').AppContext} AppContext */

const LIFETIMES = [
  ['1 day', 86400],
  ['1 week', 7 * 86400],
  ['30 days', 30 * 86400],
  ['90 days', 90 * 86400],
  ['1 year', 365 * 86400],
];

/** @param {AppContext} app */
export function showEvents(app) {
  document.title = 'Your events · PicPass';
  const list = h('ul', { class: 'events', 'aria-label': 'Your events' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show more events');
  const empty = h('p', { hidden: true }, 'No events yet: create your first one above.');
  const error = h('p', { class: 'form-error', role: 'alert' });
  const form = h('form', { class: 'card stack', 'aria-labelledby': 'new-event' },
    h('h2', { id: 'new-event' }, 'New event'),
    h('label', { class: 'field' }, h('span', {}, 'Event name'), h('input', { name: 'name', required: true, maxlength: 120, autocomplete: 'off' })),
    h('label', { class: 'field' }, h('span', {}, 'Keep photos for'),
      h('select', { name: 'ttl' }, LIFETIMES.map(([label, seconds]) => h('option', { value: String(seconds), selected: seconds === 30 * 86400 }, label)))),
    error,
    h('button', { type: 'submit' }, 'Create event'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    error.textContent = '';
    try {
      const created = await app.api.post('/api/events', { name: String(data.get('name')).trim(), ttl_seconds: Number(data.get('ttl')) });
      navigate(`/events/${created.event_id}`);
    } catch (e) {
      error.textContent = e instanceof Error ? e.message : String(e);
    }
  });

  /** @type {string | null} */
  let cursor = null;
  async function load() {
    more.disabled = true;
    try {
      const page = await app.api.get(`/api/events?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      for (const event of page.items) {
        const left = timeLeft(event.expires_at);
        list.appendChild(h('li', { class: 'event-item' },
          h('a', { href: `#/events/${event.event_id}` }, event.name),
          h('span', { class: 'muted' }, `${event.photo_count} photo${event.photo_count === 1 ? '' : 's'} · `,
            h('span', { title: formatDate(event.expires_at) }, left ? `expires in ${left}` : 'expired')),
        ));
      }
      cursor = page.next_cursor;
      more.hidden = !cursor;
      empty.hidden = list.childElementCount > 0;
    } catch (e) {
      showError(e, 'Could not load your events');
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => void load());
  replace(app.main, h('h1', {}, 'Your events'), form, h('h2', {}, 'Events'), empty, list, more);
  void load();
}
