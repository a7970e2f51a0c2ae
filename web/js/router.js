// @ts-check
/**
 * Client-side routing on the URL's fragment (`#/events/ID`), so any static host serves
 * the app and the upload tray lives on while the photographer moves between pages.
 */

/**
 * @typedef {object} Route
 * @property {RegExp} pattern matched against the path after `#`
 * @property {(params: string[]) => void} show
 */

/** @returns {string} the current route path, e.g. `/events/01J…` */
export function currentPath() {
  return location.hash.replace(/^#/, '') || '/';
}

/** @param {string} to a route path */
export function navigate(to) {
  if (currentPath() === to) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = `#${to}`;
}

/**
 * Calls the first matching route's `show` now and on every change.
 * @param {Route[]} routes
 * @param {() => void} notFound
 */
export function startRouter(routes, notFound) {
  const run = () => {
    const here = currentPath();
    for (const route of routes) {
      const match = route.pattern.exec(here);
      if (match) {
        route.show(match.slice(1).map((p) => decodeURIComponent(p ?? '')));
        return;
      }
    }
    notFound();
  };
  window.addEventListener('hashchange', run);
  run();
}
