"""curnlp.batch: streaming scoring of archives, every row kept, resume after kill -9, jobs.

The archives are generated from hand-written Russian messages (no corpus rows) with messy
markup and bad rows mixed in; the helpers and the session bundle are in ``conftest.py``.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from curnlp import batch
from curnlp.batch import CHECKPOINT_SUFFIX, OUTPUT_COLUMNS, Summary, score_file
from curnlp.errors import CorpusError, InvalidInput
from curnlp.io import PartsWriter, StreamWriter
from curnlp.corpus import sniff_delimiter

from conftest import (BAD_TEXTS, REPO, STREETS, TEMPLATES, archive_rows, messages, read_scored_csv,  # noqa: F401
                      bundle_path, run_cli, train_bundle, write_csv)  # bundle_path: test_report imports it from here

# --- every row survives, in order, in every format ------------------------------------------

def _check_scored(frame: pd.DataFrame, rows: list[dict]) -> None:
    assert list(frame["id"]) == [r["id"] for r in rows]
    assert list(frame.columns[:3]) == ["id", "Дата", "Текст обращения"]
    assert list(frame.columns[3:]) == list(OUTPUT_COLUMNS)
    for i, (_, out) in enumerate(frame.iterrows()):
        if i % 7 == 3:
            assert out["error"], f"bad row {i} has no error"
            assert not out["agency"]
        else:
            assert not out["error"], out["error"]
            assert out["agency"] and out["topic"] and out["group"]
            assert 0 < float(out["agency_confidence"]) <= 1
            json.loads(out["locations"])


@pytest.mark.parametrize("variant", ["utf8", "bom", "cp1251", "semicolon", "tsv", "jsonl", "parquet", "xlsx"])
def test_every_row_survives_in_order(tmp_path, fast_router, variant):
    rows = archive_rows(60)
    if variant == "utf8":
        src = write_csv(tmp_path / "in.csv", rows)
    elif variant == "bom":
        src = write_csv(tmp_path / "in.csv", rows, encoding="utf-8-sig")
    elif variant == "cp1251":
        rows = [{**r, "Текст обращения": r["Текст обращения"].encode("cp1251", "ignore").decode("cp1251")}
                for r in rows]  # emoji do not exist in cp1251
        src = write_csv(tmp_path / "in.csv", rows, encoding="cp1251")
    elif variant == "semicolon":
        src = write_csv(tmp_path / "in.csv", rows, delimiter=";")
    elif variant == "tsv":
        src = write_csv(tmp_path / "in.tsv", rows, delimiter="\t")
    elif variant == "jsonl":
        src = tmp_path / "in.jsonl"
        src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif variant == "parquet":
        src = tmp_path / "in.parquet"
        pd.DataFrame(rows).to_parquet(src)
    else:
        src = tmp_path / "in.xlsx"
        pd.DataFrame(rows).to_excel(src, index=False)
    out = tmp_path / "out.csv"
    summary = score_file(src, out, router=fast_router, chunk_size=16, progress=False)
    frame = read_scored_csv(out)
    if variant == "xlsx":  # Excel keeps empty cells empty: the blank texts are "no text" rows
        frame["Текст обращения"] = frame["Текст обращения"].fillna("")
    _check_scored(frame, rows)
    assert [r["Текст обращения"] for r in rows] == list(frame["Текст обращения"])
    bad = sum(1 for i in range(len(rows)) if i % 7 == 3)
    assert (summary.rows_read, summary.failed, summary.routed) == (60, bad, 60 - bad)
    assert not Path(str(out) + CHECKPOINT_SUFFIX).exists()


def test_broken_records_undecodable_bytes_and_multiline_cells(tmp_path, fast_router):
    header = "id,Дата,Текст обращения\r\n"
    good = [f'{i},01.02.2023,"{text}"\r\n' for i, (text, *_r) in enumerate(messages(6))]
    raw = (header + good[0] + good[1]).encode("utf-8")
    raw += '7,01.02.2023,"Многострочное\nсообщение: яма на ул. Ленина,\r\nглубокая ""очень"""\r\n'.encode("utf-8")
    raw += "8,01.02.2023,лишнее,поле,здесь\r\n".encode("utf-8")          # 5 fields, header has 3
    raw += "9,01.02.2023\r\n".encode("utf-8")                             # 2 fields
    raw += b"10,01.02.2023,\xff\xfe \xd0\xaf\xd0\xbc\xd0\xb0 \xd0\xbd\xd0\xb0 \xd0\xb4\xd0\xbe\xd1\x80\xd0\xbe\xb3\r\n"
    raw += (good[2] + good[3] + "\r\n" + good[4]).encode("utf-8")        # a blank line is no record
    raw += f'11,01.02.2023,"{"Яма на дороге. " * 400}"\r\n'.encode("utf-8")  # 6,000 characters
    src = tmp_path / "broken.csv"
    src.write_bytes(raw)
    out = tmp_path / "out.jsonl"
    summary = score_file(src, out, router=fast_router, progress=False, max_chars=5000)
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [g["id"] for g in got] == ["0", "1", "7", "8", "9", "10", "2", "3", "4", "11"]
    by_id = {g["id"]: g for g in got}
    assert by_id["7"]["error"] is None and by_id["7"]["agency"]
    assert "Многострочное\nсообщение" in by_id["7"]["Текст обращения"]
    assert "5 fields where the header has 3" in by_id["8"]["error"]
    assert by_id["8"]["Текст обращения"] == "лишнее,поле,здесь"  # no field lost
    assert "2 fields" in by_id["9"]["error"]
    assert "undecodable" in by_id["10"]["error"] and "\ufffd" in by_id["10"]["Текст обращения"]
    assert "too long" in by_id["11"]["error"] and by_id["11"]["agency"] is None
    assert isinstance(by_id["0"]["locations"], list) and isinstance(by_id["0"]["needs_review"], bool)
    assert summary.rows_read == 10 and summary.failed == 4 and summary.routed == 6
    assert summary.to_dict()["rows_read"] == 10 and "row 4" in summary.failures[0]


