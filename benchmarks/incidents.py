"""Incidents at scale: rows/s and peak RSS of find_incidents on a generated archive (default 1M rows).

The archive: the Kursk corpus scored once by the shipped model (no NER), plus the 25 outage
messages of one town; rows are drawn from it with random times over 60 days and a random 25%
of the words after the last place mention dropped (so that copies are near-duplicates, not
identical), the outage rows put into the last 48 hours. Generation is not timed. find_incidents
runs in a fresh process (its own memory peak) on the DataFrame written to Parquet.

    python benchmarks/incidents.py                 # 1,000,000 rows
    python benchmarks/incidents.py --rows 200000   # smaller
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


def run(path: str) -> dict:
    from curnlp.analytics import find_incidents
    frame = pd.read_parquet(path)
    start = time.perf_counter()
    result = find_incidents(frame)
    elapsed = time.perf_counter() - start
    rows = result.rows
    outage = rows["outage"].astype(bool)
    counts = rows.loc[outage, "incident"].value_counts()
    unrelated = int((rows["incident"].isin(counts.index[:3]) & ~outage).sum())
    return {"rows": len(frame), "seconds": round(elapsed, 1), "rows_per_s": round(len(frame) / elapsed),
            "peak_rss_mb": round(peak_rss_mb()), "stages_s": result.stats["seconds"],
            "incidents_2plus": result.stats["incidents_min_size"], "pairs_compared": result.stats["pairs_compared"],
            "blocks_split": result.stats["blocks_split_by_group"], "outage_incidents": int(len(counts)),
            "outage_in_largest": int(counts.iloc[0]), "unrelated_in_outage_incidents": unrelated}


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    args = p.parse_args()
    t = time.perf_counter()
    frame = generate(args.rows, args.corpus)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "archive.parquet")
        frame.to_parquet(path, index=False)
        print(f"generated {len(frame):,} rows in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        del frame
        import functools
        result = in_fresh_process(functools.partial(run, path))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
