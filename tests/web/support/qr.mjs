// Reads back the QR code the page drew (an SVG path of unit squares) with jsQR.
import jsQR from 'jsqr';

/** @param {string} d the path's `d` @param {number} size the viewBox side */
export function decodeQrPath(d, size) {
  const scale = 4;
  const n = size * scale;
  const pixels = new Uint8ClampedArray(n * n * 4).fill(255);
  for (const [, x, y] of d.matchAll(/M(\d+) (\d+)h1v1h-1z/g)) {
    for (let dy = 0; dy < scale; dy += 1) {
      for (let dx = 0; dx < scale; dx += 1) {
        const i = ((Number(y) * scale + dy) * n + Number(x) * scale + dx) * 4;
        pixels[i] = pixels[i + 1] = pixels[i + 2] = 0;
      }
    }
  }
  return jsQR(pixels, n, n)?.data ?? null;
}
