"""curnlp.analytics: the HTML digest (curnlp report), spikes and the municipality brief."""
from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from curnlp.analytics import find_spikes, report, summarize, write_brief, write_report
from curnlp.analytics.report import hierarchy
from curnlp.errors import CorpusError

from analytics_archive import scored_archive

COLUMNS = ["id", "Дата обращения", "Текст", "topic", "topic_confidence", "group", "agency", "agency_confidence",
           "needs_review", "municipality", "locations", "error"]


def _row(i, date, group, topic, place, review, error=None):
    if error:
        return [str(i), date, "…", None, None, None, None, None, None, None, None, error]
    return [str(i), date, "текст", topic, 0.9, group, "Агентство <b>", 0.6, review, place, "[]", None]


@pytest.fixture()
def scored_csv(tmp_path):
    rows = [
        _row(1, "02.01.2023 10:00", "0", "Ямы", "Курск", False),
        _row(2, "03.01.2023 11:00", "0", "Ямы", "Сеймский округ", True),
        _row(3, "10.01.2023 12:00", "3", "Освещение", "Курский район", False),
        _row(4, "11.02.2023 09:30", "3", "<script>alert(1)</script>", None, False),
        _row(5, "", "0", "Ямы", "Центральный округ", False),
        _row(6, "12.02.2023 08:00", None, None, None, None, error="empty message"),
    ]
    path = tmp_path / "scored.csv"
    pd.DataFrame(rows, columns=COLUMNS).to_csv(path, index=False)
    return path


def test_digest_counts_group_names_and_okrugs(scored_csv):
    d = summarize(scored_csv)
    assert (d.rows, d.routed, d.failed, d.needs_review) == (6, 5, 1, 1)
    # codes are shown with the region pack's names
    assert d.groups == {"Дороги и дорожное хозяйство (0)": 3, "ЖКХ и благоустройство (3)": 2}
    assert d.municipalities["Сеймский округ"] == 1 and d.municipalities[report.NO_PLACE] == 1
    assert d.parents["Сеймский округ"] == "Курск"
    assert d.date_column == "Дата обращения" and d.period == "week" and d.undated == 1
    assert sum(d.by_period.values()) == 4 and d.errors == {"empty message": 1}
    json.dumps(d.to_dict(), ensure_ascii=False)
    plain = summarize(scored_csv, region=None)
    assert plain.groups == {"0": 3, "3": 2} and not plain.parents


def test_hierarchy_puts_inner_okrugs_under_their_city():
    from collections import Counter
    rows = hierarchy(Counter({"Курск": 5, "Сеймский округ": 3, "Центральный округ": 4, "Фатеж": 9}),
                     {"Сеймский округ": "Курск", "Центральный округ": "Курск"})
    labels = [(label, child) for label, _, child in rows]
    assert labels == [("Курск (всего)", False), ("Центральный округ", True), ("Сеймский округ", True),
                      ("Курск: округ не указан", True), ("Фатеж", False)]
    assert sorted(rows[0][1]) == sorted(["Курск", "Сеймский округ", "Центральный округ"])


def test_html_is_russian_escaped_self_contained(scored_csv, tmp_path):
    out = tmp_path / "report.html"
    write_report(scored_csv, out, title="Сводка <ЦУР>")
    page = out.read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Агентство &lt;b&gt;" in page and "Сводка &lt;ЦУР&gt;" in page
    assert "http://" not in page and "https://" not in page and '<html lang="ru">' in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) >= 4 and all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    for heading in ("Всплески", "Крупнейшие инциденты", "Динамика", "Группы тем", "Муниципальные образования",
                    "Главные проблемы"):
        assert heading in page
    assert "Дороги и дорожное хозяйство (0)" in page
    # okrugs indented under «Курск (всего)», not listed as its peers
    assert page.index("Курск (всего)") < page.index('<tr class="child"><td>Сеймский округ')
    for english in ("Topics", "Municipalities", "rows", "Groups"):
        assert f">{english}" not in page


def test_errors_are_typed(scored_csv, tmp_path):
    with pytest.raises(CorpusError, match="column 'нет' not in"):
        summarize(scored_csv, date_column="нет")
    plain = tmp_path / "plain.csv"
    pd.DataFrame({"text": ["яма"]}).to_csv(plain, index=False)
    with pytest.raises(CorpusError, match="not a scored archive"):
        summarize(plain)


