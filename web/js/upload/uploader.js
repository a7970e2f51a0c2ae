// @ts-check
/**
 * The upload queue behind the tray: hash (worker) → register (coalesced `POST …/uploads`)
 * → send straight to storage, four transfers at a time → complete. Multipart files go part
 * by part, each stored part remembered (IndexedDB), so a dropped connection or a reload
 * costs only the parts in flight. Emits `change` (detail: the item whose state or note
 * changed, or null when items came or went), `progress` (detail: the item whose byte counts
 * moved; frequent, so listeners may paint it less often) and `uploaded` (detail:
 * `{eventId, photoId, name}`).
 */
import { ApiError, path } from '../lib/api.js';
import { sha256OfFile } from './hasher.js';
import { allRecords, deleteRecord, saveRecords } from './resume-store.js';
import { TransferError, put, withRetries } from './transfer.js';

const CONCURRENCY = 4;
const REGISTER_BATCH = 100;
const SIGN_BATCH = 8;

/**
 * @typedef {'queued' | 'hashing' | 'registering' | 'uploading' | 'completing' | 'done' | 'duplicate' | 'failed' | 'paused'} UploadState
 * @typedef {import('./resume-store.js').UploadRecord & {
 *   file: File | null, state: UploadState, sent: number, hashed: number,
 *   note: string | null, abort: AbortController, inflight: Map<number, number>
 * }} UploadItem
 * @typedef {{kind: 'single', photo_id: string, url: string, headers: Record<string, string>, expires_at: string}
 *   | {kind: 'multipart', photo_id: string, upload_id: string, part_bytes: number, part_count: number}
 *   | {kind: 'duplicate', photo_id: string}} Ticket
 */

/** What IndexedDB keeps of an item. @param {UploadItem} item @returns {import('./resume-store.js').UploadRecord} */
function record({ key, eventId, name, size, lastModified, type, sha256, photoId, uploadId, partBytes, etags }) {
  return { key, eventId, name, size, lastModified, type, sha256, photoId, uploadId, partBytes, etags: { ...etags } };
}

/** @param {unknown} error */
function asTransferError(error) {
  if (!(error instanceof ApiError)) return error;
  if (error.status === 0) return new TransferError(error.message, 0, 'network');
  if (error.status === 429 || error.status >= 500) return new TransferError(error.message, error.status, 'retry');
  return new TransferError(error.message, error.status, 'fatal');
}

export class Uploader extends EventTarget {
  /** @param {import('../lib/api.js').Api} api */
  constructor(api) {
    super();
    this.api = api;
    /** @type {Map<string, UploadItem>} */
    this.items = new Map();
    this.running = 0;
    /** @type {{bytes: number, go: () => void}[]} */
    this.waiters = [];
    /** @type {Map<string, {item: UploadItem, resolve: (t: Ticket) => void, reject: (e: unknown) => void}[]>} */
    this.registering = new Map();
    this.registerQueued = false;
    this.registerCalls = 0;
  }

  /** Lists the uploads a previous page left unfinished (paused until their files are selected). */
  async restore() {
    for (const record of await allRecords()) {
      if (this.items.has(record.key)) continue;
      this.items.set(record.key, {
        ...record,
        file: null,
        state: 'paused',
        sent: 0,
        hashed: 0,
        note: 'Interrupted: select this file again to resume.',
        abort: new AbortController(),
        inflight: new Map(),
      });
    }
    this.emit(null);
  }

  /**
   * Queues files for an event.
   * @param {string} eventId
   * @param {{file: File, type: string}[]} files
   */
  add(eventId, files) {
    /** @type {UploadItem[]} */
    const added = [];
    for (const { file, type } of files) {
      const key = `${eventId}:${file.name}:${file.size}:${file.lastModified}:${crypto.randomUUID()}`;
      /** @type {UploadItem} */
      const item = {
        key, eventId, name: file.name, size: file.size, lastModified: file.lastModified, type,
        sha256: null, photoId: null, uploadId: null, partBytes: null, etags: {},
        file, state: 'queued', sent: 0, hashed: 0, note: null, abort: new AbortController(), inflight: new Map(),
      };
      this.items.set(key, item);
      added.push(item);
    }
    // One transaction for the lot (a reload while they hash still lists them); IndexedDB
    // runs transactions in the order they were made, so the writes `run` makes land after.
    void saveRecords(added.map(record));
    for (const item of added) void this.run(item);
    this.emit(null);
  }

