"""Running the service: uvicorn in this process (one worker) or in N worker processes.

Each worker is a whole service (its own event loop, routing thread and Router: it loads
the bundle once), and all of them accept connections on one listening socket, so N
workers use N cores for routing; each costs the memory of one loaded bundle (see the
README). The parent only supervises: restarts a worker that died, passes SIGTERM/SIGINT
on, and answers SIGHUP by asking every worker to reload the bundle from its path (a new
generation in the state file, see :mod:`curnlp.service.holder`).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import time

from .config import ServeConfig
from .holder import write_state

log = logging.getLogger("curnlp.service")

#: a worker that dies is restarted, but not more often than this many times a minute
MAX_RESTARTS_PER_MINUTE = 5


def _prepare_runtime(config: ServeConfig) -> ServeConfig:
    """A private runtime folder (state file, Prometheus files), made before any worker starts."""
    runtime = tempfile.mkdtemp(prefix="curnlp-serve-")
    os.makedirs(os.path.join(runtime, "metrics"))
    # prometheus-client reads this when it is first imported: every worker inherits it
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.path.join(runtime, "metrics")
    config = ServeConfig(**{**config.__dict__, "runtime_dir": runtime})
    write_state(config.state_path, config.model, generation=0)
    return config


def _uvicorn_config(config: ServeConfig):
    import uvicorn
    from .app import create_app
    return uvicorn.Config(create_app(config), host=config.host, port=config.port, log_level=config.log_level,
                          access_log=False, timeout_graceful_shutdown=10, lifespan="on")


def _worker(config_json: str, sock: socket.socket) -> None:
    """One worker process: the app on the shared socket until SIGTERM."""
    import uvicorn
    config = ServeConfig.from_json(config_json)
    _setup_logging(config.log_level)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the parent turns SIGHUP into a state-file generation
    uvicorn.Server(_uvicorn_config(config)).run(sockets=[sock])


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO),
                        format="%(asctime)s %(process)d %(levelname)s %(message)s")


def _on_hup(config: ServeConfig):
    def handler(signum, frame):
        from .holder import read_state
        state = read_state(config.state_path) or {}
        generation = write_state(config.state_path, state.get("model", config.model))
        log.info("curnlp serve: SIGHUP: workers reload their bundle (generation %d)", generation)
    return handler


def serve(config: ServeConfig) -> int:
    """Run the service until SIGTERM or Ctrl-C; returns the exit code."""
    _setup_logging(config.log_level)
    from .config import admin_token
    if config.host not in ("127.0.0.1", "localhost", "::1") and admin_token() is None:
        log.warning("curnlp serve: listening on %s without %s: anyone who reaches this address can route, "
                    "post feedback and export it", config.host, "CURNLP_ADMIN_TOKEN")
    config = _prepare_runtime(config)
    try:
        signal.signal(signal.SIGHUP, _on_hup(config))
        if config.workers <= 1:
            import uvicorn
            server = uvicorn.Server(_uvicorn_config(config))
            server.run()  # uvicorn exits the process itself when it cannot bind
            return 0
        return _supervise(config)
    finally:
        shutil.rmtree(config.runtime_dir, ignore_errors=True)


def _bind(config: ServeConfig) -> socket.socket:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    # proto given explicitly: asyncio sets TCP_NODELAY only on sockets whose proto is TCP, and
    # without it Nagle's algorithm and delayed ACKs hold every response back ~40 ms
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((config.host, config.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _supervise(config: ServeConfig) -> int:
    """Start ``config.workers`` processes on one socket and keep them running."""
    sock = _bind(config)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter each: no threads or locks inherited
    payload = config.to_json()

    def start() -> multiprocessing.Process:
        proc = context.Process(target=_worker, args=(payload, sock), name="curnlp-serve-worker", daemon=False)
        proc.start()
        return proc

    procs = [start() for _ in range(config.workers)]
    log.info("curnlp serve: %d workers on http://%s:%d (pids %s)", config.workers, config.host, config.port,
             ", ".join(str(p.pid) for p in procs))
    stopping = []

    def stop(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    restarts: list[float] = []
    failed = False
    try:
        while not stopping:
            time.sleep(0.5)
            for i, proc in enumerate(procs):
                if proc.is_alive() or stopping:
                    continue
                _mark_dead(proc.pid)
                now = time.monotonic()
                restarts[:] = [t for t in restarts if now - t < 60] + [now]
                if len(restarts) > MAX_RESTARTS_PER_MINUTE:
                    log.error("curnlp serve: workers keep dying (exit code %s); stopping", proc.exitcode)
                    failed = True
                    stopping.append(signal.SIGTERM)
                    break
                log.warning("curnlp serve: worker %d exited with %s; starting another", proc.pid, proc.exitcode)
                procs[i] = start()
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        deadline = time.monotonic() + 15
        for proc in procs:
            proc.join(max(0.1, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
        sock.close()
    return 1 if failed else 0


def _mark_dead(pid: int | None) -> None:
    try:
        from prometheus_client import multiprocess
        if pid is not None:
            multiprocess.mark_process_dead(pid)
    except Exception:  # metrics of a dead worker are not worth failing over
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(serve(ServeConfig()))
