"""Latency of Router.route() for a service: one core, warm router, messages <= 1,000 characters.

Prints, for entities on and off: p50/p90/p99 and a histogram of per-call latency;
load time and the first call after load() measured in fresh processes (with the default
eager warm-up and with ``warm_up=False``); throughput with 1/2/4/8 threads sharing one
Router; RSS before/after 100,000 routes, against a baseline that builds what a naive
service would build per request (a fresh pymorphy3 MorphAnalyzer per call: what one
gets by not sharing the analyzer).

    OPENBLAS_NUM_THREADS=1 python benchmarks/latency.py [--corpus PATH] [--core N] [--routes 100000]

The process pins itself to one core (``--core``) and sets the BLAS/OpenMP thread counts
to 1 before numpy is imported. Reads the corpus only (nothing is written).
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import gc  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from _common import corpus_texts, in_fresh_process, parser, percentiles  # noqa: E402

BUCKETS_MS = (1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 100, float("inf"))
MAX_CHARS = 1000


def rss_mb() -> float:
    """Current resident set size (not the peak) from /proc."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def pin(core: int) -> None:
    os.sched_setaffinity(0, {core})


def messages(path: str) -> list[str]:
    """Corpus messages up to 1,000 characters (longer ones cut at a word boundary)."""
    out = []
    for text in corpus_texts(path):
        if len(text) > MAX_CHARS:
            text = text[:MAX_CHARS].rsplit(" ", 1)[0]
        if text.strip():
            out.append(text)
    return out


def histogram(latencies: list[float]) -> str:
    ms = [x * 1000 for x in latencies]
    lines, low = [], 0.0
    for high in BUCKETS_MS:
        n = sum(low <= x < high for x in ms)
        label = f"{low:g}-{high:g} ms" if high != float("inf") else f">= {low:g} ms"
        lines.append(f"    {label:>12}: {n:6d} {100 * n / len(ms):5.1f}% {'#' * round(50 * n / len(ms))}")
        low = high
    return "\n".join(lines)


def route_all(router, texts):
    from curnlp.errors import InvalidInput
    out = []
    for text in texts:
        t0 = time.perf_counter()
        try:
            router.route(text)
        except InvalidInput:
            continue
        out.append(time.perf_counter() - t0)
    return out


# -- fresh-process measurements ------------------------------------------------------------

def _cold(entities: bool, warm_up: bool, core: int) -> dict:
    pin(core)
    t0 = time.perf_counter()
    import curnlp
    import curnlp.router  # noqa: F401  (numpy, scipy, scikit-learn, pymorphy3: what load() needs)
    t1 = time.perf_counter()
    router = curnlp.load(entities=entities, warm_up=warm_up)
    t2 = time.perf_counter()
    router.route("Во дворе дома 12 на улице Радищева в Курске неделю не вывозят мусор, примите меры")
    t3 = time.perf_counter()
    router.route("Не горит фонарь у остановки в д. Духовец")
    t4 = time.perf_counter()
    return {"import_s": t1 - t0, "load_s": t2 - t1, "first_ms": (t3 - t2) * 1000, "second_ms": (t4 - t3) * 1000}


class _Cold:
    def __init__(self, entities: bool, warm_up: bool, core: int):
        self.args = (entities, warm_up, core)

    def __call__(self) -> dict:
        return _cold(*self.args)


# -- main ------------------------------------------------------------------------------------

