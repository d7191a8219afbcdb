"""Worker processes that each load a Router once (``Router.route_many(n_jobs>1)``, ``curnlp score --jobs``).

This module imports no other curnlp module but :mod:`curnlp.errors`: the caller hands
over how to load the Router (a :class:`WorkerSpec` whose ``load`` is ``Router.load``,
picklable by reference), so the router and batch scoring both use the pool without an
import cycle. Workers are forked where the platform can (cheap, no ``__main__`` guard
needed), spawned elsewhere; each rebuilds the Router from its bundle path in the pool
initializer, with BLAS and OpenMP limited to one thread (two processes on two cores:
more threads only compete). Forked workers inherit a Router the parent has loaded
(copy-on-write) instead of loading their own.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..errors import CurnlpError, InvalidInput

__all__ = ["route_in_processes", "make_pool", "forget_inherited", "forks", "stop_pool", "router_spec", "worker_router",
           "limit_threads", "one_blas_thread", "broken_pool_error", "BrokenProcessPool", "WorkerSpec"]

log = logging.getLogger("curnlp")

_WORKER: dict[str, Any] = {}


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker needs to rebuild a Router: ``load(path, entities=, max_length=)``
    (``Router.load``; it must pickle for spawned workers) and its arguments."""

    load: Callable[..., Any]
    path: str
    entities: bool
    max_length: int

    @property
    def key(self) -> tuple[str, bool, int]:
        """The Router this spec builds (a forked worker reuses an inherited one of the same key)."""
        return self.path, self.entities, self.max_length

    def build(self) -> Any:
        return self.load(self.path, entities=self.entities, max_length=self.max_length)


def limit_threads() -> None:
    """One BLAS/OpenMP thread in this process (NER is several times slower when they compete)."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    try:
        from threadpoolctl import threadpool_limits
        _WORKER["limits"] = threadpool_limits(1)
    except Exception:  # noqa: BLE001 -- threadpoolctl is optional here
        log.debug("curnlp: threadpoolctl unavailable; BLAS threads not limited", exc_info=True)


def one_blas_thread() -> contextlib.AbstractContextManager:
    """BLAS limited to one thread while the block runs (restored after)."""
    try:
        from threadpoolctl import threadpool_limits
        return threadpool_limits(1)
    except Exception:  # noqa: BLE001
        return contextlib.nullcontext()


def _init_worker(spec: WorkerSpec) -> None:
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    limit_threads()
    inherited = _WORKER.pop("inherited", None)
    if inherited is not None and inherited[0] == spec.key:
        _WORKER["router"] = inherited[1]  # forked from a parent that had it loaded: nothing to load
        return
    try:
        _WORKER["router"] = spec.build()
    except BaseException as exc:  # noqa: BLE001 -- reported by the first task, not a respawn loop
        _WORKER["failure"] = exc


def worker_router() -> Any:
    """The Router of this worker process (raises what loading it raised)."""
    if "failure" in _WORKER:
        raise _WORKER["failure"]
    return _WORKER["router"]


def _route_task(items: list[object], evidence: bool = True) -> list[Any]:
    return worker_router().route_many(items, batch_size=max(1, len(items)), errors="return", evidence=evidence)


def _context() -> mp.context.BaseContext:
    return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")


def router_spec(router: Any) -> WorkerSpec:
    """What a worker needs to rebuild ``router`` (it must have been saved or loaded from disk):
    its class's ``load`` and its bundle path and options."""
    path = getattr(router, "path", None)
    if path is None:
        raise InvalidInput("an unsaved Router cannot be used by worker processes; save() it first")
    return WorkerSpec(type(router).load, str(path), bool(router.entities), int(router.max_length))


def forks() -> bool:
    """Whether workers are forked (they then inherit what the parent has loaded)."""
    return _context().get_start_method() == "fork"


def make_pool(spec: WorkerSpec, jobs: int, router: Any = None) -> ProcessPoolExecutor:
    """``jobs`` worker processes, each with the Router of ``spec`` loaded once.

    ``router``: the Router of ``spec`` already loaded in this process. Forked workers then
    inherit it (pages shared copy-on-write) instead of importing and loading everything
    again, which took each worker about as much CPU as 1,000 rows without entities. Call
    :func:`forget_inherited` once the pool is shut down.
    """
    if router is not None and forks():
        _WORKER["inherited"] = (spec.key, router)
    # an executor, not multiprocessing.Pool: a worker killed by the OOM killer breaks the
    # pool with an error instead of leaving the parent waiting for ever
    return ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=_init_worker, initargs=(spec,))


def forget_inherited() -> None:
    """Drop this process's reference to the Router handed to forked workers."""
    _WORKER.pop("inherited", None)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: pending tasks cancelled, workers terminated."""
    processes = dict(getattr(pool, "_processes", None) or {})  # private, but the only handle on the workers
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        try:
            process.terminate()
        except Exception:  # noqa: BLE001
            pass


def broken_pool_error(exc: BaseException) -> CurnlpError:
    """The error raised when a worker process died."""
    return CurnlpError(f"a worker process died ({exc}); it may have run out of memory: try fewer --jobs or a "
                       "smaller --chunk-size, and continue with --resume")


def route_in_processes(router: Any, items: Sequence[object], *, batch_size: int = 256, n_jobs: int = 2,
                       errors: str = "raise", evidence: bool = True) -> list[Any]:
    """Route ``items`` in ``n_jobs`` worker processes; the result keeps the input order.

    Each worker rebuilds the Router from ``router.path`` (same ``entities`` and
    ``max_length``) once, with one BLAS thread. ``errors`` and ``evidence`` as in
    ``Router.route_many``.
    """
    if errors not in ("raise", "return"):
        raise ValueError(f"errors must be 'raise' or 'return', not {errors!r}")
    items = list(items)
    spec = router_spec(router)
    batches = [items[i:i + batch_size] for i in range(0, len(items), batch_size)]
    out: list[Any] = []
    try:
        with make_pool(spec, max(1, min(n_jobs, len(batches))), router) as pool:
            try:
                for batch in pool.map(functools.partial(_route_task, evidence=evidence), batches):
                    out.extend(batch)
            except BrokenProcessPool as exc:
                raise broken_pool_error(exc) from exc
    finally:
        forget_inherited()
    if errors == "raise":
        for i, item in enumerate(out):
            if isinstance(item, BaseException):
                raise InvalidInput(f"message {i}: {item}") from item
    return out
