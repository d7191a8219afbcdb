"""Starting ``python -m curnlp serve`` on loopback for the service tests, with bounded waits."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOKEN = "test-token-42"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One ``curnlp serve`` subprocess on 127.0.0.1 and a tiny HTTP client for it."""

    def __init__(self, *args: str, token: str | None = TOKEN, log: Path | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("CURNLP_ADMIN_TOKEN", None)
        if token:
            env["CURNLP_ADMIN_TOKEN"] = token
        self.log = log
        out = open(log, "wb") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen([sys.executable, "-m", "curnlp", "serve", "--port", str(self.port), *args],
                                     cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.started = time.monotonic()

    def wait_ready(self, timeout: float = 90) -> float:
        """Seconds until /health first answered (any status); then waits for 200."""
        first = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_text()}")
            try:
                status, body = self.get("/health", timeout=2)
            except OSError:
                time.sleep(0.1)
                continue
            first = first if first is not None else time.monotonic() - self.started
            if status == 200:
                return first
            time.sleep(0.1)
        raise TimeoutError(f"server not ready in {timeout} s: {self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log and self.log.exists() else ""

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 60) -> tuple[int, bytes, dict]:
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as err:
            return err.code, err.read(), dict(err.headers)

    def get(self, path: str, timeout: float = 60, headers: dict | None = None):
        status, body, head = self.request("GET", path, headers=headers, timeout=timeout)
        kind = head.get("content-type", "")
        return status, json.loads(body) if kind.startswith("application/json") else body.decode("utf-8")

    def post(self, path: str, payload, headers: dict | None = None, timeout: float = 60):
        raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        status, body, head = self.request("POST", path, raw, {"Content-Type": "application/json", **(headers or {})},
                                          timeout=timeout)
        return status, json.loads(body) if head.get("content-type", "").startswith("application/json") else body

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
