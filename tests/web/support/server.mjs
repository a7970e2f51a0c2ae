// A real `picpass serve` for one test file: the debug binary the cargo test run built, on
// 127.0.0.1:0, a fresh data directory, the repository's web/; killed when the file ends.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The `picpass` binary: $PICPASS_BIN, else <target>/debug/picpass (CARGO_TARGET_DIR or ./target). */
export function picpassBinary() {
  const target = process.env.CARGO_TARGET_DIR ? resolve(ROOT, process.env.CARGO_TARGET_DIR) : join(ROOT, 'target');
  const candidates = [process.env.PICPASS_BIN, join(target, 'debug/picpass')].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`picpass binary not found (looked at ${candidates.join(', ')}): run \`cargo build -p picpass\` or set PICPASS_BIN`);
  }
  return found;
}

/**
 * Starts the server; resolves with `{base, data, stop}` once it listens.
 * @param {{env?: Record<string, string>, web?: string, inMemory?: boolean}} [options] `inMemory`:
 *   the data directory on /dev/shm when there is one (tmpfs: the same code, without waiting
 *   on the disk's fsyncs; for tests that seed thousands of photos)
 */
export async function startServer(options = {}) {
  const parent = options.inMemory && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const data = mkdtempSync(join(parent, 'picpass-web-'));
  const logPath = join(data, '..', `${data.split('/').pop()}.log`);
  const log = openSync(logPath, 'a');
  const env = { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn', ...options.env };
  delete env.PICPASS_PUBLIC_BASE_URL;
  delete env.PICPASS_DATA_DIR;
  const child = spawn(picpassBinary(), [
    'serve', '--addr', '127.0.0.1:0', '--data', join(data, 'data'), '--web', options.web ?? join(ROOT, 'web'), '--reap-every', '5',
  ], {
    env,
    stdio: ['ignore', 'ignore', log],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 60_000;
  let base = '';
  while (!base) {
    const text = readFileSync(logPath, 'utf8');
    const match = /listening on (http:\/\/\S+)/.exec(text);
    if (match) base = match[1];
    else if (child.exitCode !== null) throw new Error(`picpass serve exited (${child.exitCode}):\n${text}`);
    else if (Date.now() > deadline) throw new Error(`picpass serve did not start:\n${text}`);
    else await new Promise((r) => setTimeout(r, 50));
  }
  return {
    base,
    data,
    log: () => readFileSync(logPath, 'utf8'),
    async stop() {
      child.kill('SIGKILL');
      await exited;
      rmSync(data, { recursive: true, force: true });
      rmSync(logPath, { force: true });
    },
  };
}
