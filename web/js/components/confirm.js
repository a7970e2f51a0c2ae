// @ts-check
/** A modal yes/no question (`<dialog>`): focus trapped, Escape cancels. */
import { h } from '../lib/dom.js';

/**
 * @param {string} question
 * @param {string} confirmLabel e.g. "Delete event"
 * @returns {Promise<boolean>}
 */
export function confirmAction(question, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-question' },
      h('form', { method: 'dialog' },
        h('p', { id: 'confirm-question' }, question),
        h('div', { class: 'row' },
          h('button', { value: 'cancel', class: 'secondary' }, 'Cancel'),
          h('button', { value: 'confirm', class: 'danger' }, confirmLabel),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}
