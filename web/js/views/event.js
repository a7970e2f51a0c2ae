// @ts-check
/** An event's page: its name, expiry and public link, and tabs for photos, codes and settings. */
import { startCountdown } from '../components/countdown.js';
import { path } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { showCodes } from './event-codes.js';
import { showPhotos } from './event-photos.js';
import { showSettings } from './event-settings.js';

/** @typedef {import('../app.js').AppContext} AppContext */

/**
 * @typedef {object} EventPage
 * @property {any} event the API's Event
 * @property {string} publicUrl
 * @property {HTMLElement} body where the tab renders
 * @property {(event: any) => void} updated
 */

/**
 * @param {AppContext} app
 * @param {string} eventId
 * @param {'photos' | 'codes' | 'settings'} tab
 */
export async function showEvent(app, eventId, tab) {
  const [event, me] = await Promise.all([app.api.get(path`/api/events/${eventId}`), app.me()]);
  const title = h('h1', {}, event.name);
  const expiry = h('p', { class: 'muted' });
  const publicUrl = `${location.origin}/e/${encodeURIComponent(me.username)}/${encodeURIComponent(event.slug)}`;
  const tabs = /** @type {const} */ ([['photos', 'Photos', ''], ['codes', 'Access codes', '/codes'], ['settings', 'Settings', '/settings']]);
  const body = h('div', { class: 'tab-body' });
  replace(app.main,
    h('p', { class: 'crumb' }, h('a', { href: '#/' }, '← Your events')),
    title,
    expiry,
    h('p', { class: 'muted break' }, 'Guest page: ', h('a', { href: publicUrl, target: '_blank', rel: 'noopener' }, publicUrl)),
    h('nav', { class: 'tabs', 'aria-label': 'Event sections' },
      tabs.map(([id, label, suffix]) => h('a', { href: `#/events/${eventId}${suffix}`, 'aria-current': id === tab ? 'page' : false }, label))),
    body,
  );
  let stopCountdown = () => {};
  /** @type {EventPage} */
  const page = {
    event,
    publicUrl,
    body,
    updated(next) {
      page.event = next;
      title.textContent = next.name;
      document.title = `${next.name} · PicPass`;
      stopCountdown();
      stopCountdown = startCountdown(expiry, next.expires_at);
    },
  };
  page.updated(event);
  if (tab === 'codes') await showCodes(app, page);
  else if (tab === 'settings') showSettings(app, page);
  else showPhotos(app, page);
}
