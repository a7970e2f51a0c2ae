// The PicPass HTTP API from the test's side: accounts, events, uploads, codes (for seeding
// and for checking what the browser did).
import { createHash } from 'node:crypto';

export class Client {
  /** @param {string} base */
  constructor(base, token = null) {
    this.base = base;
    this.token = token;
  }

  async call(method, path, body) {
    const headers = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
    return json;
  }

  get(path) { return this.call('GET', path); }
  post(path, body = {}) { return this.call('POST', path, body); }

  /** Signs up and logs in a photographer; returns a client carrying the token. */
  static async photographer(base, username) {
    const client = new Client(base);
    const password = 'correct horse battery';
    await client.post('/api/auth/signup', { username, email: `${username}@example.com`, password });
    const session = await client.post('/api/auth/login', { login: username, password });
    return Object.assign(new Client(base, session.token), { username, password, session });
  }

  /**
   * Uploads files (`{name, bytes: Buffer, type}`) to an event, single PUTs, `concurrency` at
   * a time; returns photo ids.
   */
  async upload(eventId, files, concurrency = 4) {
    const ids = [];
    for (let at = 0; at < files.length; at += 500) {
      const batch = files.slice(at, at + 500);
      const { tickets } = await this.post(`/api/events/${eventId}/uploads`, {
        files: batch.map((f) => ({ name: f.name, content_type: f.type ?? 'image/jpeg', bytes: f.bytes.length, sha256: createHash('sha256').update(f.bytes).digest('hex') })),
      });
      const queue = tickets.map((ticket, i) => [ticket, batch[i]]);
      const worker = async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const [ticket, file] = next;
          ids.push(ticket.photo_id);
          if (ticket.kind !== 'single') continue;
          const headers = Object.fromEntries(Object.entries(ticket.headers).filter(([k]) => k.toLowerCase() !== 'content-length'));
          const response = await fetch(ticket.url, { method: 'PUT', headers, body: file.bytes });
          if (!response.ok) throw new Error(`PUT ${file.name} → ${response.status} ${await response.text()}`);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    }
    return ids;
  }

  /** Waits until `count` photos of the event are ready (or any failed). */
  async waitReady(eventId, count, timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const failed = await this.get(`/api/events/${eventId}/photos?status=failed&limit=5`);
      if (failed.items.length) throw new Error(`processing failed: ${JSON.stringify(failed.items[0].error)}`);
      const event = await this.get(`/api/events/${eventId}`);
      let ready = 0;
      let cursor = null;
      do {
        const page = await this.get(`/api/events/${eventId}/photos?status=ready&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        ready += page.items.length;
        cursor = page.next_cursor;
      } while (cursor);
      if (ready >= count) return event;
      if (Date.now() > deadline) throw new Error(`only ${ready} of ${count} photos ready`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
