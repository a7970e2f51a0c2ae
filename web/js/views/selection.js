// @ts-check
/** The photos selected in an event's grid, kept while the photographer moves between tabs. */

/** @type {Map<string, Set<string>>} */
const selections = new Map();

/** @param {string} eventId @returns {Set<string>} */
export function selectionOf(eventId) {
  let set = selections.get(eventId);
  if (!set) {
    set = new Set();
    selections.set(eventId, set);
  }
  return set;
}
