"""Incidents at scale: rows/s and peak RSS of find_incidents on a generated archive (default 1M rows).

The archive: the Kursk corpus scored once by the shipped model (no NER), plus the 25 outage
messages of one town; rows are drawn from it with random times over 60 days and a random 25%
of the words after the last place mention dropped (so that copies are near-duplicates, not
identical), the outage rows put into the last 48 hours. Generation is not timed. find_incidents
runs in a fresh process (its own memory peak) on the DataFrame written to Parquet.

    python benchmarks/incidents.py                 # 1,000,000 rows
    python benchmarks/incidents.py --rows 200000   # smaller
    python benchmarks/incidents.py --rows 100000 --dump before.csv   # on one commit ...
    python benchmarks/incidents.py --rows 100000 --compare before.csv  # ... same incidents on another?

Prints rows/s, the peak RSS of the process (input frame included), the RSS of the frame alone,
and the peak RSS and seconds of each stage (RSS sampled every 20 ms).
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _common import in_fresh_process, parser, peak_rss_mb  # noqa: E402


def generate(rows: int, corpus: str, town: str = "Фатеж", seed: int = 0) -> pd.DataFrame:
    import os
    os.environ["CURNLP_CORPUS"] = corpus
    import analytics_archive as aa
    base = aa.score(aa.make_archive(town, n_background=len(pd.read_csv(corpus)), seed=seed))
    back = base[~base["outage"]].reset_index(drop=True)
    out = base[base["outage"]].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    n_back = rows - len(out)
    pick = rng.integers(0, len(back), n_back)
    frame = back.iloc[pick].reset_index(drop=True)
    ends = []
    for cell in frame["locations"]:
        locs = json.loads(cell) if isinstance(cell, str) and cell.startswith("[") else []
        ends.append(max((loc["end"] for loc in locs), default=0))
    texts = frame["Текст"].to_numpy(dtype=object)
    keep = rng.random(size=(n_back, 64)) >= 0.25
    new = []
    for i, (text, end) in enumerate(zip(texts, ends)):
        head, tail = text[:end], text[end:].split(" ")
        new.append(head + " ".join(w for k, w in enumerate(tail) if k >= 64 or keep[i, k]))
    frame["Текст"] = new
    end_ts = pd.Timestamp("2026-11-30 18:00")
    frame["Дата обращения"] = (end_ts - pd.to_timedelta(rng.uniform(48, 60 * 24, n_back), unit="h")).strftime("%d.%m.%Y %H:%M")
    out["Дата обращения"] = (end_ts - pd.to_timedelta(rng.uniform(0, 48, len(out)), unit="h")).strftime("%d.%m.%Y %H:%M")
    frame = pd.concat([frame, out], ignore_index=True)
    frame["id"] = [str(i) for i in range(len(frame))]
    return frame


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run(path: str, dump: str | None = None) -> dict:
    import threading

    from curnlp.analytics import find_incidents
    frame = pd.read_parquet(path)
    frame_mb = _rss_mb()
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.perf_counter(), _rss_mb()))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    result = find_incidents(frame)
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    stage_peak, t = {}, start
    for stage in ("read", "vectors", "pairs", "link", "table"):
        end = t + result.stats["seconds"][stage]
        stage_peak[stage] = round(max([m for s, m in samples if t <= s <= end] or [0.0]))
        t = end
    if dump:
        result.rows[["id", "incident"]].to_csv(dump, index=False)
    rows = result.rows
    outage = rows["outage"].astype(bool)
    counts = rows.loc[outage, "incident"].value_counts()
    unrelated = int((rows["incident"].isin(counts.index[:3]) & ~outage).sum())
    return {"rows": len(frame), "seconds": round(elapsed, 1), "rows_per_s": round(len(frame) / elapsed),
            "peak_rss_mb": round(peak_rss_mb()), "rss_after_reading_the_frame_mb": round(frame_mb),
            "stage_peak_rss_mb": stage_peak, "stages_s": result.stats["seconds"],
            "incidents_2plus": result.stats["incidents_min_size"], "pairs_compared": result.stats["pairs_compared"],
            "blocks_split": result.stats["blocks_split_by_group"], "outage_incidents": int(len(counts)),
            "outage_in_largest": int(counts.iloc[0]), "unrelated_in_outage_incidents": unrelated}


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--dump", help="write every row's incident id to this CSV (id, incident)")
    p.add_argument("--compare", help="a --dump of another commit: count the rows whose incident differs")
    args = p.parse_args()
    t = time.perf_counter()
    frame = generate(args.rows, args.corpus)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "archive.parquet")
        frame.to_parquet(path, index=False)
        print(f"generated {len(frame):,} rows in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        del frame
        import functools
        dump = args.dump or (str(Path(tmp) / "incidents.csv") if args.compare else None)
        result = in_fresh_process(functools.partial(run, path, dump))
        if args.compare:
            result["compare"] = compare(args.compare, dump)
    print(json.dumps(result, ensure_ascii=False, indent=2))


def compare(before: str, after: str) -> dict:
    """Rows whose incident differs between two dumps, up to renumbering: two rows share an
    incident in one exactly when they do in the other (ids are compared as they are, too)."""
    a = pd.read_csv(before, dtype=str, keep_default_na=False).set_index("id")["incident"]
    b = pd.read_csv(after, dtype=str, keep_default_na=False).set_index("id")["incident"].reindex(a.index)
    pairs = pd.DataFrame({"a": a.to_numpy(), "b": b.to_numpy()})
    # a row is moved when its incident in one run does not map one-to-one onto its incident in the other
    ab = pairs.groupby("a")["b"].transform("nunique")
    ba = pairs.groupby("b")["a"].transform("nunique")
    return {"rows": int(len(a)), "same_id": int((a.to_numpy() == b.to_numpy()).sum()),
            "rows_in_differing_incidents": int(((ab > 1) | (ba > 1)).sum())}


if __name__ == "__main__":
    main()
