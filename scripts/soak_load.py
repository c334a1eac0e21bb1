#!/usr/bin/env python3
"""Mixed load for scripts/soak.sh (not a test): runs for DURATION seconds against one
server and prints, every minute, what it sent and what came back.

Clients (threads): valid paid requests (keep-alive), invalid ones (bad parameters, bad
key, unknown path, malformed HTTP), slow clients (a header byte every few seconds, held
open until the server's idle timeout closes them), an admin client that creates keys,
grants credits and revokes keys, and one ingest per minute. Every request loop is bounded
by the deadline; only 127.0.0.1 is contacted.

usage: soak_load.py PORT KEY ADMIN_TOKEN DURATION_SECONDS STATS_FILE
"""
import http.client
import json
import random
import socket
import sys
import threading
import time

port, key, admin, duration, stats_path = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
                                          float(sys.argv[4]), sys.argv[5])
deadline = time.monotonic() + duration
lock = threading.Lock()
counts = {}  # (client, status) -> n


def count(client, status):
    with lock:
        counts[(client, status)] = counts.get((client, status), 0) + 1


def request(conn, method, path, headers=None, body=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    return r.status, data


def valid_client(seed):
    rnd = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    regions = ["US", "GB", "DE", "FR", "JP"]
    while time.monotonic() < deadline:
        q = "region=%s&period=%d&page=%d&limit=%d" % (
            rnd.choice(regions), rnd.choice([7, 30, 120]), rnd.randint(1, 3), rnd.randint(1, 20))
        try:
            status, _ = request(conn, "GET", "/v1/tiktok/trending/music?" + q,
                                {"Authorization": "Bearer " + key})
            count("valid", status)
        except Exception as e:  # a dropped connection is counted, then reopened
            count("valid", "error:" + type(e).__name__)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def invalid_client(seed):
    rnd = random.Random(seed)
    bad = [
        ("GET", "/v1/tiktok/trending/music?period=8", {"Authorization": "Bearer " + key}),
        ("GET", "/v1/tiktok/trending/music?%FF=%zz", {"Authorization": "Bearer " + key}),
        ("GET", "/v1/tiktok/trending/music", {"Authorization": "Bearer sk_live_nope"}),
        ("GET", "/v1/tiktok/trending/music", {}),
        ("GET", "/nowhere", {}),
        ("POST", "/admin/v1/keys", {"Authorization": "Bearer wrong"}),
    ]
    raw = [b"GET / HTTP/1.1\r\n\r\n", b"POST /admin/v1/ingest HTTP/1.1\r\nHost: x\r\n"
           b"Transfer-Encoding: gzip\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n", b"\x16\x03\x01\x00"]
    while time.monotonic() < deadline:
        try:
            if rnd.random() < 0.3:
                with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                    s.sendall(rnd.choice(raw))
                    s.shutdown(socket.SHUT_WR)
                    reply = s.recv(200)
                    count("invalid", reply[9:12].decode("latin-1") if reply else "closed")
            else:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                method, path, headers = rnd.choice(bad)
                status, _ = request(conn, method, path, headers)
                conn.close()
                count("invalid", status)
        except Exception as e:
            count("invalid", "error:" + type(e).__name__)
        time.sleep(0.01)


def slow_client(seed):
    rnd = random.Random(seed)
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
                for b in b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 100:
                    if time.monotonic() >= deadline:
                        return
                    s.sendall(bytes([b]))
                    time.sleep(rnd.uniform(1, 4))
                count("slow", "not closed")
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            count("slow", "closed by server")
        except Exception as e:
            count("slow", "error:" + type(e).__name__)


def admin_client():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    auth = {"Authorization": "Bearer " + admin, "Content-Type": "application/json"}
    i = 0
    while time.monotonic() < deadline:
        i += 1
        try:
            status, body = request(conn, "POST", "/admin/v1/keys", auth,
                                   json.dumps({"name": "soak-%d" % i, "credits": 100}))
            count("admin", "create %s" % status)
            key_id = json.loads(body)["data"]["key_id"]
            status, _ = request(conn, "POST", "/admin/v1/credits/grant", auth, json.dumps(
                {"key_id": key_id, "grant_id": "soak-grant-%d" % i, "amount": 10}))
            count("admin", "grant %s" % status)
            status, _ = request(conn, "POST", "/admin/v1/keys/revoke", auth,
                                json.dumps({"key_id": key_id}))
            count("admin", "revoke %s" % status)
        except Exception as e:
            count("admin", "error:" + type(e).__name__)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        time.sleep(1)


def ingest_client():
    n = 0
    while time.monotonic() < deadline:
        n += 1
        now = int(time.time())
        body = "".join('{"type":"use","clip_id":"%d","region":"US","time":%d}\n' %
                       (7100000000000000000 + k % 50, now - 86400 - k) for k in range(2000))
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            status, _ = request(conn, "POST", "/admin/v1/ingest?batch_id=soak-%d" % n,
                                {"Authorization": "Bearer " + admin}, body)
            conn.close()
            count("ingest", status)
        except Exception as e:
            count("ingest", "error:" + type(e).__name__)
        end = time.monotonic() + 60
        while time.monotonic() < min(end, deadline):
            time.sleep(1)


threads = [threading.Thread(target=valid_client, args=(i,)) for i in range(3)]
threads += [threading.Thread(target=invalid_client, args=(10 + i,)) for i in range(2)]
threads += [threading.Thread(target=slow_client, args=(20 + i,)) for i in range(8)]
threads += [threading.Thread(target=admin_client), threading.Thread(target=ingest_client)]
for t in threads:
    t.daemon = True
    t.start()
while time.monotonic() < deadline:
    time.sleep(min(60, max(0.1, deadline - time.monotonic())))
    with lock, open(stats_path, "w") as f:
        json.dump({"%s %s" % k: v for k, v in sorted(counts.items(), key=str)}, f)
for t in threads:
    t.join(timeout=70)
with lock, open(stats_path, "w") as f:
    json.dump({"%s %s" % k: v for k, v in sorted(counts.items(), key=str)}, f)
