"""curnlp.analytics.points: places with repeated complaints on raw and scored archives."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from curnlp.analytics import find_points, render_points_section
from curnlp.analytics.points import street_key
from curnlp.cli import main
from points_archive import points_archive

CORPUS = Path(os.environ.get("CURNLP_CORPUS", Path(__file__).resolve().parents[2] / "shared/corpora/kursk/appeals.csv"))


@pytest.fixture(scope="module")
def raw():
    return points_archive(seed=1)


@pytest.fixture(scope="module")
def found(raw):
    return find_points(raw)


def test_known_points_lead_and_every_spelling_counts_once(raw, found):
    truth = raw.attrs["truth"]
    top = found.head(10)
    assert list(top["place"][:2]) == ["улица Ленина", "проспект Дружбы"]
    lenina = found[(found["place"] == "улица Ленина") & (found["municipality"] == "Курск")].iloc[0]
    assert lenina["messages"] == truth["улица Ленина"]  # ул. / улице / Ленина ул / УЛ. ЛЕНИНА / ул.ленина
    assert lenina["top_topic"] == "Дороги" and lenina["kind"] == "street"
    assert lenina["first"] < lenina["last"] and lenina["first"].year == 2025
    druzhby = found[found["place"] == "проспект Дружбы"].iloc[0]
    assert druzhby["messages"] == truth["проспект Дружбы"]  # «Дружбы пр-т 12» without a town joins Курск's
    house = found[found["place"] == "проспект Дружбы, дом 12"].iloc[0]
    assert house["kind"] == "house" and house["messages"] == truth["проспект Дружбы"]
    # the same street name in another town is another place
    other = found[(found["place"] == "улица Ленина") & (found["municipality"] == "Железногорск")]
    assert len(other) == 1 and other.iloc[0]["messages"] == 8
    village = found[(found["place"] == "село Клюква") & (found["municipality"] == "Курский район")]
    assert len(village) == 1 and village.iloc[0]["messages"] >= 9
    assert list(found.columns[:6]) == ["place", "municipality", "kind", "messages", "first", "last"]
    assert found["messages"].is_monotonic_decreasing and (found["messages"] >= 2).all()


def test_street_key_folds_spellings():
    assert street_key("проспект А. Дериглазова") == street_key("проспект Дериглазова")
    assert street_key("улица Звёздная") == street_key("улица ЗВЕЗДНАЯ")
    assert street_key("улица Ленина") != street_key("улица Ленина Нет")


def test_days_keeps_the_recent_messages(raw):
    recent = find_points(raw, days=60)
    t = pd.to_datetime(raw["Дата"], format="%d.%m.%Y %H:%M")
    assert recent.attrs["rows"] == int((t >= t.max() - pd.Timedelta(days=60)).sum())
    assert recent["messages"].max() < 40


def test_scored_archive_uses_its_locations_column(raw):
    locs = [[{"kind": "street", "normal": "улица Союзная", "text": "ул. Союзной", "start": 0, "end": 10},
             {"kind": "house", "normal": "дом 71Б", "text": "д. 71б", "start": 12, "end": 18}]] * 6
    locs += [[{"kind": "city", "normal": "город Курск"}]] * 3 + [[]]
    scored = pd.DataFrame({"text": ["не вывозят мусор"] * 10, "municipality": ["Курск"] * 9 + [""],
                           "group_name": ["ЖКХ"] * 10, "locations": [json.dumps(x, ensure_ascii=False) for x in locs]})
    got = find_points(scored)
    assert got["place"].tolist() == ["улица Союзная", "улица Союзная, дом 71Б"]
    assert got["messages"].tolist() == [6, 6] and got["top_topic"].tolist() == ["ЖКХ", "ЖКХ"]
    assert got.attrs["rows_with_place"] == 6
    html = render_points_section(got)
    assert "Проблемные точки" in html and "улица Союзная, дом 71Б" in html and "100%" in html


def test_cli_points_html_and_usage_errors(raw, tmp_path, capsys):
    src = tmp_path / "raw.csv"
    raw.to_csv(src, sep=";", index=False)
    out = tmp_path / "points.html"
    assert main(["points", str(src), "--text-column", "Текст Сообщения", "--time-column", "Дата", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "Проблемные точки" in page and "улица Ленина" in page and "2025" in page and "2026" in page
    csv = tmp_path / "points.csv"
    assert main(["points", str(src), "-o", str(csv)]) == 0
    assert pd.read_csv(csv)["place"].iloc[0] == "улица Ленина"
    capsys.readouterr()
    assert main(["points", str(src), "--days", "0"]) == 2
    assert capsys.readouterr().err.strip() == "curnlp points: error: --days must be positive, not '0'"


@pytest.mark.skipif(not CORPUS.exists(), reason=f"Kursk corpus not found at {CORPUS} (set CURNLP_CORPUS)")
def test_kursk_corpus_streets_complained_about_most_are_in_the_top_ten():
    corpus = pd.read_csv(CORPUS, dtype=str)
    got = find_points(CORPUS)
    top = got.head(10)
    assert {"проспект Дружбы", "улица 50 лет Октября"} <= set(top["place"])
    # an independent count: messages naming the avenue with its type word in any spelling
    texts = corpus["Текст Сообщения"].fillna("")
    avenue = texts.str.contains(r"(?:пр-т|пр\.|просп\w*)\s*Дружбы", flags=re.I).sum()
    druzhby = got.loc[got["place"] == "проспект Дружбы", "messages"].iloc[0]
    assert 0.9 * avenue <= druzhby <= texts.str.contains("Дружбы", flags=re.I).sum()
