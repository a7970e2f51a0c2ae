// Real photos for the tests (Debian's wallpaper packages, see scripts/install-test-deps).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BACKGROUNDS = '/usr/share/backgrounds';

/** The smallest `count` JPEGs there (fast to upload and process), by path. */
export function realPhotos(count) {
  const files = readdirSync(BACKGROUNDS)
    .filter((name) => /\.jpe?g$/i.test(name))
    .map((name) => join(BACKGROUNDS, name))
    .filter((path) => statSync(path).isFile())
    .sort((a, b) => statSync(a).size - statSync(b).size);
  if (files.length < count) throw new Error(`need ${count} photos in ${BACKGROUNDS}, found ${files.length}: run scripts/install-test-deps`);
  return files.slice(0, count);
}

/**
 * A large JPEG for multipart uploads: a real photo followed by random bytes up to `bytes`
 * (decoders stop at the End Of Image marker; the padding only makes the file large and
 * incompressible). Written to a fresh temporary directory; returns its path.
 * @param {number} bytes
 * @param {string} [name]
 */
export function paddedPhoto(bytes, name = 'large-photo.jpg') {
  const photo = readFileSync(realPhotos(1)[0]);
  if (photo.length >= bytes) throw new Error(`a padded photo must be larger than ${photo.length} bytes`);
  const path = join(mkdtempSync(join(tmpdir(), 'picpass-large-')), name);
  writeFileSync(path, Buffer.concat([photo, randomBytes(bytes - photo.length)]));
  return path;
}
