// @ts-check
/**
 * What the device can tell about a photo before sending it, from its first bytes only (no
 * decode): the type by content (JPEG, PNG, WebP — what PicPass accepts), the upright
 * dimensions, and the capture time from EXIF (`DateTimeOriginal`, else `DateTime`).
 */

/** Bytes read from the start of each file: headers and EXIF sit there. */
const HEAD_BYTES = 256 * 1024;

/**
 * @typedef {object} ImageInfo
 * @property {'image/jpeg' | 'image/png' | 'image/webp' | null} type by content; null: not one we accept
 * @property {number | null} width upright
 * @property {number | null} height upright
 * @property {string | null} takenAt EXIF capture time as written, `YYYY-MM-DD HH:MM:SS`
 */

/**
 * @param {Blob} file
 * @returns {Promise<ImageInfo>}
 */
export async function readImageInfo(file) {
  const bytes = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
  return parseImageInfo(bytes);
}

/**
 * @param {Uint8Array} bytes the start of a file
 * @returns {ImageInfo}
 */
export function parseImageInfo(bytes) {
  const none = { type: null, width: null, height: null, takenAt: null };
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { ...none, ...jpeg(bytes), type: 'image/jpeg' };
  if (ascii(bytes, 1, 3) === 'PNG' && bytes[0] === 0x89) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { ...none, type: 'image/png', width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return { ...none, ...webp(bytes), type: 'image/webp' };
  return none;
}

/** @param {Uint8Array} bytes @param {number} at @param {number} length */
function ascii(bytes, at, length) {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

/** @param {Uint8Array} bytes */
function jpeg(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 2;
  let width = null;
  let height = null;
  let exif = { orientation: 1, takenAt: /** @type {string | null} */ (null) };
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) break;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    const length = view.getUint16(at + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (isFrame && at + 9 <= bytes.length) {
      height = view.getUint16(at + 5);
      width = view.getUint16(at + 7);
      break;
    }
    if (marker === 0xe1 && ascii(bytes, at + 4, 4) === 'Exif') {
      exif = readExif(bytes.subarray(at + 10, at + 2 + length));
    }
    if (marker === 0xda) break;
    at += 2 + length;
  }
  const turned = exif.orientation >= 5 && exif.orientation <= 8;
  return { width: turned ? height : width, height: turned ? width : height, takenAt: exif.takenAt };
}

/**
 * Orientation and capture time from a TIFF-structured EXIF block.
 * @param {Uint8Array} tiff
 */
function readExif(tiff) {
  const result = { orientation: 1, takenAt: /** @type {string | null} */ (null) };
  if (tiff.length < 8) return result;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const little = tiff[0] === 0x49;
  const u16 = (/** @type {number} */ o) => view.getUint16(o, little);
  const u32 = (/** @type {number} */ o) => view.getUint32(o, little);
  /** @param {number} offset @returns {Map<number, number>} tag → entry offset */
  const entries = (offset) => {
    const map = new Map();
    if (offset + 2 > tiff.length) return map;
    const count = u16(offset);
    for (let i = 0; i < count && offset + 2 + i * 12 + 12 <= tiff.length; i += 1) {
      const entry = offset + 2 + i * 12;
      map.set(u16(entry), entry);
    }
    return map;
  };
  /** @param {number | undefined} entry */
  const text = (entry) => {
    if (entry === undefined) return null;
    const count = u32(entry + 4);
    const at = count > 4 ? u32(entry + 8) : entry + 8;
    if (at + count > tiff.length) return null;
    const value = ascii(tiff, at, count).replace(/\0.*$/, '');
    const m = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}:\d{2}:\d{2})/.exec(value);
    return m ? `${m[1]}-${m[2]}-${m[3]} ${m[4]}` : null;
  };
  try {
    const ifd0 = entries(u32(4));
    const orientation = ifd0.get(0x0112);
    if (orientation !== undefined) result.orientation = u16(orientation + 8);
    const exifPointer = ifd0.get(0x8769);
    const exifIfd = exifPointer === undefined ? new Map() : entries(u32(exifPointer + 8));
    result.takenAt = text(exifIfd.get(0x9003)) ?? text(ifd0.get(0x0132));
  } catch {
    // A damaged EXIF block only loses the capture time; the server reads it again.
  }
  return result;
}

/** @param {Uint8Array} bytes */
function webp(bytes) {
  const chunk = ascii(bytes, 12, 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (chunk === 'VP8 ' && bytes.length >= 30) {
    return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  }
  if (chunk === 'VP8L' && bytes.length >= 25) {
    const bits = view.getUint32(21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X' && bytes.length >= 30) {
    const u24 = (/** @type {number} */ o) => bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16);
    return { width: u24(24) + 1, height: u24(27) + 1 };
  }
  return { width: null, height: null };
}
