"""Load test of ``curnlp serve`` on this machine's loopback: throughput, p50/p99 latency of
``POST /route`` for 1, 8 and 32 concurrent clients, with entities off and on; RSS per worker.

    python benchmarks/serve_load.py [--corpus PATH] [--workers 1] [--requests 200] [--clients 1,8,32]
    python benchmarks/serve_load.py --tiny        # a few requests: checks that the script works

Starts ``python -m curnlp serve`` on 127.0.0.1 (a free port) for each mode, sends corpus
messages (cycled) from client threads, each on its own keep-alive connection, and stops the
server. Every loop is bounded: ``--requests`` per client and ``--max-seconds`` per level.
The clients run on the same machine as the server: on few cores they take CPU from it, so
read the figures as a floor of what the service does.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from _common import REPO, corpus_texts, parser, percentiles  # noqa: E402

HOST = "127.0.0.1"  # loopback only: never point a load test elsewhere


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker_pids(pid: int) -> list[int]:
    """The server's worker processes (itself when it runs one worker)."""
    try:
        import psutil
        children = [c.pid for c in psutil.Process(pid).children() if "spawn_main" in " ".join(c.cmdline())]
    except Exception:
        children = []
    return children or [pid]


def start_server(workers: int, entities: bool, db: str) -> tuple[subprocess.Popen, int, float]:
    port = free_port()
    args = [sys.executable, "-m", "curnlp", "serve", "--host", HOST, "--port", str(port), "--workers", str(workers),
            "--feedback-db", db, "--log-level", "warning"] + ([] if entities else ["--no-entities"])
    t0 = time.monotonic()
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = t0 + 180
    ready = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=2) as resp:
                ready += resp.status == 200
        except OSError:
            pass
        if ready >= 3 * workers:  # several answers in a row: every worker has loaded (most likely)
            return proc, port, time.monotonic() - t0
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not become ready in 180 s")


def client(port: int, texts: list[str], start: int, n: int, stop_at: float, out: list, errors: list) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        for i in range(n):
            if time.monotonic() > stop_at:
                break
            body = json.dumps({"text": texts[(start + i) % len(texts)]}, ensure_ascii=False).encode()
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/route", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    errors.append(f"HTTP {resp.status}")
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                errors.append(repr(exc))
            out.append(time.perf_counter() - t0)
    finally:
        conn.close()


def level(port: int, texts: list[str], clients: int, requests: int, max_seconds: float) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = time.monotonic() + max_seconds
    threads = [threading.Thread(target=client, args=(port, texts, k * 9973, requests, stop_at, latencies, errors))
               for k in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    p = percentiles(latencies) if latencies else {}
    return {"clients": clients, "requests": len(latencies), "errors": len(errors), "seconds": wall,
            "per_second": len(latencies) / wall if wall else 0.0, **p}


def main() -> int:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--requests", type=int, default=200, help="requests per client (default 200)")
    p.add_argument("--clients", default="1,8,32", help="concurrency levels (default 1,8,32)")
    p.add_argument("--modes", default="off,on", help="entities modes to run (default off,on)")
    p.add_argument("--max-seconds", type=float, default=120, help="time bound of one level (default 120)")
    p.add_argument("--max-chars", type=int, default=1000, help="longest message sent (default 1000)")
    p.add_argument("--tiny", action="store_true", help="5 requests per client, clients 1,2 (checks that the script works)")
    args = p.parse_args()
    if args.tiny:
        args.requests, args.clients = 5, "1,2"
    texts = [t for t in corpus_texts(args.corpus) if t.strip() and len(t) <= args.max_chars]
    levels = [int(c) for c in args.clients.split(",")]
    print(f"curnlp serve load test: {args.workers} worker(s), {args.requests} requests per client, "
          f"{len(texts)} corpus messages of <= {args.max_chars} characters, clients on this machine ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="curnlp-serve-load-") as tmp:
        for mode in args.modes.split(","):
            entities = mode == "on"
            proc, port, ready_s = start_server(args.workers, entities, os.path.join(tmp, "feedback.db"))
            try:
                pids = worker_pids(proc.pid)
                print(f"\nentities {mode}: ready in {ready_s:.1f} s; RSS per worker after load: "
                      + ", ".join(f"{rss_mb(pid):.0f} MB" for pid in pids))
                print(f"{'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
                for clients in levels:
                    r = level(port, texts, clients, args.requests, args.max_seconds)
                    print(f"{r['clients']:>7} {r['requests']:>8} {r['errors']:>6} {r['per_second']:>8.1f} "
                          f"{r.get('p50_ms', float('nan')):>8.1f} {r.get('p90_ms', float('nan')):>8.1f} "
                          f"{r.get('p99_ms', float('nan')):>8.1f}")
                print("RSS per worker after the load: " + ", ".join(f"{rss_mb(pid):.0f} MB" for pid in pids))
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