def test_jsonl_non_text_and_bad_lines(tmp_path, fast_router):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "Не горят фонари на ул. Ленина", "n": 1}\n'
                   '{"text": 12345, "n": 2}\n'
                   'not json at all\n'
                   '\n'
                   '["a list"]\n'
                   '{"text": null, "n": 5, "later": "новый ключ"}\n'
                   '{"text": "Яма на дороге", "n": 6}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    score_file(src, out, router=fast_router, progress=False)
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(got) == 6
    assert got[0]["agency"] and got[0]["error"] is None
    assert got[1]["error"].startswith("not text: int")
    assert "invalid JSON" in got[2]["error"] and "line 3" in got[2]["error"]
    assert "expected a JSON object" in got[3]["error"]
    assert got[4]["error"].startswith("no text") and got[4]["later"] == "новый ключ"
    assert got[5]["agency"]


def test_all_output_formats_agree(tmp_path, fast_router):
    rows = archive_rows(40)
    src = write_csv(tmp_path / "in.csv", rows)
    frames = {}
    for fmt in ("csv", "jsonl", "parquet", "xlsx"):
        out = tmp_path / f"out.{fmt}"
        score_file(src, out, router=fast_router, chunk_size=7, progress=False)
        if fmt == "csv":
            frame = read_scored_csv(out)
        elif fmt == "jsonl":
            frame = pd.read_json(out, lines=True, dtype=False)
        elif fmt == "parquet":
            frame = pd.read_parquet(out)
        else:
            frame = pd.read_excel(out, dtype={"id": str})
        frames[fmt] = frame
        assert not Path(str(out) + batch.PARTS_SUFFIX).exists()
    for fmt, frame in frames.items():
        assert len(frame) == 40, fmt
        assert [str(v) for v in frame["id"]] == [r["id"] for r in rows], fmt
        agencies = [a if isinstance(a, str) and a else None for a in frame["agency"]]
        assert agencies == [a or None for a in frames["csv"]["agency"]], fmt


def test_text_column_errors_list_columns(tmp_path, fast_router):
    src = write_csv(tmp_path / "in.csv", [{"номер": "1", "комментарий": "яма"}])
    with pytest.raises(CorpusError, match="комментарий"):
        score_file(src, tmp_path / "o.csv", router=fast_router, progress=False)
    with pytest.raises(CorpusError, match=r"text column 'нет' not in .*'номер'"):
        score_file(src, tmp_path / "o.csv", router=fast_router, text_column="нет", progress=False)
    with pytest.raises(CorpusError, match="no such file"):
        score_file(tmp_path / "missing.csv", tmp_path / "o.csv", router=fast_router, progress=False)


def test_input_column_named_like_an_output_column_is_kept(tmp_path, fast_router):
    src = write_csv(tmp_path / "in.csv", [{"text": "Яма на дороге на ул. Ленина", "error": "старое"}])
    out = tmp_path / "o.csv"
    score_file(src, out, router=fast_router, progress=False)
    frame = read_scored_csv(out)
    assert list(frame.columns) == ["text", "error_input", *OUTPUT_COLUMNS]
    assert frame["error_input"][0] == "старое" and frame["error"][0] == ""


# --- processes -------------------------------------------------------------------------------

