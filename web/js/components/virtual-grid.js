// @ts-check
/**
 * A square-cell grid that stays fast at 10,000 photos: it only keeps the cells near the
 * viewport in the DOM (a bounded pool, reused), lays them out with transforms inside one
 * sized list, and fetches the next cursor page when the reader nears the end of what is
 * loaded. Items are unique by key: a page that repeats one (new uploads appended, then
 * paged in) does not show it twice.
 */

/**
 * @template T
 * @typedef {object} GridOptions
 * @property {HTMLUListElement} list the element to fill (a `<ul>`; cells are `<li>`)
 * @property {(cursor: string | null) => Promise<{items: T[], next_cursor: string | null}>} loadPage
 * @property {(item: T) => string} key
 * @property {(cell: HTMLLIElement) => void} createCell fills a new pooled cell once
 * @property {(cell: HTMLLIElement, item: T, index: number) => void} renderCell
 * @property {(error: unknown) => void} onError
 * @property {(count: number, complete: boolean) => void} [onCount]
 * @property {number} [minCell] smallest cell width, CSS px
 * @property {number} [gap]
 */

const OVERSCAN_ROWS = 3;

/**
 * Items to ask for in a page: the first page only has to fill the first screen (up to 12
 * columns × 8 rows), so it is smaller and arrives, parses and paints sooner; later pages
 * are the API's largest.
 * @param {string | null} cursor
 */
export function pageSize(cursor) {
  return cursor ? 200 : 96;
}

/**
 * @template T
 * @param {GridOptions<T>} options
 */
