"""Routing throughput, load time and peak memory against Natasha, in one run, one core.

Every row runs in a fresh process pinned to one core with one BLAS thread. Messages
are split by id (ids grow with time): each process first works through the older half
(loading, warming caches), then is timed on the newer half, which it has never seen
("unseen"), and once more on it ("again", every cache warm).

* curnlp ``route_many`` with entities (full) vs natasha ``Doc.segment + tag_ner``;
* curnlp ``route_many(entities=False)`` (fast mode) vs natasha ``Doc.segment +
  tag_morph + lemmatize`` (what a lemma-based pipeline needs from natasha);
* load: ``import curnlp; curnlp.load()`` including warm-up, wall and CPU seconds, and
  the peak RSS after it and one ``route()``, each in its own fresh process.

With ``--rounds N`` everything runs N times and a summary gives, per ratio, the median of
the rounds' ratios and the ratio of each pipeline's best round (on a shared machine the
speed of a core drifts by 10-20% within seconds: one round is one sample).

    python benchmarks/speed.py [--corpus PATH] [--rounds 6] [--loads 3] [--core N]
"""
from __future__ import annotations

import functools
import os
import statistics
import sys
import time

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402

SAMPLE = "<p>Иванова Мария Петровна: на ул. Ленина, д. 5 в г. Курске яма&nbsp;!</p>"


def _cpu() -> float:
    return time.process_time()


def _throughput(process_all, older: list[str], newer: list[str]) -> dict:
    """Warm on ``older``; time ``newer`` the first time (unseen) and again (warm)."""
    process_all(older)
    wall, cpu = time.perf_counter(), _cpu()
    process_all(newer)
    unseen, unseen_cpu = time.perf_counter() - wall, _cpu() - cpu
    wall, cpu = time.perf_counter(), _cpu()
    process_all(newer)
    again, again_cpu = time.perf_counter() - wall, _cpu() - cpu
    n = len(newer)
    return {"n": n, "unseen": n / unseen, "unseen_cpu": n / unseen_cpu, "again": n / again, "again_cpu": n / again_cpu}


def load_curnlp(entities: bool, core: int | None) -> dict:
    """Fresh process: import + load (+ warm-up) timed, then one route; peak RSS."""
    _common.pin_one_core(core)
    wall, cpu = time.perf_counter(), _cpu()
    import curnlp
    router = curnlp.load(entities=entities)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    router.route(SAMPLE)
    heavy = [m for m in ("pandas", "pyarrow", "matplotlib", "navec", "natasha") if m in sys.modules]
    return {"load_s": wall, "load_cpu": cpu, "rss": _common.peak_rss_mb(), "imported": heavy}


def run_curnlp(path: str, entities: bool, core: int | None) -> dict:
    _common.pin_one_core(core)
    older, newer = _common.split_by_time(path)
    import curnlp
    router = curnlp.load(entities=entities)
    out = _throughput(router.route_many, older, newer)
    return {**out, "rss_end": _common.peak_rss_mb()}


def run_natasha(path: str, pipeline: str, core: int | None) -> dict:
    _common.pin_one_core(core)
    import warnings
    warnings.simplefilter("ignore")
    older, newer = _common.split_by_time(path)
    wall, cpu = time.perf_counter(), _cpu()
    from natasha import Doc, MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger, Segmenter
    segmenter, emb = Segmenter(), NewsEmbedding()
    if pipeline == "ner":
        tagger = NewsNERTagger(emb)

        def one(text: str) -> None:
            doc = Doc(text)
            doc.segment(segmenter)
            doc.tag_ner(tagger)
    else:
        tagger, vocab = NewsMorphTagger(emb), MorphVocab()

        def one(text: str) -> None:
            doc = Doc(text)
            doc.segment(segmenter)
            doc.tag_morph(tagger)
            for token in doc.tokens:
                token.lemmatize(vocab)
    one(SAMPLE)
    load_s, load_cpu = time.perf_counter() - wall, _cpu() - cpu
    rss_load = _common.peak_rss_mb()
    out = _throughput(lambda texts: [one(t) for t in texts], older, newer)
    return {**out, "load_s": load_s, "load_cpu": load_cpu, "rss": rss_load, "rss_end": _common.peak_rss_mb()}