def test_jobs_2_equals_jobs_1_with_entities(tmp_path, bundle_path):
    src = write_csv(tmp_path / "in.csv", archive_rows(120))
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    s1 = score_file(src, one, router=bundle_path, jobs=1, chunk_size=25, progress=False)
    s2 = score_file(src, two, router=bundle_path, jobs=2, chunk_size=25, progress=False)
    assert one.read_bytes() == two.read_bytes()
    assert (s1.rows_read, s1.routed, s1.failed) == (s2.rows_read, s2.routed, s2.failed) == (120, 103, 17)
    assert s2.jobs == 2


def test_router_route_many_n_jobs(fast_router):
    texts = [t for t, *_ in messages(40)] + [""]
    single = fast_router.route_many(texts, batch_size=8, errors="return")
    multi = batch.route_in_processes(fast_router, texts, batch_size=8, n_jobs=2, errors="return")
    assert [getattr(r, "agency", None) for r in single] == [getattr(r, "agency", None) for r in multi]
    via_router = fast_router.route_many(texts, batch_size=8, n_jobs=2, errors="return")
    assert [r.to_dict() for r in via_router[:-1]] == [r.to_dict() for r in single[:-1]]
    assert isinstance(multi[-1], Exception)
    with pytest.raises(InvalidInput, match="message 40"):
        batch.route_in_processes(fast_router, texts, batch_size=8, n_jobs=2)


def test_worker_failure_to_load_is_reported(tmp_path):
    src = write_csv(tmp_path / "in.csv", archive_rows(5))
    from curnlp.errors import ModelNotFound
    with pytest.raises(ModelNotFound):
        score_file(src, tmp_path / "o.csv", router=tmp_path / "no-bundle", jobs=2, progress=False)


# --- stdin / stdout and the command line ---------------------------------------------------------

def test_stdin_to_stdout_equals_files(tmp_path, bundle_path):
    rows = archive_rows(30)
    src = write_csv(tmp_path / "in.csv", rows, delimiter=";")
    score_file(src, tmp_path / "file.csv", router=bundle_path, entities=False, progress=False)
    piped = run_cli(["score", "-", "-o", "-", "--model", str(bundle_path), "--no-entities"],
                    input=src.read_bytes())
    assert piped.returncode == 0, piped.stderr.decode()
    assert piped.stdout == (tmp_path / "file.csv").read_bytes()
    assert b"30 rows read" in piped.stderr
    as_jsonl = run_cli(["score", "-", "-o", "-", "--output-format", "jsonl", "--model", str(bundle_path),
                        "--no-entities", "-q"], input=src.read_bytes())
    lines = as_jsonl.stdout.decode().splitlines()
    assert len(lines) == 30 and json.loads(lines[0])["id"] == "1000" and as_jsonl.stderr == b""


def test_cli_errors_exit_1(tmp_path, bundle_path):
    src = write_csv(tmp_path / "in.csv", [{"a": "1", "b": "2"}])
    done = run_cli(["score", str(src), "-o", str(tmp_path / "o.csv"), "--model", str(bundle_path)])
    assert done.returncode == 1
    assert "no text column found" in done.stderr.decode() and "'a', 'b'" in done.stderr.decode()


# --- resume --------------------------------------------------------------------------------------

def test_resume_after_kill_9_gives_the_same_file(tmp_path, bundle_path):
    rows = [{**r, "id": str(i)} for i, r in enumerate(archive_rows(112) * 40)]  # 4,480 rows
    src = write_csv(tmp_path / "in.csv", rows)
    reference = tmp_path / "reference.csv"
    score_file(src, reference, router=bundle_path, entities=False, chunk_size=64, progress=False)

    out = tmp_path / "out.csv"
    checkpoint = Path(str(out) + CHECKPOINT_SUFFIX)
    args = ["score", str(src), "-o", str(out), "--model", str(bundle_path), "--no-entities",
            "--chunk-size", "64", "-q"]
    proc = run_cli(args, popen=True)
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            done = json.loads(checkpoint.read_text(encoding="utf-8"))["rows_done"]
        except (OSError, ValueError, KeyError):
            done = 0
        if done >= 256:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the run ended before it could be killed: make the input larger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < done < len(rows)
    assert checkpoint.exists()
    partial = out.read_bytes()
    assert 0 < len(partial) < reference.stat().st_size

    resumed = run_cli(args[:-1] + ["--resume"])
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert out.read_bytes() == reference.read_bytes()
    assert not checkpoint.exists()
    assert f"{len(rows):,} rows read".encode() in resumed.stderr and b"from the earlier run" in resumed.stderr

    again = run_cli(args + ["--resume"])  # nothing left to resume: a clear refusal, not a rewrite
    assert again.returncode == 1 and b"nothing to resume" in again.stderr