  /**
   * Resumes paused uploads whose files these are (same name, size and modification time).
   * @param {File[]} files
   * @returns {string[]} names of files that matched nothing paused
   */
  reselect(files) {
    const unmatched = [];
    for (const file of files) {
      const item = [...this.items.values()].find(
        (i) => i.state === 'paused' && i.name === file.name && i.size === file.size && i.lastModified === file.lastModified,
      );
      if (!item) {
        unmatched.push(file.name);
        continue;
      }
      item.file = file;
      item.note = null;
      void this.run(item);
    }
    return unmatched;
  }

  /** @param {string} key */
  retry(key) {
    const item = this.items.get(key);
    if (!item || item.state !== 'failed' || !item.file) return;
    item.abort = new AbortController();
    item.note = null;
    void this.run(item);
  }

  /** @param {string} key */
  async cancel(key) {
    const item = this.items.get(key);
    if (!item) return;
    item.abort.abort();
    this.items.delete(key);
    await deleteRecord(key);
    this.emit(null);
    if (item.uploadId && item.photoId && !['done', 'duplicate'].includes(item.state)) {
      await this.api.del(path`/api/events/${item.eventId}/uploads/${item.photoId}`).catch(() => {});
    }
  }

  clearFinished() {
    for (const [key, item] of this.items) {
      if (item.state === 'done' || item.state === 'duplicate') this.items.delete(key);
    }
    this.emit(null);
  }

  /** Uploads still moving (a page leave would interrupt them). */
  activeCount() {
    let count = 0;
    for (const item of this.items.values()) {
      if (!['done', 'duplicate', 'failed', 'paused'].includes(item.state)) count += 1;
    }
    return count;
  }

  /** @param {UploadItem | null} item */
  emit(item) {
    this.dispatchEvent(new CustomEvent('change', { detail: item }));
  }

  /** @param {UploadItem} item */
  progressed(item) {
    this.dispatchEvent(new CustomEvent('progress', { detail: item }));
  }

  /** @param {UploadItem} item @param {UploadState} state @param {string | null} [note] */
  set(item, state, note = null) {
    item.state = state;
    item.note = note;
    this.emit(item);
  }

  /** @param {UploadItem} item */
  async persist(item) {
    await saveRecords([record(item)]);
  }

  /**
   * Holds one of the four transfer slots while `task` runs. A freed slot goes to the largest
   * transfer waiting: the small ones fill the gaps around it instead of a large one running
   * alone at the end on one connection.
   * @template T
   * @param {() => Promise<T>} task
   * @param {number} bytes what the task sends
   */
  async slot(task, bytes) {
    if (this.running >= CONCURRENCY) await new Promise((resolve) => this.waiters.push({ bytes, go: () => resolve(undefined) }));
    this.running += 1;
    try {
      return await task();
    } finally {
      this.running -= 1;
      let next = 0;
      for (let i = 1; i < this.waiters.length; i += 1) if (this.waiters[i].bytes > this.waiters[next].bytes) next = i;
      this.waiters.splice(next, 1)[0]?.go();
    }
  }

  /** @param {UploadItem} item */
  async run(item) {
    const file = /** @type {File} */ (item.file);
    try {
      if (!item.sha256) {
        this.set(item, 'hashing');
        item.sha256 = await sha256OfFile(file, (done) => {
          item.hashed = done;
          this.progressed(item);
        });
        // Not waited for: only a reload needs it, and later writes queue behind it.
        void this.persist(item);
      }
      if (item.uploadId && !(await this.resumeParts(item))) {
        item.uploadId = null;
        item.etags = {};
      }
      if (!item.uploadId) {
        this.set(item, 'registering');
        const ticket = await this.register(item);
        item.photoId = ticket.photo_id;
        if (ticket.kind === 'duplicate') return await this.finish(item, 'duplicate');
        if (ticket.kind === 'multipart') {
          item.uploadId = ticket.upload_id;
          item.partBytes = ticket.part_bytes;
          await this.persist(item);
        } else {
          this.set(item, 'uploading');
          const stored = await this.sendSingle(item, ticket);
          return await this.finish(item, stored ? 'done' : 'duplicate');
        }
      }
      this.set(item, 'uploading');
      await this.sendParts(item);
      await this.finish(item, 'done');
    } catch (error) {
      if (error instanceof TransferError && error.kind === 'aborted') return;
      item.abort.abort();
      item.inflight.clear();
      this.set(item, 'failed', error instanceof Error ? error.message : String(error));
    }
  }