def one_round(args) -> dict:
    fresh = _common.in_fresh_process
    loads = {e: [fresh(functools.partial(load_curnlp, e, args.core)) for _ in range(args.loads)] for e in (True, False)}
    full = fresh(functools.partial(run_curnlp, args.corpus, True, args.core))
    fast = fresh(functools.partial(run_curnlp, args.corpus, False, args.core))
    ner = fresh(functools.partial(run_natasha, args.corpus, "ner", args.core))
    morph = fresh(functools.partial(run_natasha, args.corpus, "morph", args.core))
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min), {os.cpu_count()} cores;"
          f" {full['n']} newer messages timed, one core each\n")
    print(f"{'pipeline':52} {'unseen msg/s':>12} {'(CPU)':>7} {'again':>7} {'(CPU)':>7} {'end RSS':>8}")
    rows = [("curnlp route_many, entities (full)", full), ("natasha segment + NER", ner),
            ("curnlp route_many, fast mode (no entities)", fast), ("natasha segment + morph + lemmas", morph)]
    for name, r in rows:
        print(f"{name:52} {r['unseen']:12.0f} {r['unseen_cpu']:7.0f} {r['again']:7.0f} {r['again_cpu']:7.0f}"
              f" {r['rss_end']:6.0f} MB")
    print(f"\nfull / natasha NER:              unseen {full['unseen'] / ner['unseen']:.2f}x"
          f" (CPU {full['unseen_cpu'] / ner['unseen_cpu']:.2f}x), again {full['again'] / ner['again']:.2f}x   bar 2.0x")
    print(f"fast / natasha morph + lemmas:   unseen {fast['unseen'] / morph['unseen']:.2f}x"
          f" (CPU {fast['unseen_cpu'] / morph['unseen_cpu']:.2f}x), again {fast['again'] / morph['again']:.2f}x   bar 8.0x")
    for e, name, bar in ((True, "with entities", 300), (False, "fast mode", 200)):
        ls = loads[e]
        print(f"load {name:14} ({args.loads} fresh processes): wall min {min(r['load_s'] for r in ls):.2f} /"
              f" median {statistics.median(r['load_s'] for r in ls):.2f} s, CPU min {min(r['load_cpu'] for r in ls):.2f}"
              f" s (bar 1.0 s); peak RSS after load + one route {max(r['rss'] for r in ls):.0f} MB (bar {bar} MB);"
              f" heavy modules imported: {', '.join(ls[0]['imported']) or 'none'}")
    print(f"natasha load incl. first message: NER {ner['load_s']:.2f} s, {ner['rss']:.0f} MB;"
          f" morph + lemmas {morph['load_s']:.2f} s, {morph['rss']:.0f} MB")
    return {"full": full, "ner": ner, "fast": fast, "morph": morph}


def summary(rounds: list[dict]) -> None:
    """Over several rounds: the median of the per-round ratios, and the ratio of each
    pipeline's best round (the machine's speed drifts by 10-20% within seconds on shared
    hosts; a round's ratio compares processes run a minute apart)."""
    print(f"\n== {len(rounds)} rounds ==")
    for name, a, b, bar in (("full / natasha NER", "full", "ner", 2.0), ("fast / natasha morph + lemmas", "fast", "morph", 8.0)):
        for key in ("unseen", "again"):
            ratios = [r[a][key] / r[b][key] for r in rounds]
            best = max(r[a][key] for r in rounds) / max(r[b][key] for r in rounds)
            print(f"{name:30} {key:6}: median of rounds {statistics.median(ratios):.2f}x"
                  f" ({' '.join(f'{x:.2f}' for x in ratios)}), best / best {best:.2f}x   bar {bar}x")


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=1, help="repeat everything to check stability")
    p.add_argument("--loads", type=int, default=5, help="fresh processes timing curnlp.load() per mode")
    p.add_argument("--core", type=int, default=None, help="core to pin every process to (default: lowest allowed)")
    args = p.parse_args()
    rounds = []
    for i in range(args.rounds):
        if args.rounds > 1:
            print(f"\n== round {i + 1} of {args.rounds} ==")
        rounds.append(one_round(args))
    if len(rounds) > 1:
        summary(rounds)


if __name__ == "__main__":
    main()
