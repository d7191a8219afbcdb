"""CPU time of the place stage and of normalization inside fast-mode routing, on unseen messages.

A router without entities works through the older half of the corpus (loading, warming
caches); then the newer half, never seen by the process, is timed stage by stage:
``normalize`` on every message, ``place_of`` on every normalized one (with its parts:
``extract_locations``, ``detect_other_region``, ``resolve_municipality``), and the whole
``route_many``. Each stage is timed on its own fresh caches: the process runs the newer
half once per measured stage, in a fresh child process (so one stage does not warm the
next one's caches). ``--profile`` prints the cProfile of fast-mode ``route_many`` on the
newer half instead (cumulative times of the place and normalization functions).

    python benchmarks/place_stage.py [--corpus PATH] [--core N] [--profile] [--rounds 3] [--stages normalize place_of]
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

STAGES = ("normalize", "place_of", "extract_locations", "detect_other_region", "resolve_municipality", "route_many")


def run_stage(path: str, stage: str, core: int | None) -> float:
    """Fresh process: warm on the older half with route_many, then CPU seconds of ``stage`` on the newer half."""
    _common.pin_one_core(core)
    older, newer = _common.split_by_time(path)
    import curnlp
    from curnlp.normalize import normalize
    from curnlp.places import extract_locations, place_of, resolve_municipality
    from curnlp.places.russia import detect_other_region
    router = curnlp.load(entities=False)
    router.route_many(older)
    region = router.region
    if stage == "route_many":
        cpu = time.process_time()
        router.route_many(newer)
        return time.process_time() - cpu
    cpu = time.process_time()
    docs = [normalize(t) for t in newer]
    spent = time.process_time() - cpu
    if stage == "normalize":
        return spent
    if stage == "resolve_municipality":
        locs = [extract_locations(d, region) for d in docs]
        cpu = time.process_time()
        for ls in locs:
            resolve_municipality(ls, region)
        return time.process_time() - cpu
    fn = {"place_of": lambda d: place_of(d, region),
          "extract_locations": lambda d: extract_locations(d, region),
          "detect_other_region": lambda d: detect_other_region(d, region)}[stage]
    cpu = time.process_time()
    for d in docs:
        fn(d)
    return time.process_time() - cpu


def profile(path: str, core: int | None) -> None:
    import cProfile
    import pstats
    _common.pin_one_core(core)
    older, newer = _common.split_by_time(path)
    import curnlp
    router = curnlp.load(entities=False)
    router.route_many(older)
    prof = cProfile.Profile()
    prof.enable()
    router.route_many(newer)
    prof.disable()
    stats = pstats.Stats(prof, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(r"places|normalize|language|morph|route_many", 40)
    stats.sort_stats("tottime").print_stats(25)


def main() -> int:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--core", type=int, default=None, help="pin every child process to this CPU core")
    p.add_argument("--rounds", type=int, default=3, help="fresh processes per stage (the median is printed)")
    p.add_argument("--profile", action="store_true", help="print the cProfile of route_many instead")
    p.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES), help="stages to time (default: all)")
    args = p.parse_args()
    if args.profile:
        profile(args.corpus, args.core)
        return 0
    older, newer = _common.split_by_time(args.corpus)
    print(f"{len(newer)} unseen messages (newer half), fast mode, CPU seconds, median of {args.rounds} fresh processes")
    for stage in args.stages:
        times = [_common.in_fresh_process(functools.partial(run_stage, args.corpus, stage, args.core))
                 for _ in range(args.rounds)]
        print(f"  {stage:22s} {statistics.median(times):6.3f} s   ({', '.join(f'{t:.3f}' for t in times)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