  /** @param {UploadItem} item @param {'done' | 'duplicate'} state */
  async finish(item, state) {
    item.sent = item.size;
    this.set(item, state, state === 'duplicate' ? 'Already in this event: skipped.' : null);
    await deleteRecord(item.key);
    if (state === 'done') {
      this.dispatchEvent(new CustomEvent('uploaded', { detail: { eventId: item.eventId, photoId: item.photoId, name: item.name } }));
    }
  }

  /**
   * A ticket for the item, from a `POST …/uploads` shared with the files hashed around it.
   * @param {UploadItem} item
   * @returns {Promise<Ticket>}
   */
  register(item) {
    return new Promise((resolve, reject) => {
      const queue = this.registering.get(item.eventId) ?? [];
      queue.push({ item, resolve, reject });
      this.registering.set(item.eventId, queue);
      this.scheduleRegistrations();
    });
  }

  /**
   * Sends what waits for a ticket at once when no registration is under way (the first
   * hashed file starts sending as soon as it can); otherwise what arrives meanwhile goes
   * in one call when the current one answers.
   */
  scheduleRegistrations() {
    if (this.registerQueued || this.registerCalls > 0 || this.registering.size === 0) return;
    this.registerQueued = true;
    // After the current task: files hashed in the same turn share the call.
    queueMicrotask(() => {
      this.registerQueued = false;
      if (this.registerCalls === 0) this.flushRegistrations();
    });
  }

  flushRegistrations() {
    for (const [eventId, entries] of this.registering) {
      this.registering.delete(eventId);
      for (let at = 0; at < entries.length; at += REGISTER_BATCH) {
        void this.registerBatch(eventId, entries.slice(at, at + REGISTER_BATCH));
      }
    }
  }

  /**
   * @param {string} eventId
   * @param {{item: UploadItem, resolve: (t: Ticket) => void, reject: (e: unknown) => void}[]} entries
   */
  async registerBatch(eventId, entries) {
    const files = entries.map(({ item }) => ({ name: item.name, content_type: item.type, bytes: item.size, sha256: item.sha256 }));
    this.registerCalls += 1;
    try {
      const answer = await this.apiRetrying(() => this.api.post(path`/api/events/${eventId}/uploads`, { files }), entries[0].item);
      answer.tickets.forEach((/** @type {Ticket} */ ticket, /** @type {number} */ i) => entries[i].resolve(ticket));
    } catch (error) {
      // One invalid file fails the call naming it; the others go again without it.
      const bad = /^files\[(\d+)\]/.exec(error instanceof Error ? error.message : '');
      if (bad && entries.length > 1 && Number(bad[1]) < entries.length) {
        entries[Number(bad[1])].reject(error);
        void this.registerBatch(eventId, entries.filter((_, i) => i !== Number(bad[1])));
      } else {
        for (const entry of entries) entry.reject(error);
      }
    } finally {
      this.registerCalls -= 1;
      this.scheduleRegistrations();
    }
  }

  /**
   * An API call with the transfer retry policy (network drops are waited out).
   * @template T
   * @param {() => Promise<T>} call
   * @param {UploadItem} item whose row shows the waits
   */
  apiRetrying(call, item) {
    return withRetries(
      async () => {
        try {
          return await call();
        } catch (error) {
          throw asTransferError(error);
        }
      },
      { onWait: (note) => this.note(item, note), signal: item.abort.signal },
    );
  }

  /** @param {UploadItem} item @param {string | null} note */
  note(item, note) {
    item.note = note;
    this.emit(item);
  }

  /**
   * One PUT of the whole file; false when a fresh ticket said the bytes were already stored.
   * @param {UploadItem} item
   * @param {Ticket & {kind: 'single'}} first
   */
  async sendSingle(item, first) {
    /** @type {(Ticket & {kind: 'single'}) | null} */
    let ticket = first;
    const refresh = async () => {
      const fresh = await this.register(item);
      ticket = fresh.kind === 'single' ? fresh : null;
    };
    const file = /** @type {File} */ (item.file);
    return this.slot(() =>
      withRetries(
        async () => {
          if (ticket && Date.parse(ticket.expires_at) < Date.now() + 30_000) await refresh();
          if (!ticket || ticket.kind !== 'single') return false;
          await put(ticket.url, ticket.headers, file, (sent) => {
            item.sent = sent;
            this.progressed(item);
          }, item.abort.signal);
          return true;
        },
        { refresh, onWait: (note) => this.note(item, note), signal: item.abort.signal },
      ),
      item.size,
    );
  }

