// @ts-check
/**
 * Adding photos: a file picker (the phone's photo library) and a drop zone; each file is
 * read on the device first (type by content, dimensions, capture date), shown with a
 * preview, removable, and refused with its reason before anything is sent.
 */
import { h, replace } from '../lib/dom.js';
import { formatBytes } from '../lib/format.js';
import { warmHashers } from '../upload/hasher.js';
import { readImageInfo } from '../upload/image-info.js';
import { LIMITS, countRefusal, refusal } from '../upload/limits.js';

/**
 * @typedef {object} Staged
 * @property {File} file
 * @property {import('../upload/image-info.js').ImageInfo} info
 * @property {string | null} refused why it cannot be sent
 * @property {string} preview object URL ('' when refused)
 */

/**
 * @param {HTMLElement} root
 * @param {(files: {file: File, type: string}[]) => void} onUpload
 */
export function mountPicker(root, onUpload) {
  /** @type {Staged[]} */
  let staged = [];
  const input = h('input', { type: 'file', id: 'photo-input', accept: 'image/*', multiple: true, class: 'visually-hidden' });
  const drop = h('div', { class: 'drop' },
    h('p', {}, 'Drag photos here, or'),
    h('label', { for: 'photo-input', class: 'button' }, 'Choose photos'),
    input,
    h('p', { class: 'hint' }, `JPEG, PNG or WebP, up to ${formatBytes(LIMITS.maxFileBytes)} each, ${LIMITS.maxFilesPerBatch} at a time.`),
  );
  const summary = h('p', { class: 'staged-summary', 'aria-live': 'polite' });
  const send = h('button', { type: 'button', onclick: upload }, 'Upload');
  const clear = h('button', { type: 'button', class: 'secondary', onclick: () => setStaged([]) }, 'Clear');
  const actions = h('div', { class: 'row', hidden: true }, send, clear);
  const list = h('ul', { class: 'staged', 'aria-label': 'Photos to upload' });
  replace(root, drop, summary, actions, list);

  input.addEventListener('change', () => {
    void addFiles([...(input.files ?? [])]);
    input.value = '';
  });
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    void addFiles([...(event.dataTransfer?.files ?? [])]);
  });

  /** @param {File[]} files */
  async function addFiles(files) {
    warmHashers();
    summary.textContent = `Reading ${files.length} file${files.length === 1 ? '' : 's'}…`;
    const read = await Promise.all(files.map(async (file) => {
      const info = await readImageInfo(file).catch(() => ({ type: null, width: null, height: null, takenAt: null }));
      return { file, info, refused: refusal(file, info), preview: '' };
    }));
    let accepted = staged.filter((s) => !s.refused).length;
    for (const item of read) {
      if (!item.refused) {
        item.refused = countRefusal(accepted);
        if (!item.refused) accepted += 1;
      }
      if (!item.refused) item.preview = URL.createObjectURL(item.file);
    }
    setStaged([...staged, ...read]);
  }

  /** @param {Staged[]} next */
  function setStaged(next) {
    for (const item of staged) if (!next.includes(item) && item.preview) URL.revokeObjectURL(item.preview);
    staged = next;
    render();
  }

  function upload() {
    const ready = staged.filter((s) => !s.refused);
    if (ready.length === 0) return;
    onUpload(ready.map((s) => ({ file: s.file, type: /** @type {string} */ (s.info.type) })));
    setStaged(staged.filter((s) => s.refused));
  }

  function render() {
    const ready = staged.filter((s) => !s.refused);
    const refused = staged.length - ready.length;
    const bytes = ready.reduce((sum, s) => sum + s.file.size, 0);
    summary.textContent = staged.length === 0
      ? ''
      : `${ready.length} photo${ready.length === 1 ? '' : 's'} ready to upload (${formatBytes(bytes)})${refused ? `, ${refused} refused` : ''}.`;
    actions.hidden = staged.length === 0;
    send.disabled = ready.length === 0;
    send.textContent = `Upload ${ready.length} photo${ready.length === 1 ? '' : 's'}`;
    list.replaceChildren(...staged.map(row));
  }

  /** @param {Staged} item */
  function row(item) {
    const { file, info } = item;
    const facts = [formatBytes(file.size)];
    if (info.width && info.height) facts.push(`${info.width} × ${info.height}`);
    if (info.takenAt) facts.push(`taken ${info.takenAt}`);
    return h('li', { class: item.refused ? 'staged-item refused' : 'staged-item' },
      item.preview
        ? h('img', { src: item.preview, alt: '', width: 64, height: 64, loading: 'lazy', decoding: 'async' })
        : h('span', { class: 'staged-noimage', 'aria-hidden': 'true' }, '✕'),
      h('span', { class: 'staged-text' },
        h('span', { class: 'staged-name' }, file.name),
        h('span', { class: 'staged-facts' }, facts.join(' · ')),
        item.refused && h('span', { class: 'staged-refusal' }, `Refused: ${item.refused}`),
      ),
      h('button', { type: 'button', class: 'small secondary', onclick: () => setStaged(staged.filter((s) => s !== item)) },
        'Remove', h('span', { class: 'visually-hidden' }, ` ${file.name}`)),
    );
  }
}