def test_spike_rule_on_counts():
    """Poisson tail with the history's own rate; bursty histories need more; minimum count."""
    end = pd.Timestamp("2026-11-30 12:00")
    rows = []

    def add(place, group, hours_ago):
        rows.append(["x", (end - pd.Timedelta(hours=h)).strftime("%Y-%m-%d %H:%M"), "t", "t", 0.9, group, "a", 0.5,
                     False, place, "[]", None] for h in hours_ago)

    rng = np.random.default_rng(0)
    for place in ("Льгов", "Щигры", "Рыльск"):
        add(place, "0", rng.uniform(48, 60 * 24, 120))           # steady: 4 per 48 h
    add("Льгов", "0", rng.uniform(0, 48, 6))                     # 6 vs 4 expected: no spike
    add("Щигры", "0", rng.uniform(0, 48, 30))                    # 30 vs 4: spike
    add("Рыльск", "0", rng.uniform(0, 48, 3))                    # below the minimum count
    add("Суджа", "0", np.r_[rng.uniform(0, 48, 9)])              # new place: 9 vs ~0.02
    rows = [r for gen in rows for r in gen]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    spikes = find_spikes(frame, window="48h", levels=("all",))
    flagged = {s.municipality: s for s in spikes.spikes}
    assert set(flagged) == {"Щигры", "Суджа"}
    assert flagged["Щигры"].count == 30 and 3.5 < flagged["Щигры"].expected < 4.5
    assert spikes.history_windows == 29 and spikes.cells_tested == 3
    assert "Бонферрони" in spikes.rule and "Пуассона" in spikes.rule
    json.dumps(spikes.to_dict(), ensure_ascii=False)


def test_spikes_name_the_outage_town_and_only_it():
    scored = scored_archive("Фатеж").copy()
    spikes = find_spikes(scored)
    assert spikes.spikes and spikes.spikes[0].municipality == "Фатеж"
    assert {s.municipality for s in spikes.spikes} == {"Фатеж"}
    assert "город Фатеж" in spikes.spikes[0].places
    quiet = find_spikes(scored[~scored["outage"]])
    assert "Фатеж" not in {s.municipality for s in quiet.spikes}


@pytest.fixture(scope="module")
def outage_files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("outage")
    scored = scored_archive("Фатеж").drop(columns=["outage"])
    path = tmp / "scored.csv"
    scored.to_csv(path, index=False)
    report_html, brief_html = tmp / "report.html", tmp / "brief.html"
    for args in (["-o", str(report_html), "--time-column", "Дата обращения"],
                 ["-o", str(brief_html), "--municipality", "Фатеж"]):
        done = subprocess.run([sys.executable, "-m", "curnlp", "report", str(path), *args], capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
    return path, report_html, brief_html


def _section(page: str, heading: str) -> str:
    start = page.index(heading)
    end = page.find("<h2>", start + 1)
    return page[start:end if end > 0 else None]


def test_report_spikes_section_names_the_town_and_incidents_are_on_top(outage_files):
    _, report_html, _ = outage_files
    page = report_html.read_text(encoding="utf-8")
    spikes = _section(page, "<h2>Всплески")
    assert "Фатеж" in spikes and "Где нарастает проблема" in spikes
    assert "Правило" in spikes
    incidents = _section(page, "<h2>Крупнейшие инциденты")
    first = re.search(r"<tbody><tr>(.*?)</tr>", incidents).group(1)
    assert "Фатеж" in first and "вод" in first.lower()
    assert page.index("<h2>Всплески") < page.index("<h2>Крупнейшие инциденты") < page.index("<h2>Группы тем")
    assert "<h2>Карта</h2>" in page and "CC BY-SA 4.0" in page
    assert "Динамика" in page


def test_brief_for_the_town(outage_files, tmp_path):
    path, _, brief_html = outage_files
    page = brief_html.read_text(encoding="utf-8")
    assert "Справка: Фатеж" in page and "@page{size:A4" in page and "@media print" in page
    for part in ("обращений за период", "за последние 7 дней", "требуют проверки", "Главные проблемы",
                 "Крупнейшие инциденты", "Примеры обращений", "Всплеск обращений"):
        assert part in page, part
    assert "вод" in _section(page, "<h2>Примеры обращений").lower()
    # a case form, a city with its okrugs, and a name that is not there
    write_brief(path, "г. Фатеже", tmp_path / "b2.html")
    assert "Справка: Фатеж" in (tmp_path / "b2.html").read_text(encoding="utf-8")
    write_brief(path, "курск", tmp_path / "b3.html")
    assert "Справка: Курск" in (tmp_path / "b3.html").read_text(encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "curnlp", "report", str(path), "-o", str(tmp_path / "x.html"),
                          "--municipality", "Атлантида"], capture_output=True)
    assert bad.returncode == 1 and "Атлантида".encode() in bad.stderr


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed")
def test_pages_render_in_headless_chromium(outage_files, tmp_path):
    _, report_html, brief_html = outage_files
    shot = tmp_path / "report.png"
    pdf = tmp_path / "brief.pdf"
    common = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    subprocess.run([*common, "--window-size=1200,1600", f"--screenshot={shot}", report_html.as_uri()],
                   capture_output=True, timeout=120)
    subprocess.run([*common, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", brief_html.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 20_000
    data = pdf.read_bytes()
    assert data[:4] == b"%PDF"
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages == 1, f"the brief prints on {pages} A4 pages"
