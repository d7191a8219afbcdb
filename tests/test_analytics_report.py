"""curnlp.report: the HTML digest of a scored archive."""
from __future__ import annotations

import base64
import json
import re

import pandas as pd
import pytest

from curnlp import report
from curnlp.batch import OUTPUT_COLUMNS, score_file
from curnlp.errors import CorpusError

from test_batch import archive_rows, bundle_path, run_cli, write_csv  # noqa: F401 (fixture)


def scored_frame(rows: list[dict]) -> pd.DataFrame:
    """A hand-made scored archive (no model needed) with nasty strings."""
    return pd.DataFrame(rows, columns=["id", "Дата обращения", "Текст", *OUTPUT_COLUMNS])


def _row(i, date, group, topic, place, review, error=None):
    if error:
        return [str(i), date, "…", None, None, None, None, None, None, None, None, error]
    return [str(i), date, "текст", topic, 0.9, group, "Агентство <b>", 0.6, review, place, "[]", None]


@pytest.fixture()
def scored_csv(tmp_path):
    rows = [
        _row(1, "02.01.2023 10:00", "Дороги", "Ямы", "город Курск", False),
        _row(2, "03.01.2023 11:00", "Дороги", "Ямы", "город Курск", True),
        _row(3, "10.01.2023 12:00", "ЖКХ", "Освещение", "Курский район", False),
        _row(4, "11.02.2023 09:30", "ЖКХ", "<script>alert(1)</script>", None, False),
        _row(5, "", "Дороги", "Ямы", "Курский район", False),
        _row(6, "12.02.2023 08:00", None, None, None, None, error="empty message"),
    ]
    path = tmp_path / "scored.csv"
    scored_frame(rows).to_csv(path, index=False)
    return path


def test_digest_counts(scored_csv):
    d = report.summarize(scored_csv)
    assert (d.rows, d.routed, d.failed, d.needs_review) == (6, 5, 1, 1)
    assert d.groups == {"Дороги": 3, "ЖКХ": 2}
    assert d.municipalities == {"город Курск": 2, "Курский район": 2, report.NO_PLACE: 1}
    assert d.group_municipality[("Дороги", "Курский район")] == 1
    assert d.municipality_topics["город Курск"].most_common(1) == [("Ямы", 2)]
    assert d.date_column == "Дата обращения" and d.period == "week" and d.undated == 1
    assert sum(d.by_period.values()) == 4
    assert d.errors == {"empty message": 1}
    json.dumps(d.to_dict())


def test_html_is_escaped_self_contained_with_charts(scored_csv, tmp_path):
    out = tmp_path / "report.html"
    report.write_report(scored_csv, out, title="Сводка <ЦУР>")
    page = out.read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Агентство &lt;b&gt;" in page and "Сводка &lt;ЦУР&gt;" in page
    assert "http://" not in page and "https://" not in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) >= 4
    assert all(base64.b64decode(img).startswith(b"\x89PNG") for img in images)
    for heading in ("Группы тем", "Муниципальные образования", "Главные проблемы", "Динамика по неделям"):
        assert heading in page


def test_month_period_date_column_option_and_errors(scored_csv, tmp_path):
    d = report.summarize(scored_csv, period="month")
    assert sorted(k.isoformat() for k in d.by_period) == ["2023-01-01", "2023-02-01"]
    with pytest.raises(CorpusError, match="date column 'нет'"):
        report.summarize(scored_csv, date_column="нет")
    plain = write_csv(tmp_path / "plain.csv", [{"text": "яма"}])
    with pytest.raises(CorpusError, match="not a scored archive"):
        report.summarize(plain)


def test_report_of_a_real_scored_archive_via_cli(tmp_path, bundle_path):
    src = write_csv(tmp_path / "in.csv", archive_rows(70))
    scored = tmp_path / "scored.parquet"
    score_file(src, scored, router=bundle_path, entities=False, progress=False)
    done = run_cli(["report", str(scored), "-o", str(tmp_path / "r.html")])
    assert done.returncode == 0, done.stderr.decode()
    assert b"70 rows" in done.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Динамика по" in page and "Дороги" in page
