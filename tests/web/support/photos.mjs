// Real photos for the tests (Debian's wallpaper packages, see scripts/install-test-deps).
import { readdirSync, statSync } from 'node:fs';
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
