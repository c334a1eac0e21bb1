#!/usr/bin/env python3
"""The README's first command, `bash scripts/run.sh`, as a new user runs it.

Usage: run_script_test.py REPO_DIR

Runs the real scripts/run.sh of REPO_DIR (install-deps, configure, build: no-ops once the
release preset is built, as in CI after scripts/test.sh's build), with its database in a
fresh temporary directory (SOUNDTREND_DB), a port the kernel picks (SOUNDTREND_PORT=0) and
a small demo platform (DEMO_SOUNDS/DEMO_DAYS). Checks:
  - first run on a database that does not exist yet: it generates, ingests and builds the
    demo, prints a demo key and a curl line; that line, pasted into a shell, answers 200
    with a chart;
  - Ctrl-C (SIGINT to the whole foreground process group, as a terminal sends it) stops
    the service gracefully: exit status 0 and the port closed;
  - the key is shown on the terminal only: no file the run wrote contains it;
  - second run on the same database: no new demo data, a fresh key; the first run's key is
    revoked (401) and the new one works; SIGTERM to the script also stops it with status 0.
Exit status 0 on success; failures are printed and exit 1.
"""
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, flush=True)
    return cond


class Run:
    """One `bash scripts/run.sh` in its own session (process group), stdout captured."""

    def __init__(self, repo, env, log_path):
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(["bash", "scripts/run.sh"], cwd=repo, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.lines = []

    def read_until(self, pattern, timeout):
        """Lines until one matches `pattern` (a regex); returns the match or None."""
        deadline = time.monotonic() + timeout
        buffered = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 1.0)
            if not ready:
                if self.proc.poll() is not None:
                    return None
                continue
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.log.write(chunk)
            self.log.flush()
            buffered += chunk
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                text = line.decode("utf-8", "replace")
                self.lines.append(text)
                match = re.search(pattern, text)
                if match:
                    return match
        return None

    def drain_and_wait(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if chunk:
                    self.log.write(chunk)
                    self.lines.extend(chunk.decode("utf-8", "replace").splitlines())
                    continue
            if self.proc.poll() is not None:
                return self.proc.returncode
        return None

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def curl_status(line):
    """Runs a printed curl line in a shell, with the status code appended; (status, body)."""
    p = subprocess.run(["bash", "-c", line + " -s -o /dev/stdout -w '\\n%{http_code}'"],
                       capture_output=True, text=True, timeout=30)
    body, _, status = p.stdout.rpartition("\n")
    return (int(status) if status.isdigit() else 0), body


def port_open(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def files_containing(root, needle):
    hits = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                if needle in f.read():
                    hits.append(path)
    return hits


def start_and_wait_for_key(run):
    curl = run.read_until(r"^\s*(curl -H 'Authorization: Bearer (sk_live_\w+)' '(http://[^/]+)/\S+')$",
                          timeout=240)
    if not check(curl is not None, "run.sh printed a curl line with a demo key"):
        return None
    return curl.group(1), curl.group(2), int(curl.group(3).rsplit(":", 1)[1])


def main():
    repo = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="st_run_script_")
    env = dict(os.environ, SOUNDTREND_DB=os.path.join(work, "data", "soundtrend.db"),
               SOUNDTREND_PORT="0", DEMO_SOUNDS="300", DEMO_DAYS="30")
    log_path = os.path.join(work, "..", os.path.basename(work) + ".log")
    run = Run(repo, env, log_path)
    try:
        started = start_and_wait_for_key(run)
        if started is None:
            return
        line, first_key, port = started
        check(any(l.startswith("== first run") for l in run.lines),
              "first run generated the demo platform")
        status, body = curl_status(line)
        check(status == 200, f"the printed curl line answers 200 (got {status})")
        if status == 200:
            items = json.loads(body)["data"]["sound_list"]
            check(len(items) > 0, "the chart has items")
        os.killpg(run.proc.pid, signal.SIGINT)
        rc = run.drain_and_wait(timeout=30)
        check(rc == 0, f"Ctrl-C stops run.sh with status 0 (got {rc})")
        check(not port_open(port), "the port is closed after Ctrl-C")
        check(files_containing(work, first_key.encode()) == [],
              "no file holds the demo key")

        run = Run(repo, env, log_path)
        started = start_and_wait_for_key(run)
        if started is None:
            return
        line, second_key, port = started
        check(not any(l.startswith("== first run") for l in run.lines),
              "second run reuses the demo data")
        check(second_key != first_key, "second run prints a fresh key")
        status, _ = curl_status(line)
        check(status == 200, f"the new key answers 200 (got {status})")
        status, _ = curl_status(line.replace(second_key, first_key))
        check(status == 401, f"the first run's key is revoked: 401 (got {status})")
        run.proc.send_signal(signal.SIGTERM)
        rc = run.drain_and_wait(timeout=30)
        check(rc == 0, f"SIGTERM stops run.sh with status 0 (got {rc})")
        check(not port_open(port), "the port is closed after SIGTERM")
    finally:
        run.kill()
        if failures:
            with open(log_path, "rb") as f:
                print("run.sh output (tail):\n" + f.read().decode("utf-8", "replace")[-6000:])
        subprocess.run(["rm", "-rf", work, log_path])


if __name__ == "__main__":
    main()
    if failures:
        print(f"{len(failures)} failure(s)", flush=True)
        sys.exit(1)
    print("ok", flush=True)
