"""Shared test helpers and fixtures: generated Russian archives and a small bundle trained once per session.

The archives are generated from hand-written Russian messages (no corpus rows) with messy
markup and bad rows mixed in. ``test_batch``, ``test_dask`` and ``test_report`` use them.
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from curnlp.io import sniff_delimiter
# messages written for these tests: (template, topic, group, agency)
from curnlp.sample import BUS, HEAT, LIGHT, ROADS, STREETS, TEMPLATES, WASTE, messages  # noqa: F401

REPO = Path(__file__).resolve().parent.parent

BAD_TEXTS = ["", "   ", "!!! ??? ...", "😡😡😡"]


def archive_rows(n: int) -> list[dict]:
    """``n`` rows for an input archive: id, date, text; every 7th row a bad one (empty / no words)."""
    rows = []
    for i, (text, *_rest) in enumerate(messages(n)):
        if i % 7 == 3:
            text = BAD_TEXTS[(i // 7) % len(BAD_TEXTS)]
        rows.append({"id": str(1000 + i), "Дата": f"{1 + i % 28:02d}.{1 + (i // 28) % 12:02d}.2023",
                     "Текст обращения": text})
    return rows


def write_csv(path: Path, rows: list[dict], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def train_bundle(directory: Path) -> Path:
    """Train a small bundle on the generated messages and save it to ``directory``."""
    import curnlp
    data = pd.DataFrame(messages(160), columns=["text", "topic", "group", "agency"])
    trained = curnlp.train(data, text="text", topic="topic", group="group", agency="agency")
    router = trained if hasattr(trained, "save") else getattr(trained, "router")
    return Path(router.save(directory))


@pytest.fixture(scope="session")
def bundle_path(tmp_path_factory) -> Path:
    # one training per session even when other test modules import this fixture
    path = tmp_path_factory.getbasetemp() / "curnlp-batch-bundle"
    if not (path / "manifest.json").exists():
        train_bundle(path)
    return path


@pytest.fixture(scope="session")
def fast_router(bundle_path):
    from curnlp.router import Router
    return Router.load(bundle_path, entities=False)


def read_scored_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                       sep=sniff_delimiter(path.read_text(encoding="utf-8-sig")[:5000]))


def run_cli(args: list[str], **kwargs) -> subprocess.Popen | subprocess.CompletedProcess:
    """``python -m curnlp ARGS`` in a subprocess; ``popen=True`` returns the running process."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "curnlp", *args]
    if kwargs.pop("popen", False):
        return subprocess.Popen(command, env=env, cwd=REPO, **kwargs)
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, **kwargs)