def test_a_dead_worker_is_an_error_not_a_hang_and_resume_finishes(tmp_path, bundle_path):
    psutil = pytest.importorskip("psutil")
    rows = [{**r, "id": str(i)} for i, r in enumerate(archive_rows(112) * 20)]
    src = write_csv(tmp_path / "in.csv", rows)
    reference, out = tmp_path / "reference.jsonl", tmp_path / "out.jsonl"
    score_file(src, reference, router=bundle_path, entities=False, chunk_size=32, progress=False)
    checkpoint = Path(str(out) + CHECKPOINT_SUFFIX)
    args = ["score", str(src), "-o", str(out), "--model", str(bundle_path), "--no-entities", "--chunk-size", "32",
            "--jobs", "2"]
    proc = run_cli(args, popen=True, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if json.loads(checkpoint.read_text(encoding="utf-8"))["rows_done"] >= 64:
                break
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.005)
    workers = psutil.Process(proc.pid).children()
    assert proc.poll() is None and workers, "the run ended before a worker could be killed"
    workers[0].kill()
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1 and b"worker process died" in stderr, (proc.returncode, stderr.decode()[-2000:])
    resumed = run_cli(args + ["--resume"])
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert out.read_bytes() == reference.read_bytes()


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "xlsx"])
def test_resume_other_formats_from_a_checkpoint(tmp_path, fast_router, fmt, monkeypatch):
    src = write_csv(tmp_path / "in.csv", archive_rows(50))
    reference, out = tmp_path / f"ref.{fmt}", tmp_path / f"out.{fmt}"
    score_file(src, reference, router=fast_router, chunk_size=10, progress=False)

    real = StreamWriter.write if fmt == "jsonl" else PartsWriter.write
    calls = {"n": 0}

    def dying_write(self, *a, **k):  # the process "dies" while writing the 4th chunk
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(self, *a, **k)

    monkeypatch.setattr(StreamWriter if fmt == "jsonl" else PartsWriter, "write", dying_write)
    with pytest.raises(KeyboardInterrupt):
        score_file(src, out, router=fast_router, chunk_size=10, progress=False)
    monkeypatch.undo()
    assert json.loads(Path(str(out) + CHECKPOINT_SUFFIX).read_text())["rows_done"] == 30
    summary = score_file(src, out, router=fast_router, chunk_size=10, progress=False, resume=True)
    assert summary.resumed_rows == 30 and summary.rows_read == 50
    if fmt == "jsonl":
        assert out.read_bytes() == reference.read_bytes()
    elif fmt == "parquet":
        assert pd.read_parquet(out).equals(pd.read_parquet(reference))
    else:
        assert pd.read_excel(out).equals(pd.read_excel(reference))


def test_resume_refuses_another_input_or_model_options(tmp_path, fast_router, bundle_path):
    src = write_csv(tmp_path / "in.csv", archive_rows(30))
    out = tmp_path / "out.csv"
    checkpoint = Path(str(out) + CHECKPOINT_SUFFIX)
    score_file(src, out, router=fast_router, chunk_size=10, progress=False)
    with pytest.raises(CorpusError, match="nothing to resume"):
        score_file(src, out, router=fast_router, resume=True, progress=False)
    # a checkpoint of this input with other options, then of an input that changed since
    saved = {"version": batch._CHECKPOINT_VERSION, "rows_done": 10, "input": batch._input_identity(str(src)), "chunk_size": 10,
             "state": {"output_offset": 0}, "options": {"text_column": "Текст обращения"}, "counts": {}}
    checkpoint.write_text(json.dumps(saved))
    with pytest.raises(CorpusError, match="other options or another model"):
        score_file(src, out, router=fast_router, resume=True, progress=False)
    write_csv(src, archive_rows(31))
    with pytest.raises(CorpusError, match="not the file the checkpoint was made for"):
        score_file(src, out, router=fast_router, resume=True, progress=False)
    with pytest.raises(CorpusError, match="needs an input file"):
        score_file("-", out, router=fast_router, resume=True, progress=False)


def test_summary_str_and_dict():
    s = Summary("in.csv", "out.csv", rows_read=10, routed=8, needs_review=2, failed=2, elapsed_s=2.0,
                resumed_rows=4)
    assert s.rows_per_s == 3.0
    assert "10 rows read" in str(s) and "25.0%" in str(s)
    assert s.to_dict()["rows_per_s"] == 3.0


def test_register_builds_the_subcommand():
    parser = argparse.ArgumentParser()
    batch.register(parser.add_subparsers())
    args = parser.parse_args(["score", "in.csv", "-o", "out.csv", "--jobs", "2", "--no-entities", "--resume"])
    assert (args.jobs, args.no_entities, args.resume, args.max_chars) == (2, True, True, 100_000)
    assert args.run is batch._cmd_score
