"""The Router a worker serves, and how it is swapped for a new bundle without dropping requests.

Every request takes the current Router once (an attribute read) and routes with it to the
end, so a swap never disturbs a request in flight. A new bundle is loaded and warmed in a
background thread while the old one keeps serving; it replaces the old one only if it
loaded and routed a probe message, so a broken bundle is refused and changes nothing.

Several workers agree through one small JSON file (``state.json`` in the service's runtime
folder): ``{"generation": n, "model": path}``. A worker that reloads successfully writes a
new generation; every worker polls the file each second and follows (SIGHUP to the server
writes a new generation too: reload the same path, for a bundle replaced on disk).
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any

log = logging.getLogger("curnlp.service")

#: a message routed by every new bundle before it may serve
PROBE = "На ул. Ленина в Курске огромная яма, машины ломают подвеску"


def read_state(path: str | None) -> dict[str, Any] | None:
    """The state file's content, or None when absent or unreadable (then nothing changes)."""
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) and isinstance(data.get("generation"), int) else None
    except (OSError, ValueError):
        return None


def write_state(path: str | None, model: str | None, generation: int | None = None) -> int:
    """Atomically write a new generation (the next one by default); returns it."""
    if not path:
        return generation or 0
    if generation is None:
        current = read_state(path)
        generation = (current["generation"] + 1) if current else 1
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"generation": generation, "model": model, "written": time.time()}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return generation


class ReloadRefused(Exception):
    """The new bundle could not be loaded or could not route; the old one keeps serving."""


class ModelHolder:
    """Holds the Router of one worker: initial load, hot reload, following the state file."""

    def __init__(self, model: str | None, *, entities: bool, state_path: str | None = None) -> None:
        self.model_path = model
        self.entities = entities
        self.state_path = state_path
        self.router: Any = None
        self.generation = 0
        self.error: str | None = None  # why the initial load failed
        self.loaded_at: float | None = None
        self.reloads = 0
        self._lock = threading.Lock()  # one load at a time in this worker

    @property
    def ready(self) -> bool:
        return self.router is not None

    def _load(self, path: str | None) -> Any:
        import curnlp
        router = curnlp.load(path, entities=self.entities)  # warms up (analyzer, NER when on)
        probe = router.route(PROBE)
        if not isinstance(probe.to_dict(), dict):  # pragma: no cover - route always returns a Routing
            raise ReloadRefused("the bundle did not return a routing")
        return router

    def load_initial(self) -> None:
        """The first load (from the state file's model when another worker reloaded already)."""
        state = read_state(self.state_path)
        path = state.get("model", self.model_path) if state else self.model_path
        try:
            with self._lock:
                self.router = self._load(path)
                self.model_path = path
                self.generation = state["generation"] if state else 0
                self.loaded_at = time.time()
        except Exception as exc:  # the service stays up and says why on /health
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("curnlp serve: could not load the model %s: %s", path or "(shipped)", self.error)

    def reload(self, path: str | None = None, *, publish: bool = True) -> Any:
        """Load ``path`` (default: the current bundle's path, re-read from disk) and swap.

        Raises :class:`ReloadRefused` when it cannot load or route; the old router stays.
        With ``publish`` the new generation is written so other workers follow.
        """
        path = self.model_path if path is None else path
        with self._lock:
            try:
                router = self._load(path)
            except Exception as exc:
                log.error("curnlp serve: reload of %s refused: %s: %s", path, type(exc).__name__, exc)
                raise ReloadRefused(f"{type(exc).__name__}: {exc}") from exc
            self.router = router  # one reference swap: requests in flight keep the old router
            self.model_path = path
            self.loaded_at = time.time()
            self.reloads += 1
            self.error = None
            if publish:
                self.generation = write_state(self.state_path, path)
            log.info("curnlp serve: now serving bundle %s from %s", router.id, path or "(shipped)")
            return router

    def follow(self) -> bool:
        """Reload when the state file holds a newer generation; True when it swapped."""
        state = read_state(self.state_path)
        if not state or state["generation"] <= self.generation or not self.ready:
            return False
        try:
            self.reload(state.get("model"), publish=False)
            swapped = True
        except ReloadRefused:
            swapped = False  # logged; keep serving the old bundle
        self.generation = state["generation"]  # do not retry a refused bundle every second
        return swapped