export function createVirtualGrid(options) {
  const { list, loadPage, key, createCell, renderCell, onError } = options;
  const minCell = options.minCell ?? 110;
  const gap = options.gap ?? 4;
  /** @type {T[]} */
  let items = [];
  /** @type {Map<string, number>} */
  let indexByKey = new Map();
  /** @type {string | null} */
  let cursor = null;
  let complete = false;
  let loading = false;
  let generation = 0;
  let columns = 3;
  let cellSize = minCell;
  /** @type {Map<number, HTMLLIElement>} cells in use by item index */
  const used = new Map();
  /** @type {HTMLLIElement[]} */
  const spare = [];
  let frame = 0;

  list.classList.add('vgrid');

  function measure() {
    const width = list.clientWidth || list.getBoundingClientRect().width || minCell * 3;
    columns = Math.max(3, Math.floor((width + gap) / (minCell + gap)));
    cellSize = (width - gap * (columns - 1)) / columns;
  }

  function rowHeight() {
    return cellSize + gap;
  }

  function layoutHeight() {
    const rows = Math.ceil(items.length / columns) + (complete ? 0 : 1);
    list.style.height = `${Math.max(0, rows * rowHeight() - gap)}px`;
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(render);
  }

  function render() {
    frame = 0;
    if (!list.isConnected) return;
    const top = list.getBoundingClientRect().top;
    const viewport = window.innerHeight;
    const first = Math.max(0, Math.floor(-top / rowHeight()) - OVERSCAN_ROWS);
    const last = Math.max(0, Math.ceil((viewport - top) / rowHeight()) + OVERSCAN_ROWS);
    const from = first * columns;
    const to = Math.min(items.length, (last + 1) * columns);
    for (const [index, cell] of used) {
      if (index < from || index >= to) {
        used.delete(index);
        cell.hidden = true;
        cell.dataset.key = '';
        spare.push(cell);
      }
    }
    for (let index = from; index < to; index += 1) {
      let cell = used.get(index);
      const item = items[index];
      if (!cell) {
        cell = spare.pop();
        if (!cell) {
          cell = document.createElement('li');
          cell.className = 'vgrid-cell';
          createCell(cell);
          list.appendChild(cell);
        }
        used.set(index, cell);
      }
      const row = Math.floor(index / columns);
      const column = index % columns;
      cell.hidden = false;
      cell.style.width = `${cellSize}px`;
      cell.style.height = `${cellSize}px`;
      cell.style.transform = `translate(${column * (cellSize + gap)}px, ${row * rowHeight()}px)`;
      cell.setAttribute('aria-posinset', String(index + 1));
      cell.setAttribute('aria-setsize', complete ? String(items.length) : '-1');
      const itemKey = key(item);
      if (cell.dataset.key !== itemKey || cell.dataset.dirty === '1') {
        cell.dataset.key = itemKey;
        cell.dataset.dirty = '';
        renderCell(cell, item, index);
      }
    }
    orderCells();
    if (!complete && !loading && to >= items.length - columns * OVERSCAN_ROWS) void loadMore();
  }

  /** Keeps the DOM order the visual order, so Tab moves through the grid as it reads. */
  function orderCells() {
    const inOrder = [...used.entries()].sort((a, b) => a[0] - b[0]).map(([, cell]) => cell);
    let previous = null;
    for (const cell of inOrder) {
      if (previous ? previous.nextElementSibling !== cell : list.firstElementChild !== cell) {
        if (previous) previous.after(cell);
        else list.prepend(cell);
      }
      previous = cell;
    }
  }

  async function loadMore() {
    loading = true;
    const mine = generation;
    try {
      const page = await loadPage(cursor);
      if (mine !== generation) return;
      add(page.items);
      cursor = page.next_cursor;
      complete = !cursor;
    } catch (error) {
      if (mine === generation) {
        complete = true;
        onError(error);
      }
    } finally {
      if (mine === generation) {
        loading = false;
        options.onCount?.(items.length, complete);
        layoutHeight();
        schedule();
      }
    }
  }

  /** @param {T[]} more */
  function add(more) {
    for (const item of more) {
      const k = key(item);
      const at = indexByKey.get(k);
      if (at === undefined) {
        indexByKey.set(k, items.length);
        items.push(item);
      } else {
        items[at] = item;
        markDirty(at);
      }
    }
  }

  /** @param {number} index */
  function markDirty(index) {
    const cell = used.get(index);
    if (cell) cell.dataset.dirty = '1';
  }

  const onScroll = () => schedule();
  const resize = new ResizeObserver(() => {
    measure();
    layoutHeight();
    for (const cell of used.values()) cell.dataset.dirty = '1';
    schedule();
  });
  window.addEventListener('scroll', onScroll, { passive: true });
  window.addEventListener('resize', onScroll, { passive: true });
  resize.observe(list);
  measure();

  return {
    /** Drops everything and loads the first page again (e.g. a new sort order). */
    reset() {
      generation += 1;
      items = [];
      indexByKey = new Map();
      cursor = null;
      complete = false;
      loading = false;
      for (const [index, cell] of used) {
        used.delete(index);
        cell.hidden = true;
        cell.dataset.key = '';
        spare.push(cell);
      }
      layoutHeight();
      void loadMore();
    },
    /** @returns {readonly T[]} what is loaded so far */
    items: () => items,
    complete: () => complete,
    /**
     * Updates items already shown, or appends new ones once the listing is complete (else
     * paging will bring them).
     * @param {T[]} changed
     */
    upsert(changed) {
      const fresh = changed.filter((item) => indexByKey.has(key(item)) || complete);
      add(fresh);
      layoutHeight();
      options.onCount?.(items.length, complete);
      schedule();
    },
    /** @param {string[]} keys */
    remove(keys) {
      const gone = new Set(keys);
      items = items.filter((item) => !gone.has(key(item)));
      indexByKey = new Map(items.map((item, i) => [key(item), i]));
      for (const cell of used.values()) cell.dataset.dirty = '1';
      layoutHeight();
      options.onCount?.(items.length, complete);
      schedule();
    },
    /** Re-renders the visible cells (e.g. selection changed). */
    refresh() {
      for (const cell of used.values()) cell.dataset.dirty = '1';
      schedule();
    },
    destroy() {
      generation += 1;
      window.removeEventListener('scroll', onScroll);
      window.removeEventListener('resize', onScroll);
      resize.disconnect();
      cancelAnimationFrame(frame);
    },
  };
}
