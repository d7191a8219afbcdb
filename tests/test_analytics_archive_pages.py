"""curnlp.analytics on archives from elsewhere: a model without municipalities (the archive's own
column stands in), several years (dates carry the year), rows without a responsible or a topic,
Russian plural forms, the calendar / points / control sections, and incidents that keep streets
and authors apart."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter

import pandas as pd
import pytest

from curnlp.analytics import _html as H
from curnlp.analytics import find_incidents, find_spikes, write_brief, write_report
from curnlp.analytics._data import with_municipality_column
from curnlp.errors import CorpusError

from multiyear_archive import multiyear_archive


def _section(page: str, heading: str) -> str:
    start = page.index(heading)
    end = page.find("<h2>", start + 1)
    return page[start:end if end > 0 else None]


@pytest.fixture(scope="module")
def archive() -> pd.DataFrame:
    return multiyear_archive()


@pytest.fixture(scope="module")
def report_page(archive, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("pages") / "report.html"
    write_report(archive, out, region=None, municipality_column="Адрес", answered_column="Ответ")
    return out.read_text(encoding="utf-8")


def test_plural_forms_and_numbers():
    forms = ("всплеск", "всплеска", "всплесков")
    expected = {0: "0 всплесков", 1: "1 всплеск", 2: "2 всплеска", 4: "4 всплеска", 5: "5 всплесков",
                11: "11 всплесков", 12: "12 всплесков", 14: "14 всплесков", 21: "21 всплеск", 22: "22 всплеска",
                111: "111 всплесков", 1001: "1\u202f001 всплеск"}
    for k, text in expected.items():
        assert H.plural(k, *forms) == text, k
    assert H.plural(3, *forms, number=False) == "всплеска"
    assert H.n(1234567) == "1\u202f234\u202f567" and H.n(1234.56, 1) == "1\u202f234,6" and H.n(0.05, 2) == "0,05"


def test_municipality_column_fills_only_the_missing_and_folds_spellings():
    df = pd.DataFrame({"municipality": [None, "Курск", "", None, None],
                       "Адрес": ["  Старый   Оскол", "Белгород", "старый оскол", "СТАРЫЙ ОСКОЛ", None]})
    out = with_municipality_column(df, "Адрес")
    assert out["municipality"].tolist()[1] == "Курск"  # the model's own value is kept
    spelled = out["municipality"].tolist()
    assert spelled[0] == spelled[2] == spelled[3] and spelled[0].casefold() == "старый оскол"
    assert pd.isna(out["municipality"].iloc[4])
    assert pd.isna(df["municipality"].iloc[0])  # the caller's frame is unchanged
    with pytest.raises(CorpusError, match="--municipality-column"):
        with_municipality_column(df, "Район")


def test_spikes_without_municipalities_say_they_could_not_check(archive):
    spikes = find_spikes(archive, time_column_name="Дата")
    assert spikes.cells_tested == 0 and spikes.rows_checked == 0
    assert "не удалось" in spikes.summary and "не найдено" not in spikes.summary
    filled = find_spikes(archive, time_column_name="Дата", municipality_column="Адрес")
    assert filled.cells_tested > 0 and filled.rows_checked > 0
    assert any(s.municipality == "Губкин" and s.label == "1" for s in filled.spikes)


def test_report_without_municipality_column_is_no_false_all_clear(archive, tmp_path):
    out = tmp_path / "r.html"
    write_report(archive, out, region=None, incidents=False)
    page = out.read_text(encoding="utf-8")
    spikes = _section(page, "<h2>Всплески")
    assert "Всплесков не найдено" not in spikes and "проверить не удалось" in spikes


def test_report_of_a_three_year_archive(archive, report_page):
    page = report_page
    # years on incident spans (the archive spans three years)
    incidents = _section(page, "<h2>Крупнейшие инциденты")
    spans = re.findall(r"<td>(\d\d\.\d\d(?:\.\d{4})? \d\d:\d\d) — ", incidents)
    assert spans and all(re.fullmatch(r"\d\d\.\d\d\.20\d\d \d\d:\d\d", s) for s in spans), spans
    # KPIs: only rows with a responsible are «распределено»
    routed = int(archive["agency"].notna().sum())
    assert f"<b>{H.n(routed)}</b>распределено" in page
    assert f"<b>{H.n(len(archive) - routed)}</b>без ответственного" in page
    # no invented «—» topic row when the model gives no topics
    assert "<h2>Темы" not in page and "Модель не определяет темы" in page
    assert "<td>—</td>" not in _section(page, "<h2>Группы тем</h2>")
    assert "— (" not in _section(page, "<h2>Главные проблемы муниципальных образований")
    # the spike of the municipality column's town, in Russian plural and words
    assert re.search(r"<b>2</b>всплеска</div>", page)
    assert "Всплесков: 2 (проверено ячеек: " in page and "Губкин" in _section(page, "<h2>Всплески")
    assert "случайно — реже чем раз" in page and "e-0" not in _section(page, "<h2>Всплески")
    assert re.search(r"<b>[\d\u202f]+</b>инцидент(а|ов)? \(2\+ обращения\)", page)
    # the new sections
    for heading in ("<h2>Календарь рисков", "<h2>Проблемные точки", "<h2>Контроль исполнения"):
        assert heading in page, heading
    calendar = _section(page, "<h2>Календарь рисков")
    assert "2026" in calendar and "Снег и гололёд" in calendar
    assert "Управляющая компания" in _section(page, "<h2>Контроль исполнения")


def test_time_axis_carries_the_year_and_the_band_is_the_window():
    import matplotlib.dates as mdates
    days = pd.date_range("2023-07-01", "2026-06-29", freq="D").date
    fig = H.daily_figure(Counter({d: 3 for d in days}), "x")
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert labels and all(re.search(r"20\d\d", t) for t in labels), labels
    short = pd.date_range("2026-05-01", "2026-06-29", freq="D").date
    fig = H.daily_figure(Counter({d: 3 for d in short}), "x")
    fig.canvas.draw()
    assert all(re.fullmatch(r"\d\d\.\d\d", t.get_text()) for t in fig.axes[0].get_xticklabels() if t.get_text())
    # a municipality whose messages end on 2 June, the window 27–29 June: the band is the window
    start, end = pd.Timestamp("2026-06-27 11:31"), pd.Timestamp("2026-06-29 11:31")
    quiet = pd.date_range("2026-04-01", "2026-06-02", freq="D").date
    fig = H.daily_figure(Counter({d: 2 for d in quiet}), "x", highlight_from=start, highlight_to=end, until=end)
    band = [p for p in fig.axes[0].patches if p.get_label() == "последнее окно"]
    assert len(band) == 1
    patch = band[0]
    if hasattr(patch, "get_width"):  # a Rectangle
        lo, hi = patch.get_x(), patch.get_x() + patch.get_width()
    else:  # a Polygon (older matplotlib)
        xs = patch.get_xy()[:, 0]
        lo, hi = min(xs), max(xs)
    assert abs(lo - mdates.date2num(start)) < 1e-6 and abs(hi - mdates.date2num(end)) < 1e-6


def test_brief_from_the_municipality_column(archive, tmp_path):
    out = tmp_path / "brief.html"
    with pytest.raises(CorpusError, match="--municipality-column"):
        write_brief(archive, "Губкин", out, region=None)
    write_brief(archive, "губкин", out, region=None, municipality_column="Адрес", answered_column="Ответ")
    page = out.read_text(encoding="utf-8")
    assert "Справка: Губкин" in page and "Всплеск обращений" in page
    assert "<h2>Календарь рисков" in page and "<h2>Проблемные точки" in page
    control = _section(page, "<h2>Контроль исполнения")
    assert "без ответа" in control and "просрочено" in control
    assert "<td>—</td>" not in page
    # the incident dates carry the year
    assert re.search(r"\d\d\.\d\d\.20\d\d — \d\d\.\d\d\.20\d\d", _section(page, "<h2>Крупнейшие инциденты"))


def test_cli_report_and_brief_with_the_new_options(tmp_path):
    small = multiyear_archive(years=2, daily=1.0, snowfall=25, seed=1)
    src = tmp_path / "archive.csv"
    small.to_csv(src, index=False)
    for extra in ([], ["--municipality", "Губкин"]):
        out = tmp_path / f"page{len(extra)}.html"
        run = subprocess.run([sys.executable, "-m", "curnlp", "report", str(src), "-o", str(out), "--region", "none",
                              "--municipality-column", "Адрес", "--answered-column", "Ответ", "--no-incidents",
                              *extra], capture_output=True)
        assert run.returncode == 0, run.stderr.decode()
        page = out.read_text(encoding="utf-8")
        assert "Контроль исполнения" in page and "Календарь рисков" in page
    help_text = subprocess.run([sys.executable, "-m", "curnlp", "report", "--help"], capture_output=True, text=True)
    for option in ("--municipality-column", "--created-column", "--answered-column", "--author-column"):
        assert option in help_text.stdout


def _scored(rows: list[tuple]) -> pd.DataFrame:
    """Scored rows (time, text, street or None — «Мира 22» names a house too —, author)."""
    out = []
    for k, (t, text, street, author) in enumerate(rows):
        name, _, house = (street or "").partition(" ")
        locs = ([{"kind": "street", "text": name, "normal": f"улица {name}", "start": 0, "end": 1}]
                if street else [])
        if house:
            locs.append({"kind": "house", "text": house, "normal": f"дом {house}", "start": 2, "end": 3})
        out.append({"id": str(k), "created": t, "Текст": text, "topic": "Водоснабжение", "group": "3",
                    "needs_review": False, "municipality": "Курск", "locations": json.dumps(locs, ensure_ascii=False),
                    "error": None, "Автор": author})
    return pd.DataFrame(out)


def test_outages_on_different_streets_are_different_incidents():
    streets = ["Ленина", "Радищева", "Сумская", "Гагарина"]
    rows = []
    for s_i, street in enumerate(streets):
        for k in range(4):
            rows.append((f"2026-11-01 {10 + k}:{10 * s_i:02d}", f"Нет воды на улице {street}, третий день без воды!!",
                         street, f"житель{s_i}{k}"))
    result = find_incidents(_scored(rows), window="24h")
    rows_out = result.rows
    for street in streets:
        mine = rows_out[rows_out["Текст"].str.contains(street)]["incident"]
        assert mine.nunique() == 1, street
    assert rows_out["incident"].nunique() == 4
    # the place of each incident is the street its messages name
    table = result.table
    for r in table.itertuples():
        members = rows_out[rows_out["incident"] == r.incident]["Текст"]
        assert r.street and all(r.street.split()[-1] in t for t in members)


def test_one_authors_batch_about_different_places_is_not_one_incident():
    # a deputy sends the same template about six yards (no street the place stage knows), and two
    # residents write about one yard
    template = "Прошу принять меры: во дворе дома {n} не вывозят мусор, контейнеры переполнены"
    rows = [(f"2026-11-01 09:{k:02d}", template.format(n=n), None, "Депутат Иванов") for k, n in
            enumerate([3, 7, 12, 15, 21, 28])]
    rows += [("2026-11-01 12:00", "Не вывозят мусор во дворе, контейнеры переполнены уже неделю", None, "Петрова"),
             ("2026-11-01 13:00", "Контейнеры переполнены, мусор не вывозят во дворе уже неделю", None, "Сидоров")]
    frame = _scored(rows)
    without = find_incidents(frame, window="24h")
    batch = without.rows.iloc[:6]["incident"]
    assert batch.nunique() < 6  # without the author column the template glues the batch
    result = find_incidents(frame, window="24h", author="Автор")
    batch = result.rows.iloc[:6]["incident"]
    shared = [i for i in batch if (batch == i).sum() > 1]
    assert not shared, result.rows[["Текст", "incident"]]
    assert result.params["author"] == "Автор"
    with pytest.raises(CorpusError, match="--author-column"):
        find_incidents(frame, author="Нет такого")


def test_an_incident_names_a_street_only_when_its_messages_do():
    text = "Нет воды третий день, когда дадут воду?"
    town_wide = [(f"2026-11-01 1{k}:00", text + (" ул. Ленина" if k == 0 else ""), "Ленина" if k == 0 else None,
                  f"a{k}") for k in range(5)]
    result = find_incidents(_scored(town_wide), window="24h")
    assert result.rows["incident"].nunique() == 1
    assert result.table["street"].iloc[0] is None  # one of five names a street: the place is the town
    on_street = [(f"2026-11-01 1{k}:00", text + (" ул. Ленина" if k < 3 else ""), "Ленина" if k < 3 else None,
                  f"a{k}") for k in range(5)]
    table = find_incidents(_scored(on_street), window="24h").table
    assert table["street"].iloc[0] == "улица Ленина"


def test_different_houses_of_one_street_are_different_incidents():
    text = "Не чистят снег во дворе, машины не могут выехать, ул. Мира"
    rows = [(f"2026-11-01 1{k}:00", text + f" {h}", f"Мира {h}", f"a{k}") for k, h in enumerate([22, 22, 42, 42])]
    rows.append(("2026-11-01 15:00", text, "Мира", "b"))  # the street alone: joins one of the houses
    result = find_incidents(_scored(rows), window="24h")
    ids = result.rows["incident"]
    assert ids.iloc[0] == ids.iloc[1] and ids.iloc[2] == ids.iloc[3] and ids.iloc[0] != ids.iloc[2]
    assert ids.iloc[4] in (ids.iloc[0], ids.iloc[2])


def test_report_without_a_time_column_says_why_there_is_no_calendar(archive, tmp_path):
    out = tmp_path / "undated.html"
    write_report(archive.drop(columns=["Дата", "Ответ"]).head(500), out, region=None, municipality_column="Адрес")
    page = out.read_text(encoding="utf-8")
    assert "Календарь рисков не построен: в архиве нет столбца с датой" in page
    assert "<h2>Проблемные точки" in page and "Контроль исполнения" not in page
