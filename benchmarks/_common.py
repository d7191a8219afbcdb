"""Shared helpers of the benchmark scripts: corpus path, timing in a fresh process."""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = os.environ.get("CURNLP_CORPUS", str(REPO.parent / "shared" / "corpora" / "kursk" / "appeals.csv"))


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--corpus", default=DEFAULT_CORPUS,
                   help="labelled CSV (default: $CURNLP_CORPUS or ../shared/corpora/kursk/appeals.csv)")
    return p


def corpus_rows(path: str) -> list[dict[str, str]]:
    """The corpus rows (csv module: importing pandas would weigh on every RSS figure)."""
    import csv
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def corpus_texts(path: str) -> list[str]:
    return [row["Текст Сообщения"] for row in corpus_rows(path)]


def split_by_time(path: str) -> tuple[list[str], list[str]]:
    """(older half, newer half) of the corpus messages by id (ids grow with time): warm
    caches on the first, measure on the second, which the process has never seen."""
    rows = sorted(corpus_rows(path), key=lambda r: int(r["id"]))
    texts = [r["Текст Сообщения"] for r in rows]
    return texts[: len(texts) // 2], texts[len(texts) // 2:]


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB.

    Linux: VmHWM of /proc/self/status, the peak of this process image only (getrusage's
    ru_maxrss is carried over fork + exec, so a fresh child would report at least its
    parent's peak). Elsewhere ru_maxrss (KiB on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def _child(fn: Callable[[], dict], queue) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    queue.put(fn())


def in_fresh_process(fn: Callable[[], dict]) -> dict:
    """Run ``fn`` in a new spawned process (own memory peak, cold caches); return its dict."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def percentiles(latencies_s: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in latencies_s)
    pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    return {"p50_ms": pick(0.50), "p90_ms": pick(0.90), "p99_ms": pick(0.99),
            "mean_ms": statistics.fmean(ms), "max_ms": ms[-1]}


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def rates(process_all: Callable[[Sequence], object], items: Sequence, repeat: int = 1) -> tuple[float, float, object]:
    """(cold items/s, warm items/s, result of the cold pass) of ``process_all(items)``:
    the first pass with empty caches, then the best of ``repeat`` warm passes."""
    found, cold = timed(lambda: process_all(items))
    warm = min(timed(lambda: process_all(items))[1] for _ in range(repeat))
    return len(items) / cold, len(items) / warm, found


def per_item(fn: Callable[[object], object], items: Sequence) -> dict[str, float]:
    """Latency percentiles of ``fn`` called on each item alone (see :func:`percentiles`)."""
    latencies = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        latencies.append(time.perf_counter() - t0)
    return percentiles(latencies)


def pin_one_core(core: int | None = None) -> None:
    """Run this process on one core only (``core``, default the lowest one it may use)."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0)) if core is None else core})