def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--core", type=int, default=0, help="the core to pin to (default 0)")
    p.add_argument("--routes", type=int, default=100_000, help="routes for the memory run (default 100,000)")
    p.add_argument("--sample", type=int, default=2000, help="messages timed per mode (default 2,000)")
    args = p.parse_args()
    pin(args.core)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
          f"pinned to core {args.core}; BLAS threads 1")

    print("\n== load and first call (fresh process each) ==")
    for entities in (True, False):
        for warm in (True, False):
            r = in_fresh_process(_Cold(entities, warm, args.core))
            print(f"  entities={entities!s:5} warm_up={warm!s:5}: import {r['import_s']:.2f} s, load() "
                  f"{r['load_s']:.2f} s, first route {r['first_ms']:.1f} ms, second {r['second_ms']:.1f} ms")

    import curnlp
    texts = messages(args.corpus)
    rnd = random.Random(0)
    sample = rnd.sample(texts, min(args.sample, len(texts)))
    print(f"\n== warm latency: {len(sample)} corpus messages <= {MAX_CHARS} chars "
          f"(mean {sum(map(len, sample)) / len(sample):.0f} chars), one core ==")
    routers = {}
    for entities in (False, True):
        router = routers[entities] = curnlp.load(entities=entities)
        route_all(router, sample[:300])  # warm the caches as a running service has them
        lat = route_all(router, sample)
        p_ = percentiles(lat)
        print(f"  entities={entities}: p50 {p_['p50_ms']:.2f} ms, p90 {p_['p90_ms']:.2f} ms, p99 {p_['p99_ms']:.2f} ms, "
              f"mean {p_['mean_ms']:.2f} ms, max {p_['max_ms']:.1f} ms ({1 / (sum(lat) / len(lat)):.0f} msg/s)")
        print(histogram(lat))

    print("\n== throughput: threads sharing one Router (all cores allowed) ==")
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    chunk = sample[:800]
    for entities in (False, True):
        router = routers[entities]
        row = []
        for n in (1, 2, 4, 8):
            parts = [chunk[k::n] for k in range(n)]
            t0 = time.perf_counter()
            with ThreadPoolExecutor(n) as pool:
                list(pool.map(lambda part: route_all(router, part), parts))
            row.append(f"{n} threads {len(chunk) / (time.perf_counter() - t0):5.0f}")
        print(f"  entities={entities}: " + " | ".join(row) + " docs/s")
    pin(args.core)

    print(f"\n== memory: RSS around {args.routes:,} routes (entities on, one core) ==")
    router = routers[True]
    stream = (texts[i % len(texts)] for i in range(args.routes))
    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    marks = []
    for i, text in enumerate(stream, 1):
        try:
            router.route(text)
        except curnlp.errors.InvalidInput:
            pass
        if i % (args.routes // 4) == 0:
            gc.collect()
            marks.append(f"{i:,}: {rss_mb():.0f} MB")
    elapsed = time.perf_counter() - t0
    gc.collect()
    after = rss_mb()
    from curnlp import morph, normalize
    print(f"  RSS before {before:.0f} MB, after {after:.0f} MB: growth {after - before:+.1f} MB "
          f"({args.routes / elapsed:.0f} msg/s); " + ", ".join(marks))
    print(f"  caches: lemma {morph.lemma.cache_info().currsize:,}/{morph.lemma.cache_info().maxsize:,}, "
          f"parse {morph.parse.cache_info().currsize:,}/{morph.parse.cache_info().maxsize:,}, "
          f"words {normalize._word_info.cache_info().currsize:,}/{normalize._word_info.cache_info().maxsize:,}")
    # a second pass over the same stream: caches are full, so RSS must not move
    gc.collect()
    before2 = rss_mb()
    for text in texts[: min(len(texts), args.routes // 10)]:
        try:
            router.route(text)
        except curnlp.errors.InvalidInput:
            pass
    gc.collect()
    print(f"  second pass over {min(len(texts), args.routes // 10):,} seen messages: {rss_mb() - before2:+.1f} MB")

    print("\n== baseline: a fresh pymorphy3 MorphAnalyzer per request (nothing shared) ==")
    import pymorphy3
    from curnlp.normalize import _tokenize, clean_text
    n = 50
    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    for text in sample[:n]:
        analyzer = pymorphy3.MorphAnalyzer(lang="ru")
        [analyzer.parse(w)[0].normal_form for _, _, w in _tokenize(clean_text(text))]
    per_call = (time.perf_counter() - t0) / n
    gc.collect()
    print(f"  lemmatizing alone: {per_call * 1000:.0f} ms per message (vs the whole route() above), "
          f"RSS {rss_mb() - before:+.1f} MB after {n} requests")


if __name__ == "__main__":
    main()
