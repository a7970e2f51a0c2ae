// @ts-check
/**
 * The upload tray: fixed at the bottom on every page of the app, with overall and
 * per-file progress, waits and failures in words, retry and cancel, and — after a reload —
 * the interrupted files and a picker to select them again.
 */
import { h, replace } from '../lib/dom.js';
import { formatBytes } from '../lib/format.js';
import { announce } from '../lib/notice.js';

/** @typedef {import('../upload/uploader.js').Uploader} Uploader */
/** @typedef {import('../upload/uploader.js').UploadItem} UploadItem */

/**
 * Byte counts move many times a second per transfer; repainting the tray for each would
 * take main-thread time (and, on a phone, CPU) from the uploads themselves. States still
 * show on the next frame.
 */
const PROGRESS_PAINT_MS = 250;

/** @type {Record<string, string>} */
const STATE_TEXT = {
  queued: 'Waiting',
  hashing: 'Checking',
  registering: 'Preparing',
  uploading: 'Uploading',
  completing: 'Finishing',
  done: 'Uploaded',
  duplicate: 'Duplicate',
  failed: 'Failed',
  paused: 'Interrupted',
};

/**
 * @param {HTMLElement} root the tray's `<aside>`
 * @param {Uploader} uploader
 */
export function mountTray(root, uploader) {
  const summary = h('p', { class: 'tray-summary', id: 'tray-summary' });
  const overall = h('progress', { max: 1, value: 0, 'aria-label': 'Overall upload progress' });
  const toggle = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', 'aria-controls': 'tray-list' }, 'Show files');
  const clear = h('button', { type: 'button', class: 'link', onclick: () => uploader.clearFinished() }, 'Clear finished');
  const resumeInput = h('input', { type: 'file', id: 'tray-resume', accept: 'image/*', multiple: true, class: 'visually-hidden' });
  const resume = h('p', { class: 'tray-resume', hidden: true },
    'Some uploads were interrupted. ',
    h('label', { for: 'tray-resume', class: 'button small' }, 'Select files to resume'),
    resumeInput,
  );
  const list = h('ul', { class: 'tray-list', id: 'tray-list', hidden: true });
  replace(root,
    h('div', { class: 'tray-head' }, h('h2', { class: 'tray-title', id: 'tray-title' }, 'Uploads'), summary, toggle, clear),
    overall,
    resume,
    list,
  );
  toggle.addEventListener('click', () => {
    list.hidden = !list.hidden;
    toggle.setAttribute('aria-expanded', String(!list.hidden));
    toggle.textContent = list.hidden ? 'Show files' : 'Hide files';
  });
  resumeInput.addEventListener('change', () => {
    const unmatched = uploader.reselect([...(resumeInput.files ?? [])]);
    if (unmatched.length) announce(`Not an interrupted upload: ${unmatched.join(', ')}.`);
    resumeInput.value = '';
  });

  /** @type {Map<string, {row: HTMLLIElement, state: HTMLElement, bar: HTMLProgressElement, actions: HTMLElement, shown: string}>} */
  const rows = new Map();
  /** @type {Set<UploadItem>} */
  const dirty = new Set();
  let structural = true;
  let frame = 0;
  let progressTimer = 0;

  /** @param {UploadItem} item */
  function rowFor(item) {
    let row = rows.get(item.key);
    if (!row) {
      const state = h('span', { class: 'tray-state' });
      const bar = h('progress', { max: item.size || 1, value: 0, 'aria-label': `Upload of ${item.name}` });
      const actions = h('span', { class: 'tray-actions' });
      const li = h('li', { class: 'tray-row', 'data-name': item.name }, h('span', { class: 'tray-name' }, item.name), state, bar, actions);
      row = { row: li, state, bar, actions, shown: '' };
      rows.set(item.key, row);
    }
    return row;
  }

  /** @param {UploadItem} item */
  function paint(item) {
    const row = rowFor(item);
    const text = item.state === 'hashing'
      ? `Checking ${Math.round((item.hashed / (item.size || 1)) * 100)}%`
      : item.state === 'uploading'
        ? `${formatBytes(item.sent)} of ${formatBytes(item.size)}`
        : STATE_TEXT[item.state];
    const stateText = item.note ? `${text} — ${item.note}` : text;
    if (row.state.textContent !== stateText) row.state.textContent = stateText;
    row.row.dataset.state = item.state;
    row.bar.value = item.sent;
    const actions = item.state === 'failed' ? 'failed' : ['done', 'duplicate'].includes(item.state) ? 'none' : 'cancel';
    if (row.shown !== actions) {
      row.shown = actions;
      replace(row.actions,
        actions === 'failed' && item.file && h('button', { type: 'button', class: 'small', onclick: () => uploader.retry(item.key) }, `Retry`, h('span', { class: 'visually-hidden' }, ` ${item.name}`)),
        actions !== 'none' && h('button', { type: 'button', class: 'small secondary', onclick: () => void uploader.cancel(item.key) }, actions === 'failed' ? 'Remove' : 'Cancel', h('span', { class: 'visually-hidden' }, ` ${item.name}`)),
      );
    }
  }

  function render() {
    frame = 0;
    clearTimeout(progressTimer);
    progressTimer = 0;
    const items = [...uploader.items.values()];
    root.hidden = items.length === 0;
    if (structural) {
      structural = false;
      for (const key of rows.keys()) if (!uploader.items.has(key)) rows.delete(key);
      for (const item of items) paint(item);
      list.replaceChildren(...items.map((item) => rowFor(item).row));
    } else {
      for (const item of dirty) if (uploader.items.has(item.key)) paint(item);
    }
    dirty.clear();
    let size = 0;
    let sent = 0;
    let finished = 0;
    let failed = 0;
    let paused = 0;
    for (const item of items) {
      size += item.size;
      sent += item.state === 'paused' ? 0 : item.sent;
      if (item.state === 'done' || item.state === 'duplicate') finished += 1;
      if (item.state === 'failed') failed += 1;
      if (item.state === 'paused') paused += 1;
    }
    overall.max = size || 1;
    overall.value = sent;
    const parts = [`${finished} of ${items.length} files`, `${formatBytes(sent)} of ${formatBytes(size)}`];
    if (failed) parts.push(`${failed} failed`);
    if (paused) parts.push(`${paused} interrupted`);
    if (!navigator.onLine && finished + failed + paused < items.length) parts.push('offline: resumes when the connection is back');
    summary.textContent = parts.join(' · ');
    resume.hidden = paused === 0;
    if (failed || paused) {
      list.hidden = false;
      toggle.setAttribute('aria-expanded', 'true');
      toggle.textContent = 'Hide files';
    }
  }

  const paintSoon = () => {
    if (!frame) frame = requestAnimationFrame(render);
  };
  uploader.addEventListener('change', (event) => {
    const item = /** @type {CustomEvent<UploadItem | null>} */ (event).detail;
    if (item) dirty.add(item);
    else structural = true;
    paintSoon();
  });
  uploader.addEventListener('progress', (event) => {
    dirty.add(/** @type {CustomEvent<UploadItem>} */ (event).detail);
    if (!frame && !progressTimer) progressTimer = window.setTimeout(paintSoon, PROGRESS_PAINT_MS);
  });
  const onNetwork = paintSoon;
  window.addEventListener('online', onNetwork);
  window.addEventListener('offline', onNetwork);
  window.addEventListener('beforeunload', (event) => {
    if (uploader.activeCount() > 0) {
      event.preventDefault();
      event.returnValue = '';
    }
  });
  render();
}
