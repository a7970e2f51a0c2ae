// Unit tests of the web app's pure modules, in Node (no browser): Cognito's PKCE URL and
// code exchange, the incremental SHA-256, the QR encoder (read back by jsQR), and what is
// read from a photo's first bytes.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import jsQR from 'jsqr';
import { authorizeUrl, challengeOf, exchangeCode, logoutUrl, newVerifier } from '../../web/js/auth/cognito.js';
import { qrModules } from '../../web/js/components/qr.js';
import { parseImageInfo } from '../../web/js/upload/image-info.js';
import { refusal } from '../../web/js/upload/limits.js';
import { Sha256 } from '../../web/js/upload/sha256.js';
import { realPhotos } from './support/photos.mjs';

const cognito = { domain: 'picpass-dev.auth.eu-west-1.amazoncognito.com', client_id: 'abc123' };

test('the PKCE challenge is the RFC 7636 S256 of the verifier', async () => {
  // RFC 7636, appendix B.
  assert.equal(await challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  const verifier = newVerifier();
  assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(verifier, newVerifier());
});

test('the authorize URL asks the hosted UI for a code with the S256 challenge', () => {
  const url = new URL(authorizeUrl(cognito, { redirectUri: 'https://photos.example/', state: 'st4te', challenge: 'ch4llenge' }));
  assert.equal(url.origin + url.pathname, 'https://picpass-dev.auth.eu-west-1.amazoncognito.com/oauth2/authorize');
  assert.deepEqual(Object.fromEntries(url.searchParams), {
    response_type: 'code', client_id: 'abc123', redirect_uri: 'https://photos.example/', scope: 'openid email profile',
    state: 'st4te', code_challenge_method: 'S256', code_challenge: 'ch4llenge',
  });
  assert.equal(new URL(logoutUrl({ ...cognito, domain: 'https://auth.example.com/' }, 'https://photos.example/')).href,
    'https://auth.example.com/logout?client_id=abc123&logout_uri=https%3A%2F%2Fphotos.example%2F');
});

test('the code exchange posts the verifier and keeps the ID token', async () => {
  let sent;
  const fetchImpl = async (url, init) => {
    sent = { url, ...init };
    return new Response(JSON.stringify({ id_token: 'id.jwt', access_token: 'access.jwt', expires_in: 3600, token_type: 'Bearer' }), { status: 200 });
  };
  const session = await exchangeCode(cognito, { code: 'c0de', verifier: 'v3rifier', redirectUri: 'https://photos.example/' }, fetchImpl, Date.UTC(2026, 0, 1));
  assert.deepEqual(session, { token: 'id.jwt', expires_at: '2026-01-01T01:00:00.000Z' });
  assert.equal(sent.url, 'https://picpass-dev.auth.eu-west-1.amazoncognito.com/oauth2/token');
  assert.equal(sent.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.deepEqual(Object.fromEntries(new URLSearchParams(sent.body)), {
    grant_type: 'authorization_code', client_id: 'abc123', code: 'c0de', redirect_uri: 'https://photos.example/', code_verifier: 'v3rifier',
  });
});

test('a refused code exchange says why', async () => {
  const fetchImpl = async () => new Response(JSON.stringify({ error: 'invalid_grant' }), { status: 400 });
  await assert.rejects(exchangeCode(cognito, { code: 'old', verifier: 'v', redirectUri: 'https://p/' }, fetchImpl), /Sign-in failed \(invalid_grant\)/);
  const offline = async () => { throw new TypeError('fetch failed'); };
  await assert.rejects(exchangeCode(cognito, { code: 'c', verifier: 'v', redirectUri: 'https://p/' }, offline), /Could not reach the sign-in service/);
});

test('SHA-256 fed in pieces equals Node’s, at every padding boundary', () => {
  for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 100_003]) {
    const bytes = randomBytes(length);
    const hash = new Sha256();
    for (let at = 0; at < length; at += 37) hash.update(bytes.subarray(at, at + 37));
    assert.equal(hash.hex(), createHash('sha256').update(bytes).digest('hex'), `length ${length}`);
  }
  const photo = readFileSync(realPhotos(1)[0]);
  assert.equal(new Sha256().update(photo).hex(), createHash('sha256').update(photo).digest('hex'));
});

test('QR codes read back as their text, small to large versions', () => {
  for (const text of ['https://photos.example/e/anna/anna-ben#code=ABCD-EFGH-JKMN', 'x'.repeat(300), 'é'.repeat(400)]) {
    const modules = qrModules(text);
    const scale = 3;
    const n = (modules.length + 8) * scale;
    const pixels = new Uint8ClampedArray(n * n * 4).fill(255);
    modules.forEach((row, y) => row.forEach((on, x) => {
      if (!on) return;
      for (let dy = 0; dy < scale; dy += 1) {
        for (let dx = 0; dx < scale; dx += 1) {
          const i = (((y + 4) * scale + dy) * n + (x + 4) * scale + dx) * 4;
          pixels[i] = pixels[i + 1] = pixels[i + 2] = 0;
        }
      }
    }));
    assert.equal(jsQR(pixels, n, n)?.data, text);
  }
});

test('a photo’s type, size and capture time come from its first bytes; a text file is refused', () => {
  const photo = readFileSync(realPhotos(1)[0]);
  const info = parseImageInfo(photo.subarray(0, 256 * 1024));
  assert.equal(info.type, 'image/jpeg');
  assert.ok(info.width > 1000 && info.height > 1000);
  assert.equal(refusal({ size: photo.length }, info), null);
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452000001e0000002d0', 'hex');
  assert.deepEqual(parseImageInfo(png), { type: 'image/png', width: 480, height: 720, takenAt: null });
  const text = parseImageInfo(Buffer.from('not a photo'));
  assert.equal(text.type, null);
  assert.match(refusal({ size: 11 }, text), /only JPEG, PNG and WebP/);
  // EXIF DateTimeOriginal, little-endian TIFF, orientation 6 (turned): upright size swaps.
  const exif = Buffer.alloc(200);
  exif.write('II', 0); exif.writeUInt16LE(42, 2); exif.writeUInt32LE(8, 4);
  exif.writeUInt16LE(2, 8);
  exif.writeUInt16LE(0x0112, 10); exif.writeUInt16LE(3, 12); exif.writeUInt32LE(1, 14); exif.writeUInt16LE(6, 18);
  exif.writeUInt16LE(0x8769, 22); exif.writeUInt16LE(4, 24); exif.writeUInt32LE(1, 26); exif.writeUInt32LE(50, 30);
  exif.writeUInt16LE(1, 50);
  exif.writeUInt16LE(0x9003, 52); exif.writeUInt16LE(2, 54); exif.writeUInt32LE(20, 56); exif.writeUInt32LE(80, 60);
  exif.write('2026:11:21 14:05:09\0', 80);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1]), Buffer.from([0, 0]), Buffer.from('Exif\0\0'), exif]);
  app1.writeUInt16BE(app1.length - 2, 2);
  const sof = Buffer.from([0xff, 0xc0, 0, 11, 8, 0x0b, 0xb8, 0x0f, 0xa0, 1, 0, 0, 0]); // 4000 × 3000
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8]), app1, sof]);
  assert.deepEqual(parseImageInfo(jpeg), { type: 'image/jpeg', width: 3000, height: 4000, takenAt: '2026-11-21 14:05:09' });
});
