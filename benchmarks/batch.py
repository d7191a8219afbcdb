"""Batch scoring: rows/s of ``score_file`` with 1 and 2 jobs, peak RSS, and streaming memory.

Every run is a fresh Python subprocess; its peak RSS is that of the whole process tree
(parent + worker processes), sampled with psutil every 0.1 s (the sum of the RSS of all
live processes of the tree at the worst moment).

1. Throughput: ``--rows`` rows (the corpus messages repeated, other columns made up) in a
   temp dir; ``score_file`` with ``--jobs 1`` and ``--jobs 2``; and the obvious alternative,
   ``pandas.read_csv`` of the whole file + ``router.route_many`` on the whole column +
   ``to_csv``. Entities on and off, the two settings in the same run (with ``--repeat 2``
   in the order 1, 2, 2, 1 so both see the same drift of the load), the load average
   printed before and after each run, and the parent's own CPU time (reading, writing,
   checkpoints): on 2 cores the parent competes with the 2 workers.
2. Streaming memory: ``score_file`` (``--no-entities``, 2 jobs, so rows go fast) on a small
   and a large generated file (``--memory-rows``); peak RSS should not grow with the row count.
   The 1,000,000-row figure is extrapolated linearly from the two points.

Usage: ``python benchmarks/batch.py [--rows 50000] [--memory-rows 200000] [--model DIR] [--entities on|off|both] [--repeat N]``.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import resource

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, corpus_texts, parser  # noqa: E402

SCORE = """
import json, resource, sys, time
from curnlp.batch import score_file
t = time.perf_counter()
s = score_file(sys.argv[1], sys.argv[2], router=sys.argv[3] or None, jobs=int(sys.argv[4]),
               entities=sys.argv[5] == "1", progress=False)
own = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"rows": s.rows_read, "failed": s.failed, "seconds": time.perf_counter() - t,
                  "parent_cpu_s": own.ru_utime + own.ru_stime}))
"""

WHOLE = """
import json, sys, time
import pandas as pd
from curnlp.router import Router
t = time.perf_counter()
router = Router.load(sys.argv[3] or None, entities=sys.argv[5] == "1")
frame = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
routed = router.route_many(frame["Текст Сообщения"].tolist(), errors="return")
frame["agency"] = [getattr(r.agency, "label", None) if not isinstance(r, Exception) else None for r in routed]
frame["error"] = [str(r) if isinstance(r, Exception) else None for r in routed]
frame.to_csv(sys.argv[2], index=False)
print(json.dumps({"rows": len(frame), "seconds": time.perf_counter() - t}))
"""


def make_input(path: Path, texts: list[str], rows: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "Дата", "Текст Сообщения"])
        for i in range(rows):
            writer.writerow([i, f"{1 + i % 28:02d}.{1 + i // 28 % 12:02d}.2022", texts[i % len(texts)]])


def run(script: str, args: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, cwd=REPO, env=env,
                            text=True)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"benchmark run failed ({proc.returncode}): {args}")
    result = json.loads(out.strip().splitlines()[-1])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the run and its workers, once waited for
    result["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["wall_s"] = time.perf_counter() - t0
    result["peak_rss_mb"] = peak / 2 ** 20
    result["rows_per_s"] = result["rows"] / result["seconds"]
    return result


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=50_000)
    p.add_argument("--memory-rows", type=int, default=200_000, help="rows of the large memory run (0: skip)")
    p.add_argument("--model", default="", help="bundle directory (default: the shipped model)")
    p.add_argument("--skip-whole", action="store_true", help="skip the pandas + route_many comparison")
    p.add_argument("--entities", choices=("on", "off", "both"), default="both", help="NER in the jobs runs")
    p.add_argument("--repeat", type=int, default=1, help="runs of each --jobs setting (1, 2, 2, 1 order for 2)")
    args = p.parse_args()
    texts = corpus_texts(args.corpus)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        src = tmp_path / "in.csv"
        make_input(src, texts, args.rows)
        print(f"input: {args.rows:,} rows ({src.stat().st_size / 2**20:.1f} MB), corpus messages repeated; "
              f"{os.cpu_count()} cores")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min) on "
              f"{os.cpu_count()} cores; other processes compete for the cores when it is above 0")
        print(f"{'run':<46} {'rows/s':>8} {'seconds':>8} {'CPU s':>8} {'parent CPU':>10} {'peak RSS MB':>12} "
              f"{'load 1m':>8}")
        for entities in ([True, False] if args.entities == "both" else [args.entities == "on"]):
            label = "on" if entities else "off"
            results: dict[int, list[dict]] = {1: [], 2: []}
            # 1, 2, 2, 1 ...: both settings see the same drift of the machine's load
            order = [1, 2, 2, 1][:2 * args.repeat] if args.repeat <= 2 else [1, 2] * args.repeat
            for jobs in order:
                r = run(SCORE, [str(src), str(tmp_path / f"out{jobs}.csv"), args.model, str(jobs),
                                "1" if entities else "0"])
                r["load"] = os.getloadavg()[0]
                results[jobs].append(r)
                print(f"{f'score_file --jobs {jobs} (entities {label})':<46} {r['rows_per_s']:>8.0f} "
                      f"{r['seconds']:>8.1f} {r['cpu_s']:>8.1f} {r['parent_cpu_s']:>10.1f} {r['peak_rss_mb']:>12.0f} "
                      f"{r['load']:>8.2f}")
            best = {j: max(rs, key=lambda r: r["rows_per_s"]) for j, rs in results.items()}
            print(f"entities {label}: speed-up --jobs 2 / --jobs 1 = {best[2]['rows_per_s'] / best[1]['rows_per_s']:.2f}x "
                  f"(best of {len(results[1])} each); CPU 2 jobs / 1 job {best[2]['cpu_s'] / best[1]['cpu_s']:.2f}; "
                  f"parent share of the CPU with 2 jobs {best[2]['parent_cpu_s'] / best[2]['cpu_s']:.0%}")
        if not args.skip_whole:
            r = run(WHOLE, [str(src), str(tmp_path / "whole.csv"), args.model, "1", "1"])
            print(f"{'pandas whole file + route_many (1 core)':<46} {r['rows_per_s']:>8.0f} {r['seconds']:>8.1f} "
                  f"{r['cpu_s']:>8.1f} {r['peak_rss_mb']:>12.0f}")
        src.unlink()

        if not args.memory_rows:
            return
        print("\nstreaming memory (--no-entities, --jobs 2):")
        points = []
        for rows in (args.memory_rows // 10, args.memory_rows):  # the small run already has warm caches
            big = tmp_path / f"mem{rows}.csv"
            make_input(big, texts, rows)
            r = run(SCORE, [str(big), str(tmp_path / "mem_out.csv"), args.model, "2", "0"])
            points.append((rows, r["peak_rss_mb"]))
            print(f"{f'{rows:,} rows ({big.stat().st_size / 2**20:.0f} MB in)':<46} {r['rows_per_s']:>8.0f} "
                  f"{r['seconds']:>8.1f} {r['cpu_s']:>8.1f} {r['peak_rss_mb']:>12.0f}")
            big.unlink()
        (n1, m1), (n2, m2) = points
        slope = (m2 - m1) / (n2 - n1)
        print(f"growth {slope * 1e6:.1f} MB per million rows -> 1,000,000 rows ≈ {m2 + slope * (1e6 - n2):.0f} MB "
              f"(target 1,500 MB)")


if __name__ == "__main__":
    main()
