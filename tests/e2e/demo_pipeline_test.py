#!/usr/bin/env python3
"""End-to-end: soundtrend demo -> ingest -> build -> keys create -> serve -> GET.

Usage: demo_pipeline_test.py SOUNDTREND_BINARY

Everything runs in a fresh temporary directory with its own database; the server listens
on 127.0.0.1 on a port the kernel picks (--port 0). Checks:
  - the same seeded demo written twice is byte-identical;
  - ingest and build succeed; the trending endpoint answers 200 with 20 items, ranks 1..20,
    the same request id in X-Request-Id and in the body, and full first pages in every
    generated region and period;
  - ingesting the same files a second time changes nothing: a restarted server (which
    loads the store afresh) gives the same charts;
  - SIGTERM stops the server with exit status 0.
Exit status 0 on success; failures are printed and exit 1.
"""
import datetime
import filecmp
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REGIONS = ["US", "GB", "BR"]
DEMO_FILES = ["catalog.ndjson", "daily.csv.gz", "uses.ndjson.gz"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, flush=True)
    return cond


def run(binary, db, *args, timeout=60):
    cmd = [binary, "--db", db, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        print("$ " + " ".join(cmd) + f"\nexit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}",
              flush=True)
    return p


class Server:
    def __init__(self, binary, db, workdir):
        self.log = open(os.path.join(workdir, "serve.log"), "ab")
        self.proc = subprocess.Popen(
            [binary, "--db", db, "serve", "--host", "127.0.0.1", "--port", "0", "--threads", "2"],
            stdout=subprocess.PIPE, stderr=self.log)
        self.base = None
        deadline = time.monotonic() + 20
        line = b""
        while time.monotonic() < deadline and self.proc.poll() is None:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if not ready:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                break
            line += chunk
            if b"\n" in line:
                first = line.split(b"\n", 1)[0].decode()
                if first.startswith("listening on "):
                    self.base = first[len("listening on "):]
                break
        if self.base is None:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"serve did not print 'listening on' (got {line!r})")

    def get(self, path, key):
        req = urllib.request.Request(self.base + path, headers={"Authorization": "Bearer " + key})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            check(False, "serve did not stop within 15 s of SIGTERM")
        self.log.close()
        return rc


