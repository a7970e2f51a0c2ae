#!/usr/bin/env python3
"""Benchmark of the local stack (`picpass serve`), every figure in one run on this machine.

1. Upload -> ready latency of one 12 MP photo (sunset_by_Aitzol_Berasategi.jpg, 4272x2848),
   20 times one after another: from the start of the presigned PUT until the API lists the
   photo `ready`. p50 and p95.
2. 200 real photos (the wallpapers, each copy made unique by bytes after its end marker)
   uploaded through the API at once and processed: photos per second, against
   `picpass derive` of the same 200 files in the same run (overhead = stack / derive - 1),
   one process (one file at a time) and two processes (the stack's two at a time).
3. 64 concurrent viewers for DURATION seconds (default 60), each looping: list a page of 50
   granted photos, ask for one download URL, fetch that photo's web copy. Requests per
   second, p50 / p99 latency, errors, and the server's peak RSS (VmHWM) — of a server
   restarted on the same data after step 2, so it is the viewers' alone (step 2's is printed
   too).
4. The same 64 viewers with 8 uploaders (each looping: register and PUT one small real
   photo, which the server processes meanwhile) for DURATION seconds: viewer latency,
   photos uploaded, 5xx answers (target 0), and the server's RSS every 5 s (flat or not).

The client is Python (one thread per viewer, keep-alive connections); on 2 cores it shares
the CPU with the server, so the viewer figures are a floor. Usage:
    scripts/bench-local-stack.py PICPASS_BINARY
"""

import hashlib
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

BACKGROUNDS = "/usr/share/backgrounds"
PHOTO_12MP = os.path.join(BACKGROUNDS, "sunset_by_Aitzol_Berasategi.jpg")
DURATION = int(os.environ.get("DURATION", "60"))
VIEWERS = 64


class Api:
    def __init__(self, base, token=None):
        parsed = urllib.parse.urlparse(base)
        self.host, self.port = parsed.hostname, parsed.port
        self.token = token
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def call(self, method, path, body=None, token=None, expect=None):
        headers = {"content-type": "application/json"}
        token = token or self.token
        if token:
            headers["authorization"] = f"Bearer {token}"
        data = json.dumps(body) if body is not None else None
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
        raw = response.read()
        value = json.loads(raw) if raw else None
        if expect is not None and response.status != expect:
            raise RuntimeError(f"{method} {path}: {response.status} {value}")
        return response.status, value

    def fetch(self, url, method="GET", body=None, headers=None):
        parsed = urllib.parse.urlparse(url)
        target = parsed.path + ("?" + parsed.query if parsed.query else "")
        self.conn.request(method, target, body=body, headers=headers or {})
        response = self.conn.getresponse()
        data = response.read()
        return response.status, data


def start_server(binary, data):
    log = open(data + ".log", "wb")
    proc = subprocess.Popen(
        [binary, "serve", "--addr", "127.0.0.1:0", "--data", data],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env={**os.environ, "RUST_LOG": "warn"},
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        text = open(data + ".log", "rb").read().decode(errors="replace")
        found = re.search(r"listening on (http://\S+)", text)
        if found:
            return proc, found.group(1)
        if proc.poll() is not None:
            sys.exit(f"picpass serve exited:\n{text}")
        time.sleep(0.05)
    sys.exit("picpass serve did not start")


def unique_copy(path, n):
    """The photo with `n` as bytes after its end marker: same pixels, its own SHA-256."""
    return open(path, "rb").read() + f"copy-{n}".encode()


def upload(api, event_id, files):
    """Registers and PUTs `files` [(name, bytes)]; returns photo ids and the PUT start times."""
    described = [
        {"name": n, "content_type": "image/jpeg", "bytes": len(b), "sha256": hashlib.sha256(b).hexdigest()}
        for n, b in files
    ]
    _, tickets = api.call("POST", f"/api/events/{event_id}/uploads", {"files": described}, expect=200)
    ids, started = [], []
    for ticket, (_, body) in zip(tickets["tickets"], files):
        assert ticket["kind"] == "single", ticket
        started.append(time.perf_counter())
        status, _ = api.fetch(ticket["url"], "PUT", body, ticket["headers"])
        assert status == 200, status
        ids.append(ticket["photo_id"])
    return ids, started


def ready_ids(api, event_id):
    ready, cursor = set(), None
    while True:
        query = f"?status=ready&limit=200" + (f"&cursor={cursor}" if cursor else "")
        _, page = api.call("GET", f"/api/events/{event_id}/photos{query}", expect=200)
        ready.update(p["photo_id"] for p in page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return ready


def latency(api):
    _, event = api.call("POST", "/api/events", {"name": "Latency", "ttl_seconds": 86400}, expect=201)
    times = []
    for i in range(20):
        (photo_id,), (started,) = upload(api, event["event_id"], [(f"p{i}.jpg", unique_copy(PHOTO_12MP, i))])
        while True:
            _, photo = api.call("GET", f"/api/events/{event['event_id']}/photos/{photo_id}", expect=200)
            if photo["status"] == "ready":
                times.append(time.perf_counter() - started)
                break
            assert photo["status"] != "failed", photo
            time.sleep(0.01)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1) + 0.5)]


