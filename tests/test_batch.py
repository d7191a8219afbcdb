"""curnlp.batch: streaming scoring of archives, every row kept, resume after kill -9, jobs.

The archives are generated from hand-written Russian messages (no corpus rows) with messy
markup and bad rows mixed in; the helpers and the session bundle are in ``conftest.py``.
"""
from __future__ import annotations

import argparse
import io
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
from curnlp.batch import checkpoints, scoring
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
        if i % 7 == 3:  # no words: routed, flagged, no labels (an empty Excel cell is "no text")
            assert out["error"] or str(out["needs_review"]) == "True", f"bad row {i} is not flagged"
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
    failed = sum(1 for e in frame["error"] if isinstance(e, str) and e)
    assert failed == (sum(1 for i, r in enumerate(rows) if i % 7 == 3 and r["Текст обращения"] == "")
                      if variant == "xlsx" else 0)
    assert (summary.rows_read, summary.failed, summary.routed) == (60, failed, 60 - failed)
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
    assert (s1.rows_read, s1.routed, s1.failed) == (s2.rows_read, s2.routed, s2.failed) == (120, 120, 0)
    assert s2.jobs == 2


def test_router_route_many_n_jobs(fast_router):
    texts = [t for t, *_ in messages(40)] + [None]
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
    saved = {"version": checkpoints.CHECKPOINT_VERSION, "rows_done": 10, "input": checkpoints.input_identity(str(src)), "chunk_size": 10,
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
    from curnlp.cli import score
    parser = argparse.ArgumentParser()
    score.register(parser.add_subparsers())
    args = parser.parse_args(["score", "in.csv", "-o", "out.csv", "--jobs", "2", "--no-entities", "--resume"])
    assert (args.jobs, args.no_entities, args.resume, args.max_chars) == (2, True, True, 100_000)
    assert args.func is score.run


# --- a broken record costs only itself; every physical line is accounted for ------------------

def _generated_archive(n: int, *, delimiter: str = ",", broken: dict[int, str] | None = None,
                       multiline: set[int] = frozenset(), crlf: bool = False) -> tuple[str, list[str]]:
    """A CSV text of ``n`` rows (id, date, text) as an export would write it, with the raw
    lines of ``broken`` put in place of some rows; returns (text, ids in order)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(["id", "Дата", "Текст обращения"])
    ids = []
    for i, (text, *_rest) in enumerate(messages(n)):
        ident = str(100 + i)
        ids.append(ident)
        if broken and i in broken:
            buffer.write(broken[i].format(id=ident, d=delimiter) + ("\r\n" if crlf else "\n"))
            continue
        if i in multiline:
            text = f"{text}\nПовторно пишу, {text.lower()}"
        writer.writerow([ident, f"{1 + i % 28:02d}.03.2023", text])
    return buffer.getvalue(), ids


@pytest.mark.parametrize("case", [
    "quote_then_records",     # "… no closing quote, the following records are swallowed
    "quote_to_end",           # the swallowing quote runs to the end of the file
    "closes_in_later_cell",   # it closes at a quote followed by a delimiter rows later: right width
    "semicolon_crlf",
    "two_broken",
])
def test_an_unterminated_quote_keeps_every_other_row(tmp_path, fast_router, case):
    delimiter, crlf = (";", True) if case == "semicolon_crlf" else (",", False)
    broken = {5: '{id}{d}01.03.2023{d}"Яма на дороге у дома 5, ответа нет'}
    multiline = {2, 9}
    if case == "quote_to_end":
        broken = {24: '{id}{d}01.03.2023{d}"Фонари не горят, жду ответа'}
    elif case == "closes_in_later_cell":
        broken[11] = '{id}{d}01.03.2023{d}Мусор у дома "Ромашка"{d}'   # a stray quote, then a delimiter
        broken[12] = '{id}{d}01.03.2023{d}Не вывозят мусор у магазина "Ромашка"'
    elif case == "two_broken":
        broken[17] = '{id}{d}"01.03.2023{d}Автобус 41 не пришёл'
    text, ids = _generated_archive(26, delimiter=delimiter, broken=broken, multiline=multiline, crlf=crlf)
    src = tmp_path / "export.csv"
    src.write_text(text, encoding="utf-8")
    physical = text.count("\n")
    out = tmp_path / "out.jsonl"
    summary = score_file(src, out, router=fast_router, chunk_size=4, progress=False)
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [g["id"] for g in got] == ids                       # every row, in order, none joined
    errors = {g["id"] for g in got if g["error"]}
    opened = {k for k, v in broken.items() if v.count('"') % 2}  # rows with an unterminated quote
    assert {str(100 + k) for k in opened} <= errors
    assert all("line" in g["error"] for g in got if g["id"] in {str(100 + k) for k in opened})
    kept = [g for g in got if g["id"] not in errors]
    assert len(kept) >= len(ids) - len(broken) and all(g["agency"] for g in kept)
    assert {g["id"] for g in kept if "\n" in g["Текст обращения"]} == {str(100 + k) for k in multiline}
    assert summary.rows_read == len(ids) and summary.failed == len(errors)
    assert summary.lines == physical                           # every physical line counted
    assert summary.lines == summary.header_lines + summary.blank_lines + len(ids) + len(multiline)
    assert f"{physical} lines (1 header" in str(summary)


def test_field_count_mismatch_and_blank_lines_are_accounted(tmp_path, fast_router):
    text = ("id,Текст\n1,Яма на дороге на ул. Ленина\n\n2,лишнее,поле\n3\n"
            "4,\"Не горят фонари,\nтемно\"\n\n5,Не вывозят мусор\n")
    src = tmp_path / "in.csv"
    src.write_text(text, encoding="utf-8")
    summary = score_file(src, tmp_path / "o.jsonl", router=fast_router, progress=False)
    got = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [g["id"] for g in got] == ["1", "2", "3", "4", "5"]
    assert "3 fields where the header has 2" in got[1]["error"] and got[1]["Текст"] == "лишнее,поле"
    assert "line 5" in got[2]["error"]
    assert (summary.lines, summary.header_lines, summary.blank_lines) == (9, 1, 2)


def test_jsonl_archive_with_bad_lines_counts_lines(tmp_path, fast_router):
    rows = archive_rows(20)
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    lines.insert(4, '{"id": "broken", "Текст обращения": "не закрыт')   # cut line
    lines.insert(9, "")
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = score_file(src, tmp_path / "o.csv", router=fast_router, progress=False)
    frame = read_scored_csv(tmp_path / "o.csv")
    assert list(frame["id"]) == [r["id"] for r in rows[:4]] + [""] + [r["id"] for r in rows[4:]]
    assert "invalid JSON" in frame["error"][4]
    assert (summary.rows_read, summary.lines, summary.blank_lines) == (21, 22, 1)


def test_cur_incident_export_keeps_every_row_and_column(tmp_path, fast_router):
    """A ЦУР incident export as Excel saves it: BOM, ';', CRLF, apostrophes, VK markup,
    multi-line quoted cells, quotes doubled inside cells, an empty trailing column."""
    header = ["№ инцидента", "Дата создания", "Текст инцидента", "Категория", "Муниципалитет", ""]
    cells = [
        ["36001", "01.03.2023 09:12", "'Здравствуйте! [club2158|Администрация Курска], на ул. Ленина яма", "Дороги",
         "город Курск", ""],
        ["36002", "01.03.2023 10:40", 'Не горят фонари на ул. "Союзной"\r\nуже неделю;\r\nтемно', "ЖКХ",
         "город Курск", ""],
        ["36003", "02.03.2023 11:00", "", "ЖКХ", "Курский район", ""],
        ["36004", "02.03.2023 12:30", "=ПОЧЕМУ не вывозят мусор??? '' ул. Мира", "Экология", "", ""],
        ["36005", "03.03.2023 08:05", "Автобус 41 не ходит;\nостановка «Театр»", "Транспорт", "город Курск", ""],
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(cells)
    src = tmp_path / "incidents.csv"
    src.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    out = tmp_path / "scored.csv"
    summary = score_file(src, out, router=fast_router, progress=False)
    frame = read_scored_csv(out)
    assert list(frame.columns) == ["№ инцидента", "Дата создания", "Текст инцидента", "Категория",
                                   "Муниципалитет", "column_6", *OUTPUT_COLUMNS]
    assert [list(r[:5]) for r in frame.itertuples(index=False)] == [c[:5] for c in cells]
    assert list(frame["error"] != "") == [False] * 5  # an empty text is routed and flagged (issue 11)
    assert frame["review_reasons"][2] == "no_words" and frame["agency"][2] == ""
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    assert summary.lines == 1 + 1 + 3 + 1 + 1 + 2 and summary.rows_read == 5


# --- no formulas ---------------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"жми\")", "=1+2 яма на дороге", "+7 900 жалоба на мусор",
            "-5 градусов в квартире, нет отопления", "@SUM(A1) фонари не горят"]


def test_xlsx_output_has_no_formula_cells(tmp_path, fast_router):
    import openpyxl
    rows = [{"id": f"=ID{i}", "Текст обращения": text} for i, text in enumerate(FORMULAS)]
    src = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / "out.xlsx"
    score_file(src, out, router=fast_router, progress=False)
    book = openpyxl.load_workbook(out)  # not read-only: formulas would show as data_type 'f'
    cells = [c for row in book.active.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = [[c.value for c in row] for row in book.active.iter_rows(max_col=2)]
    assert values[1:] == [[r["id"], r["Текст обращения"]] for r in rows]
    assert book.active["B2"].quotePrefix  # shown as typed in Excel


def test_csv_output_as_is_or_spreadsheet_safe(tmp_path, fast_router):
    rows = [{"id": str(i), "Текст обращения": text} for i, text in enumerate(FORMULAS)]
    src = write_csv(tmp_path / "in.csv", rows)
    plain, safe = tmp_path / "plain.csv", tmp_path / "safe.csv"
    score_file(src, plain, router=fast_router, progress=False)
    score_file(src, safe, router=fast_router, progress=False, safe_csv=True)
    assert list(read_scored_csv(plain)["Текст обращения"]) == FORMULAS
    assert list(read_scored_csv(safe)["Текст обращения"]) == ["'" + t for t in FORMULAS]
    assert list(read_scored_csv(safe)["agency"]) == list(read_scored_csv(plain)["agency"])
    done = run_cli(["score", str(src), "-o", str(tmp_path / "cli.csv"), "--model", str(bundle_path_of(fast_router)),
                    "--no-entities", "--safe-csv", "-q"])
    assert done.returncode == 0 and (tmp_path / "cli.csv").read_bytes() == safe.read_bytes()


def bundle_path_of(router) -> Path:
    return Path(router.path)


# --- exit status -----------------------------------------------------------------------------

def test_exit_status_when_nothing_is_routed_or_too_much_failed(tmp_path, bundle_path):
    rows = archive_rows(14)  # rows 3 and 10 are bad
    src = write_csv(tmp_path / "in.csv", rows)
    model = ["--model", str(bundle_path), "--no-entities"]
    wrong = run_cli(["score", str(src), "-o", str(tmp_path / "a.csv"), "--text-column", "Дата", *model])
    assert wrong.returncode == 3, wrong.stderr.decode()
    message = wrong.stderr.decode()
    assert "no row could be routed: none of the 14 rows has Russian words" in message and "--text-column" in message
    assert len(read_scored_csv(tmp_path / "a.csv")) == 14  # the output is still complete
    # word-less rows are routed and flagged (issue 11); rows over --max-chars fail
    for i in (3, 10):
        rows[i]["Текст обращения"] = "Яма на дороге у дома. " * 40
    src = write_csv(tmp_path / "long.csv", rows)
    model += ["--max-chars", "500"]
    strict = run_cli(["score", str(src), "-o", str(tmp_path / "b.csv"), "--max-failed", "1", *model])
    assert strict.returncode == 4 and "2 rows failed" in strict.stderr.decode()
    share = run_cli(["score", str(src), "-o", str(tmp_path / "c.csv"), "--max-failed", "15%", "-q", *model])
    assert share.returncode == 0, share.stderr.decode()
    bad = run_cli(["score", str(src), "-o", str(tmp_path / "d.csv"), "--max-failed", "много", *model])
    assert bad.returncode == 2 and "percentage" in bad.stderr.decode()
    helped = run_cli(["score", "--help"])
    assert all(f"\n  {code:<4} " in helped.stdout.decode() for code in batch.EXIT_CODES)


# --- group names, progress ------------------------------------------------------------------

def test_group_names_next_to_codes_from_the_region_pack(tmp_path):
    from curnlp.router import Router
    router = Router.load(entities=False)  # the shipped Kursk bundle: numeric group codes
    rows = [{"id": str(i), "Текст обращения": t} for i, t in enumerate([
        "Огромная яма на дороге по ул. Ленина, машины ломают подвеску",
        "Не вывозят мусор с контейнерной площадки, баки переполнены",
        "В квартире холодные батареи, отопление не работает"])]
    src = write_csv(tmp_path / "in.csv", rows)
    score_file(src, tmp_path / "o.csv", router=router, progress=False)
    frame = read_scored_csv(tmp_path / "o.csv")
    assert list(frame.columns).index("group_name") == list(frame.columns).index("group") + 1
    for code, name in zip(frame["group"], frame["group_name"]):
        assert name == router.region.groups[code] and name != code


def test_progress_counts_bytes_of_a_file_from_the_start(tmp_path, fast_router, monkeypatch):
    src = write_csv(tmp_path / "in.csv", archive_rows(40))
    table = batch.open_table(src)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    bar = scoring._progress_bar(True, table, 0)
    try:
        assert bar.total == src.stat().st_size and bar.unit == "B"
    finally:
        bar.close()
        table.close()
    seen = []

    class Spy:
        def __init__(self, bar):
            self.bar = bar

    real = scoring._progress_bar

    def spying(enabled, table, initial):
        b = real(False, table, initial)
        seen.append(b)
        return b

    monkeypatch.setattr(scoring, "_progress_bar", spying)
    score_file(src, tmp_path / "o.csv", router=fast_router, chunk_size=7, progress=True)
    assert seen[0].total == src.stat().st_size and seen[0].n == src.stat().st_size


def test_the_worker_pool_imports_neither_the_router_nor_the_scoring_modules():
    code = ("import sys, curnlp.batch.workers\n"
            "print(sorted(m for m in sys.modules if m.startswith('curnlp.')), 'pandas' in sys.modules)\n"
            "import curnlp.router\nprint('curnlp.batch.scoring' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.splitlines() == ["['curnlp._lazy', 'curnlp.batch', 'curnlp.batch.workers', 'curnlp.errors'] False",
                                       "False"], out.stderr


def test_training_reads_csv_with_the_same_detector_and_recovery(tmp_path):
    from curnlp.corpus import read_table
    text, ids = _generated_archive(12, delimiter=";", broken={4: '{id}{d}01.03.2023{d}"Яма без кавычки'})
    src = tmp_path / "train.csv"
    src.write_bytes(text.encode("cp1251", "ignore"))
    frame = read_table(src)
    assert list(frame["id"]) == [i for i in ids if i != "104"]
    assert len(frame.attrs["read_problems"]) == 1 and "line 6" in frame.attrs["read_problems"][0]
    assert frame["Текст обращения"].str.contains("Огромная яма").any()  # cp1251 detected


def test_a_multiline_cell_that_looks_like_records_is_not_split(tmp_path):
    """A quoted cell whose next line starts with a number and holds commas is one row: only
    lines whose id and date columns have the shapes they always had count as records."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "Дата", "Текст"])
    for i, text in enumerate(["Яма на дороге", "Не горят фонари", "Мусор не вывозят"], 1):
        writer.writerow([str(i), f"0{i}.03.2023", text])
    writer.writerow(["4", "04.03.2023", "Здравствуйте,\n2, 3 подъезд, нет света\n5 дней жду, ответа нет"])
    writer.writerow(["5", "05.03.2023", "Нет воды"])
    src = tmp_path / "in.csv"
    src.write_text(buffer.getvalue(), encoding="utf-8")
    table = batch.open_table(src)
    rows = list(table.rows())
    table.close()
    assert [r.values[0] for r in rows] == ["1", "2", "3", "4", "5"] and not any(r.error for r in rows)
    assert rows[3].values[2].count("\n") == 2 and table.lines == 8


# --- bad sizes are refused, not silently routed to nothing ------------------------------------

@pytest.mark.parametrize("options", [{"batch_size": -5}, {"batch_size": 0}, {"batch_size": 2.5},
                                     {"n_jobs": 0}, {"n_jobs": -3}, {"n_jobs": True}])
def test_route_many_refuses_a_bad_batch_size_or_n_jobs(fast_router, options):
    texts = ["Яма на дороге по ул. Ленина", "Не вывозят мусор уже неделю"]
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        fast_router.route_many(texts, **options)
    assert len(fast_router.route_many(texts, batch_size=1, n_jobs=-1)) == 2  # -1: one process per core


@pytest.mark.parametrize("option", [["--jobs", "0"], ["--jobs", "-3"], ["-j", "два"], ["--chunk-size", "0"],
                                    ["--chunk-size", "-10"], ["--max-chars", "0"]])
def test_score_refuses_bad_sizes_in_one_line(tmp_path, capsys, option):
    from curnlp.cli import main
    src = write_csv(tmp_path / "in.csv", archive_rows(3))
    with pytest.raises(SystemExit) as stop:
        main(["score", str(src), "-o", str(tmp_path / "o.csv"), *option])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and err.startswith("curnlp: error: argument ")
    assert option[0] in err and not (tmp_path / "o.csv").exists()
