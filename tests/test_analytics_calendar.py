"""curnlp.analytics.calendar: the risk calendar on generated archives with known seasonality."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from curnlp.analytics import backtest_calendar, forecast_calendar, render_calendar_section
from curnlp.cli import main
from curnlp.errors import CorpusError, InvalidInput
from seasonal_archive import RATES, archive

TIME, BY = "Дата создания", "Тематика"


@pytest.fixture(scope="module")
def seven_years():
    return archive(years=7, start="2019-01-01", seed=3)


def test_backtest_beats_naive_forecasts_and_covers(seven_years):
    """The bar of the real archive, on a generated one: MAE no worse than the better of the
    12- and 3-month means, >= 15% below same-month-last-year, actual counts inside >= 70%."""
    b = backtest_calendar(seven_years, time=TIME, by=BY)
    assert b.origins == 7 * 12 - 12 - 3 + 1 and b.forecasts == b.origins * 3 * len(RATES)
    assert b.mae["model"] <= min(b.mae["last12"], b.mae["last3"])
    assert b.mae["model"] <= 0.85 * b.mae["last_year"], b.mae
    assert 0.7 <= b.coverage <= 0.99
    assert "MAE" in b.text() and "интервала" in b.text()


@pytest.mark.parametrize("growth", [0.3, -0.2])
def test_backtest_with_a_growing_or_falling_archive(growth):
    """A centre whose volume changes every year: the recent level and the trend must follow it."""
    b = backtest_calendar(archive(years=6, start="2020-01-01", seed=11, growth=growth), time=TIME, by=BY)
    assert b.mae["model"] <= min(b.mae["last12"], b.mae["last3"])
    assert b.mae["model"] <= 0.9 * b.mae["last_year"], b.mae
    assert b.coverage >= 0.7


def test_forecast_sees_only_the_history_before_as_of(seven_years):
    before = forecast_calendar(seven_years, time=TIME, by=BY, as_of="2024-11-01", periods=4)
    future = seven_years.copy()
    flood = pd.DataFrame({TIME: ["15.12.2024 10:00"] * 500, BY: ["Снег и гололёд"] * 500})
    after = forecast_calendar(pd.concat([future, flood]), time=TIME, by=BY, as_of="2024-11-01", periods=4)
    pd.testing.assert_frame_equal(before, after)
    assert list(before.columns[:5]) == ["period", "value", "expected", "low", "high"]
    assert sorted(before["period"].unique()) == list(pd.date_range("2024-11-01", periods=4, freq="MS"))


def test_forecast_follows_the_season(seven_years):
    f = forecast_calendar(seven_years, time=TIME, by=BY, as_of="2025-11-01", periods=6).set_index(["value", "period"])
    snow, holes = f.loc["Снег и гололёд"], f.loc["Ямы на дорогах"]
    jan = pd.Timestamp("2026-01-01")
    assert snow.at[jan, "expected"] > 3 * snow.at[pd.Timestamp("2026-04-01"), "expected"]  # 70 vs 15 a month
    assert 45 < snow.at[jan, "expected"] < 110  # 70 a month in the first year, +3% a year
    assert holes.at[pd.Timestamp("2026-04-01"), "expected"] > 2.5 * holes.at[jan, "expected"]
    assert (f["low"] <= f["expected"]).all() and (f["expected"] <= f["high"]).all()
    assert (f["method"] == "сезонная модель").all()


def test_weekly_forecast_and_rise_in_html(seven_years):
    f = forecast_calendar(seven_years, time=TIME, by=BY, freq="W", as_of="2025-11-20", periods=8)
    assert (f["period"].dt.day_of_week == 0).all() and f["period"].min() == pd.Timestamp("2025-11-24")
    html = render_calendar_section(f)
    assert "Календарь рисков" in html and "ожидается рост с" in html
    assert "Снег и гололёд</b>: ожидается рост с" in html and "2025" in html
    assert "Мусор</b>: ожидается" not in html  # flat group: no rise


def test_short_history_falls_back_to_the_recent_level():
    short = archive(years=1, start="2025-01-01", seed=5)
    short = short[pd.to_datetime(short[TIME], format="%d.%m.%Y %H:%M") < "2025-08-01"]
    f = forecast_calendar(short, time=TIME, by=BY, periods=2)
    assert (f["method"] == "средний уровень").all()
    counts = short.attrs["counts"].loc["2025-05-01":"2025-07-01", "Ямы на дорогах"]
    got = f.loc[f["value"] == "Ямы на дорогах", "expected"].iloc[0]
    assert got == pytest.approx(counts.mean(), abs=0.01)


def test_default_by_is_the_scored_group_and_raw_needs_by(seven_years):
    scored = seven_years.rename(columns={BY: "group_name"})
    f = forecast_calendar(scored, time=TIME, periods=1)
    assert set(f["value"]) == set(RATES)
    with pytest.raises(InvalidInput, match="--by"):
        forecast_calendar(seven_years, time=TIME)
    with pytest.raises(CorpusError, match="not found"):
        forecast_calendar(seven_years, time="Дата", by=BY)
    with pytest.raises(InvalidInput):
        forecast_calendar(seven_years, time=TIME, by=BY, freq="D")


def test_cli_calendar_csv_parquet_and_usage_errors(seven_years, tmp_path, capsys):
    src = tmp_path / "archive.csv"
    seven_years.to_csv(src, sep=";", index=False)
    out = tmp_path / "cal.csv"
    assert main(["calendar", str(src), "--time-column", TIME, "--by", BY, "--periods", "2", "-o", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["period", "value", "expected", "low", "high", "usual"]
    assert len(table) == 2 * len(RATES) and table["period"].str.match(r"^\d{4}-\d{2}-01$").all()
    pq = tmp_path / "archive.parquet"
    plain = seven_years.copy()
    plain.attrs = {}
    plain.to_parquet(pq)
    html = tmp_path / "cal.html"
    assert main(["calendar", str(pq), "--time-column", TIME, "--by", BY, "--freq", "W", "-o", str(html)]) == 0
    assert "Календарь рисков" in html.read_text(encoding="utf-8")
    capsys.readouterr()
    for bad in (["--periods", "0"], ["--periods", "три"], ["--freq", "D"], ["-o", "x.txt"]):
        assert main(["calendar", str(src), "--time-column", TIME, "--by", BY, *bad]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and err.startswith("curnlp calendar: error:"), err
    assert main(["calendar", str(src), "--time-column", TIME, "--by", BY, "--backtest"]) == 0
    assert "MAE модель" in capsys.readouterr().out
