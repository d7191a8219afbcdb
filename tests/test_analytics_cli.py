"""``curnlp report`` and ``curnlp incidents`` on what ``curnlp score`` writes, whatever its delimiter,
and the checks of their options at the command line."""
from __future__ import annotations

import csv

import pandas as pd
import pytest

from curnlp.cli import main

from analytics_archive import make_archive
from conftest import run_cli


@pytest.fixture(scope="module", params=[";", "\t"], ids=["semicolon", "tab"])
def scored(request, tmp_path_factory):
    """A small archive (background plus a water outage in Фатеж) written with ``delimiter`` and
    scored by ``python -m curnlp score``, which writes its output with the input's delimiter."""
    delimiter = request.param
    folder = tmp_path_factory.mktemp("scored")
    archive = make_archive("Фатеж", n_background=120, days=20, seed=3)
    archive.loc[5, "Текст"] = "<p>Яма на дороге; машины бьют колёса\tпо ул. Ленина</p>"  # delimiters inside a cell
    source, out = folder / "archive.csv", folder / "scored.csv"
    archive.to_csv(source, sep=delimiter, index=False, quoting=csv.QUOTE_MINIMAL)
    done = run_cli(["score", str(source), "-o", str(out), "--no-entities", "--quiet"])
    assert done.returncode == 0, done.stderr.decode()
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(delimiter)[:3] == ["id", "Дата обращения", "Текст"] and "," not in header
    return out, archive


def test_report_reads_the_scored_file(scored, tmp_path, capsys):
    path, archive = scored
    page = tmp_path / "report.html"
    assert main(["report", str(path), "-o", str(page)]) == 0
    assert f"{len(archive):,} rows" in capsys.readouterr().err
    html = page.read_text(encoding="utf-8")
    assert "Всплески" in html and "Крупнейшие инциденты" in html and "Фатеж" in html
    brief = tmp_path / "brief.html"
    assert main(["report", str(path), "-o", str(brief), "--municipality", "фатеж", "-q"]) == 0
    assert "Справка: Фатеж" in brief.read_text(encoding="utf-8")


def test_incidents_read_the_scored_file(scored, tmp_path):
    path, archive = scored
    out = tmp_path / "rows.csv"
    assert main(["incidents", str(path), "-o", str(out), "--window", "2d", "-q"]) == 0
    rows = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(rows["id"]) == list(archive["id"]) and rows.loc[5, "Текст"] == archive.loc[5, "Текст"]
    outage = rows[archive["outage"].to_numpy()]
    assert outage["incident"].value_counts().iloc[0] >= 15  # the outage is found as one incident
    table = pd.read_csv(tmp_path / "rows.incidents.csv")
    assert table["municipality"].iloc[0] == "Фатеж" and table["size"].iloc[0] >= 15


@pytest.mark.parametrize("command", ["incidents", "report"])
@pytest.mark.parametrize("window, why", [("2", "has no unit"), ("48", "has no unit"), ("0h", "must be positive"),
                                         ("-2d", "must be positive"), ("скоро", "cannot read")])
def test_a_window_without_a_unit_or_not_positive_is_refused(command, window, why, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, str(tmp_path / "missing.csv"), "-o", str(tmp_path / "out.csv"), f"--window={window}"])
    assert exit_.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("curnlp: error: argument --window: ") and why in last and f"curnlp {command} --help" in last
    assert "min, h, d or w" in last


def test_other_options_are_checked_at_the_boundary(tmp_path, capsys):
    for option, value in (("--threshold", "1.5"), ("--min-size", "0"), ("--max-span", "3")):
        with pytest.raises(SystemExit) as exit_:
            main(["incidents", str(tmp_path / "x.csv"), "-o", str(tmp_path / "y.csv"), option, value])
        assert exit_.value.code == 2 and f"argument {option}" in capsys.readouterr().err


def test_a_file_that_is_not_scored_is_a_curnlp_error(tmp_path, capsys):
    plain = tmp_path / "plain.csv"
    plain.write_text("id;Дата;Текст\n1;15.03.2021;нет воды\n", encoding="utf-8")
    assert main(["incidents", str(plain), "-o", str(tmp_path / "rows.csv")]) == 1
    assert "not a scored archive" in capsys.readouterr().err