  /**
   * Takes the parts storage already holds (after a reload); false if the upload is gone.
   * @param {UploadItem} item
   */
  async resumeParts(item) {
    try {
      const stored = await this.apiRetrying(() => this.api.get(path`/api/events/${item.eventId}/uploads/${item.photoId ?? ''}/parts`), item);
      const partBytes = /** @type {number} */ (item.partBytes);
      const count = Math.ceil(item.size / partBytes);
      /** @type {Record<number, string>} */
      const etags = {};
      for (const part of stored.parts) {
        const expected = part.part_number === count ? item.size - partBytes * (count - 1) : partBytes;
        const etag = part.etag ?? item.etags[part.part_number];
        if (etag && part.bytes === expected) etags[part.part_number] = etag;
      }
      item.etags = etags;
      return true;
    } catch (error) {
      if (error instanceof TransferError && error.kind === 'fatal') return false;
      throw error;
    }
  }

  /** Sends the parts not yet stored, then completes the upload. @param {UploadItem} item */
  async sendParts(item) {
    const file = /** @type {File} */ (item.file);
    const partBytes = /** @type {number} */ (item.partBytes);
    const count = Math.ceil(item.size / partBytes);
    const size = (/** @type {number} */ n) => (n === count ? item.size - partBytes * (count - 1) : partBytes);
    /** @type {number[]} */
    const missing = [];
    for (let n = 1; n <= count; n += 1) if (!item.etags[n]) missing.push(n);
    const progress = () => {
      let sent = 0;
      for (let n = 1; n <= count; n += 1) if (item.etags[n]) sent += size(n);
      for (const bytes of item.inflight.values()) sent += bytes;
      item.sent = sent;
      this.progressed(item);
    };
    progress();
    /** @type {Map<number, {url: string, headers: Record<string, string>, expires: number}>} */
    const urls = new Map();
    const urlFor = async (/** @type {number} */ n) => {
      const known = urls.get(n);
      if (known && known.expires > Date.now() + 30_000) return known;
      const numbers = missing.filter((m) => m >= n && !item.etags[m]).slice(0, SIGN_BATCH);
      const answer = await this.api.post(path`/api/events/${item.eventId}/uploads/${item.photoId ?? ''}/parts`, { part_numbers: numbers });
      for (const part of answer.parts) {
        urls.set(part.part_number, { url: part.url, headers: part.headers, expires: Date.parse(part.expires_at) });
      }
      return /** @type {{url: string, headers: Record<string, string>}} */ (urls.get(n));
    };
    await Promise.all(
      missing.map((n) =>
        this.slot(async () => {
          if (item.abort.signal.aborted) throw new TransferError('Cancelled.', 0, 'aborted');
          const body = file.slice((n - 1) * partBytes, (n - 1) * partBytes + size(n));
          const etag = await withRetries(
            async () => {
              let target;
              try {
                target = await urlFor(n);
              } catch (error) {
                throw asTransferError(error);
              }
              item.inflight.set(n, 0);
              return put(target.url, target.headers, body, (sent) => {
                item.inflight.set(n, sent);
                progress();
              }, item.abort.signal);
            },
            { refresh: async () => void urls.delete(n), onWait: (note) => this.note(item, note), signal: item.abort.signal },
          );
          item.inflight.delete(n);
          if (!etag) throw new TransferError('Storage did not return the part’s ETag (check its CORS ExposeHeaders).', 0, 'fatal');
          item.etags[n] = etag;
          progress();
          await this.persist(item);
        }, size(n)),
      ),
    );
    this.set(item, 'completing');
    /** @type {{part_number: number, etag: string}[]} */
    const parts = [];
    for (let n = 1; n <= count; n += 1) parts.push({ part_number: n, etag: item.etags[n] });
    await this.apiRetrying(() => this.api.post(path`/api/events/${item.eventId}/uploads/${item.photoId ?? ''}/complete`, { parts }), item);
  }
}