def throughput(api, binary, work):
    wallpapers = sorted(
        os.path.join(BACKGROUNDS, f) for f in os.listdir(BACKGROUNDS) if f.endswith(".jpg")
    )
    files = [(f"photo-{i:03}.jpg", unique_copy(wallpapers[i % len(wallpapers)], i)) for i in range(200)]
    inputs = os.path.join(work, "inputs")
    os.makedirs(inputs)
    for name, body in files:
        with open(os.path.join(inputs, name), "wb") as f:
            f.write(body)
    _, event = api.call("POST", "/api/events", {"name": "Throughput", "ttl_seconds": 86400}, expect=201)
    started = time.perf_counter()
    ids = []
    for chunk in range(0, 200, 50):
        chunk_ids, _ = upload(api, event["event_id"], files[chunk : chunk + 50])
        ids += chunk_ids
    while len(ready_ids(api, event["event_id"])) < 200:
        time.sleep(0.1)
    stack_s = time.perf_counter() - started

    paths = [os.path.join(inputs, n) for n, _ in files]
    started = time.perf_counter()
    subprocess.run([binary, "derive", *paths, "--out", os.path.join(work, "derived")], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    derive_s = time.perf_counter() - started
    # `derive` takes one file at a time; the stack processes two at once (two cores), so
    # the like-for-like reference is two `derive` processes, half the files each.
    started = time.perf_counter()
    halves = [
        subprocess.Popen([binary, "derive", *paths[k::2], "--out", os.path.join(work, f"derived-{k}")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for k in range(2)
    ]
    for half in halves:
        assert half.wait() == 0
    derive2_s = time.perf_counter() - started
    return event, ids, stack_s, derive_s, derive2_s


def current_rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def viewers(base, event, ids, api, uploaders=0, pid=None):
    _, me = api.call("GET", "/api/me", expect=200)
    _, code = api.call("POST", f"/api/events/{event['event_id']}/codes", {"label": "all", "all": True}, expect=201)
    gallery = f"/api/g/{me['username']}/{event['slug']}"
    guest = Api(base)
    _, unlocked = guest.call("POST", f"{gallery}/unlock", {"code": code["code"]}, expect=200)
    token = unlocked["token"]
    latencies, errors, lock = [], [0], threading.Lock()
    server_errors, uploaded, rss = [0], [0], []
    stop_at = time.time() + DURATION
    small = os.path.join(BACKGROUNDS, "Fossa_by_Jasper_Roks.jpg")

    def uploader(n):
        client = Api(base, api.token)
        i = 0
        while time.time() < stop_at:
            body = unique_copy(small, f"load-{n}-{i}")
            described = [{"name": f"load-{n}-{i}.jpg", "content_type": "image/jpeg", "bytes": len(body),
                          "sha256": hashlib.sha256(body).hexdigest()}]
            try:
                status, tickets = client.call("POST", f"/api/events/{event['event_id']}/uploads", {"files": described})
                if status == 200:
                    status, _ = client.fetch(tickets["tickets"][0]["url"], "PUT", body, tickets["tickets"][0]["headers"])
                with lock:
                    if status >= 500:
                        server_errors[0] += 1
                    elif status == 200:
                        uploaded[0] += 1
                    else:
                        errors[0] += 1
            except Exception:  # noqa: BLE001 - counted, the run goes on
                with lock:
                    errors[0] += 1
            i += 1

    def sample_rss():
        while pid and time.time() < stop_at:
            rss.append(current_rss_mb(pid))
            time.sleep(5)

    def viewer(n):
        client = Api(base, token)
        mine, i = [], n
        while time.time() < stop_at:
            try:
                t = time.perf_counter()
                status, page = client.call("GET", f"{gallery}/photos?limit=50")
                lat1 = time.perf_counter() - t
                ok = status == 200
                photo = page["items"][i % len(page["items"])]
                t = time.perf_counter()
                status, download = client.call("GET", f"{gallery}/photos/{photo['photo_id']}/download")
                lat2 = time.perf_counter() - t
                ok = ok and status == 200
                t = time.perf_counter()
                status, _ = client.fetch(photo["web_url"])
                lat3 = time.perf_counter() - t
                ok = ok and status == 200
                mine += [lat1, lat2, lat3]
                if not ok:
                    with lock:
                        server_errors[0] += int(status >= 500)
                    with lock:
                        errors[0] += 1
            except Exception:  # noqa: BLE001 - counted, the run goes on
                with lock:
                    errors[0] += 1
            i += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=viewer, args=(n,)) for n in range(VIEWERS)]
    threads += [threading.Thread(target=uploader, args=(n,)) for n in range(uploaders)]
    threads.append(threading.Thread(target=sample_rss))
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    latencies.sort()
    return (
        len(latencies) / elapsed,
        statistics.median(latencies) * 1000,
        latencies[int(0.99 * (len(latencies) - 1))] * 1000,
        errors[0],
        len(latencies),
        server_errors[0],
        uploaded[0],
        rss,
    )


def peak_rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as work:
        proc, base = start_server(binary, os.path.join(work, "data"))
        try:
            api = Api(base)
            password = "benchmark password"
            api.call("POST", "/api/auth/signup", {"username": "bench", "email": "bench@example.com", "password": password}, expect=201)
            _, session = api.call("POST", "/api/auth/login", {"login": "bench", "password": password}, expect=200)
            api.token = session["token"]
            p50, p95 = latency(api)
            print(f"upload->ready, 12 MP, 20 in a row: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
            event, ids, stack_s, derive_s, derive2_s = throughput(api, binary, work)
            print(
                f"200 photos: stack {stack_s:.1f} s ({200 / stack_s:.2f} photos/s); "
                f"picpass derive {derive_s:.1f} s ({200 / derive_s:.2f} photos/s), stack vs it "
                f"{100 * (stack_s / derive_s - 1):+.1f} %; two derive processes {derive2_s:.1f} s "
                f"({200 / derive2_s:.2f} photos/s), stack vs them {100 * (stack_s / derive2_s - 1):+.1f} %"
            )
            print(f"server peak RSS after processing: {peak_rss_mb(proc.pid):.0f} MB")
            # A fresh server on the same data, so the viewers' peak RSS is theirs alone.
            proc.terminate()
            proc.wait(timeout=60)
            proc, base = start_server(binary, os.path.join(work, "data"))
            api = Api(base, api.token)
            rps, p50v, p99v, errors, requests, _, _, _ = viewers(base, event, ids, api)
            print(
                f"{VIEWERS} viewers x {DURATION} s: {requests} requests, {rps:.0f} req/s, "
                f"p50 {p50v:.1f} ms, p99 {p99v:.1f} ms, {errors} errors, "
                f"server peak RSS {peak_rss_mb(proc.pid):.0f} MB"
            )
            # 4. The same viewers with 8 photographers uploading (small real photos, each
            # processed as it lands): 5xx counted apart, RSS sampled every 5 s.
            rps, p50v, p99v, errors, requests, fivexx, uploaded, rss = viewers(
                base, event, ids, api, uploaders=8, pid=proc.pid)
            print(
                f"{VIEWERS} viewers + 8 uploaders x {DURATION} s: {requests} viewer requests, "
                f"{rps:.0f} req/s, p50 {p50v:.1f} ms, p99 {p99v:.1f} ms; {uploaded} photos uploaded; "
                f"{fivexx} 5xx, {errors} other errors; server RSS every 5 s (MB): "
                + " ".join(f"{r:.0f}" for r in rss)
            )
        finally:
            proc.terminate()
            proc.wait(timeout=60)


if __name__ == "__main__":
    main()
