// @ts-check
/** A zip of a selection or of everything granted: ask, show progress, then save the file. */
import { path } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';

/**
 * @param {import('../lib/api.js').Api} api
 * @param {{username: string, slug: string}} gallery
 * @param {{photo_ids: string[]} | {all: true}} selection
 * @param {HTMLElement} status where progress shows
 * @returns {Promise<void>} once the download has started
 */
export async function downloadArchive(api, gallery, selection, status) {
  const bar = h('progress', { max: 1, value: 0, 'aria-label': 'Preparing the zip' });
  const text = h('span', {}, 'Preparing your zip…');
  replace(status, text, bar);
  status.hidden = false;
  const { archive_id: id } = await api.post(path`/api/g/${gallery.username}/${gallery.slug}/archives`, selection);
  for (let wait = 500; ; wait = Math.min(wait * 1.5, 3000)) {
    const state = await api.get(path`/api/g/${gallery.username}/${gallery.slug}/archives/${id}`);
    bar.max = state.total || 1;
    bar.value = state.done;
    text.textContent = `Preparing your zip: ${state.done} of ${state.total} photos`;
    if (state.state === 'ready' && state.url) {
      replace(status, h('span', {}, 'Your zip is ready. '), h('a', { href: state.url, download: '' }, 'Save the zip again'));
      location.assign(state.url);
      return;
    }
    if (state.state === 'failed') throw new Error(state.error?.message ?? 'The zip could not be made. Please try again.');
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
