// @ts-check
/**
 * Unfinished uploads kept in IndexedDB, so a reloaded page lists them and resumes one when
 * its file is selected again (multipart uploads from the parts already stored).
 */

/**
 * @typedef {object} UploadRecord
 * @property {string} key
 * @property {string} eventId
 * @property {string} name
 * @property {number} size
 * @property {number} lastModified
 * @property {string} type
 * @property {string | null} sha256
 * @property {string | null} photoId
 * @property {string | null} uploadId multipart upload id
 * @property {number | null} partBytes
 * @property {Record<number, string>} etags part number → ETag
 */

const DB = 'picpass-uploads';
const STORE = 'uploads';

/** @type {Promise<IDBDatabase | null> | null} */
let opening = null;

/** @returns {Promise<IDBDatabase | null>} null where IndexedDB is unavailable (private modes) */
function db() {
  opening ??= new Promise((resolve) => {
    try {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'key' });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => resolve(null);
    } catch {
      resolve(null);
    }
  });
  return opening;
}

/**
 * @template T
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest<T>} action
 * @returns {Promise<T | null>}
 */
async function run(mode, action) {
  const database = await db();
  if (!database) return null;
  return new Promise((resolve) => {
    const request = action(database.transaction(STORE, mode).objectStore(STORE));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
  });
}

/** Writes records in one transaction. @param {UploadRecord[]} records */
export async function saveRecords(records) {
  const database = await db();
  if (!database || records.length === 0) return;
  const transaction = database.transaction(STORE, 'readwrite');
  const store = transaction.objectStore(STORE);
  for (const record of records) store.put(record);
  await new Promise((resolve) => {
    transaction.oncomplete = resolve;
    transaction.onerror = resolve;
    transaction.onabort = resolve;
  });
}

/** @param {string} key */
export async function deleteRecord(key) {
  await run('readwrite', (store) => store.delete(key));
}

/** @returns {Promise<UploadRecord[]>} */
export async function allRecords() {
  return (await run('readonly', (store) => store.getAll())) ?? [];
}
