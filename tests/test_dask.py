"""curnlp.dask: scoring a Dask DataFrame on a 2-process LocalCluster equals score_file."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from curnlp.batch import score_file
from conftest import REPO, archive_rows, read_scored_csv, write_csv

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")


def test_import_without_dask_names_the_extra():
    code = ("import sys; sys.modules['dask'] = None; sys.modules['dask.dataframe'] = None\n"
            "try:\n    import curnlp.dask\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert "pip install 'curnlp[dask]'" in out.stdout


def test_local_cluster_equals_score_file(tmp_path, bundle_path):
    from curnlp.dask import score_dataframe
    rows = archive_rows(90)
    src = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / "out.csv"
    score_file(src, out, router=bundle_path, entities=False, progress=False)
    expected = read_scored_csv(out)

    frame = pd.read_csv(src, dtype=str, keep_default_na=False)
    ddf = dd.from_pandas(frame, npartitions=4)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) \
            as cluster, distributed.Client(cluster) as client:
        scored = score_dataframe(ddf, "Текст обращения", model=bundle_path, entities=False)
        got = scored.compute()
        pids = client.run(lambda: __import__("os").getpid())
        loaded = client.run(lambda: len(__import__("curnlp.dask", fromlist=["_ROUTERS"])._ROUTERS))
    assert len(set(pids.values())) == 2
    assert all(n == 1 for n in loaded.values())  # one Router per worker process, reused
    assert list(got.columns) == list(expected.columns)
    as_text = got.astype(object).where(got.notna(), "")
    for column in got.columns:
        values = [("True" if v else "False") if isinstance(v, bool) else str(v) for v in as_text[column]]
        assert values == list(expected[column]), column