def charts(server, key):
    """The `data` of every generated region x period's first page (the part that must not
    change when the same input is ingested again)."""
    out = {}
    for region in REGIONS:
        for period in (7, 30, 120):
            status, _, body = server.get(
                f"/v1/tiktok/trending/music?region={region}&period={period}", key)
            check(status == 200, f"{region}/{period}: HTTP {status}: {body[:200]!r}")
            doc = json.loads(body)
            items = doc["data"]["sound_list"] if doc.get("data") else []
            check(len(items) == 20, f"{region}/{period}: {len(items)} items on the first page")
            out[(region, period)] = doc.get("data")
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="soundtrend-e2e-") as tmp:
        db = os.path.join(tmp, "data", "soundtrend.db")
        # Yesterday, computed once so both demo runs use the same span.
        end_day = (datetime.datetime.now(datetime.timezone.utc).date() -
                   datetime.timedelta(days=1)).isoformat()
        demo_args = ["--seed", "7", "--sounds", "400", "--days", "14", "--end-day", end_day,
                     "--regions", ",".join(REGIONS), "--raw-days", "5", "--raw-fraction", "0.3"]
        for name in ("a", "b"):
            p = run(binary, db, "demo", "--out", os.path.join(tmp, name), *demo_args)
            if not check(p.returncode == 0, f"demo --out {name} exits 0"):
                return 1
        for f in DEMO_FILES:
            check(filecmp.cmp(os.path.join(tmp, "a", f), os.path.join(tmp, "b", f), shallow=False),
                  f"the same seeded demo twice writes byte-identical {f}")

        files_a = [os.path.join(tmp, "a", f) for f in DEMO_FILES]
        p = run(binary, db, "ingest", *files_a)
        if not check(p.returncode == 0, "ingest exits 0"):
            return 1
        p = run(binary, db, "build")
        if not check(p.returncode == 0, "build exits 0"):
            return 1
        p = run(binary, db, "keys", "create", "--name", "e2e", "--credits", "1000", "--qps", "100")
        if not check(p.returncode == 0, "keys create exits 0"):
            return 1
        key = p.stdout.splitlines()[0]
        check(key.startswith("sk_live_"), "keys create prints the key alone on line 1")

        server = Server(binary, db, tmp)
        status, headers, body = server.get("/v1/tiktok/trending/music?region=US&period=7", key)
        check(status == 200, f"trending US/7: HTTP 200 (got {status}: {body[:300]!r})")
        doc = json.loads(body)
        items = doc["data"]["sound_list"] if doc.get("data") else []
        check(len(items) == 20, f"20 items (got {len(items)})")
        check([i["rank"] for i in items] == list(range(1, 21)), "ranks 1..20")
        check(all(i["usage_count"] >= 1 for i in items), "usage counts >= 1")
        counts = [i["usage_count"] for i in items]
        check(counts == sorted(counts, reverse=True), "usage counts descending")
        check(doc["data"]["pagination"]["total"] > 20, "more than one page in US/7")
        request_id = {k.lower(): v for k, v in headers.items()}.get("x-request-id")
        check(request_id is not None and request_id == doc.get("requestId"),
              f"X-Request-Id ({request_id}) == body requestId ({doc.get('requestId')})")
        before = charts(server, key)
        rc = server.stop()
        check(rc == 0, f"serve exits 0 on SIGTERM (got {rc})")

        # The same files again (the copies in b/, byte-identical): nothing changes.
        files_b = [os.path.join(tmp, "b", f) for f in DEMO_FILES]
        p = run(binary, db, "ingest", *files_b)
        check(p.returncode == 0, "second ingest of the same files exits 0")
        check(p.stdout.count(": already applied") == len(DEMO_FILES),
              f"second ingest reports every file as already applied:\n{p.stdout}")
        p = run(binary, db, "build")
        check(p.returncode == 0, "build after the second ingest exits 0")
        server = Server(binary, db, tmp)
        after = charts(server, key)
        rc = server.stop()
        check(rc == 0, f"restarted serve exits 0 on SIGTERM (got {rc})")
        for k in before:
            check(before[k] == after.get(k),
                  f"{k[0]}/{k[1]}: the same charts after ingesting the same files twice")

        # Late data for a day already built (docs/api.md §4): `build` recomputes the editions it
        # affects and says so; the served chart has it.
        late_day = (datetime.date.fromisoformat(end_day) - datetime.timedelta(days=3)).isoformat()
        clip = before[("US", 7)]["sound_list"][-1]["clip_id"]
        late = os.path.join(tmp, "late.ndjson")
        with open(late, "w") as f:
            f.write(json.dumps({"type": "daily", "clip_id": clip, "region": "US",
                                "day": late_day, "uses": 1000000}) + "\n")
        p = run(binary, db, "ingest", late)
        check(p.returncode == 0, "ingest of a late file exits 0")
        p = run(binary, db, "build")
        check(p.returncode == 0, "build after late data exits 0")
        check("late data: 1 (region, day) pairs changed" in p.stdout and "recomputed: " in p.stdout,
              f"build reports what the late data changed:\n{p.stdout}")
        server = Server(binary, db, tmp)
        status, _, body = server.get("/v1/tiktok/trending/music?region=US&period=7", key)
        items = json.loads(body)["data"]["sound_list"] if status == 200 else []
        check(bool(items) and items[0]["clip_id"] == clip,
              f"the late uses put {clip} first in US/7 (got {items[:1]})")
        rc = server.stop()
        check(rc == 0, f"serve exits 0 on SIGTERM (got {rc})")
    print(f"e2e finished in {time.monotonic() - started:.1f} s with {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
