"""curnlp.analytics.spikes against the seasonal expectation, and what a check that could not run says."""
from __future__ import annotations

import json

import pandas as pd

from curnlp.analytics import find_spikes
from seasonal_archive import SNOW_PER_DAY, scored_daily


def snow(spikes):
    return [s for s in spikes.spikes if s.label == "1"]


def test_usual_january_snow_is_expected_not_a_spike():
    for seed in (0, 1, 2):
        archive = scored_daily(years=3, seed=seed)
        spikes = find_spikes(archive, time_column_name="Дата", levels=("group",))
        assert spikes.seasonal_years == 2 and "прошлые годы" in spikes.rule
        assert not snow(spikes), [s.to_dict() for s in spikes.spikes]
        assert "Всплесков не найдено (проверено ячеек:" in spikes.summary


def test_unusual_snowfall_is_a_spike_with_the_seasonal_expectation():
    january = 2 * SNOW_PER_DAY[0]  # per 48 h
    for seed in (0, 1, 2):
        archive = scored_daily(years=3, seed=seed, extra=3 * january)
        spikes = find_spikes(archive, time_column_name="Дата", levels=("group",))
        found = snow(spikes)
        assert found and found[0].basis == "seasonal"
        # the expectation is the January level (~32 per 48 h), not the year's mean (~7)
        assert 0.7 * january < found[0].expected < 1.3 * january
        flat = find_spikes(archive, time_column_name="Дата", levels=("group",), seasonal=False)
        assert snow(flat) and snow(flat)[0].basis == "flat" and snow(flat)[0].expected < 0.4 * january
        json.dumps(spikes.to_dict(), ensure_ascii=False)
        assert found[0].chance.startswith("случайно — реже чем раз в")


def test_p_values_in_words():
    from curnlp.analytics.spikes import chance_text
    assert chance_text(0.2) == "вполне может быть случайностью"
    assert chance_text(0.004) == "случайно — реже чем раз в 100 окон"
    assert chance_text(3e-7) == "случайно — реже чем раз в 1\u202f000\u202f000 окон"


def test_flat_rule_where_no_earlier_year_is_covered():
    archive = scored_daily(years=0.5, seed=4, extra=60)
    spikes = find_spikes(archive, time_column_name="Дата", levels=("group",))
    assert spikes.seasonal_years == 0 and "прошлые годы" not in spikes.rule
    assert all(s.basis == "flat" for s in spikes.spikes) and snow(spikes)


def test_a_check_that_could_not_run_says_so():
    archive = scored_daily(years=0.5, seed=5)
    archive.loc[archive.index[-40:], "municipality"] = ""
    few = find_spikes(archive, time_column_name="Дата", levels=("group",), min_count=1000)
    assert few.cells_tested == 0 and "не найдено" not in few.summary
    assert "проверено 0 ячеек" in few.summary and "40 строк" in few.summary and few.rows_unchecked == 40
    undated = archive.assign(Дата="нет даты")
    none = find_spikes(undated, time_column_name="Дата")
    assert none.rows_checked == 0 and none.rows_unchecked == len(archive)
    assert "не удалось" in none.summary and "не найдено" not in none.summary
    assert f"{len(archive)} строк" in none.summary or f"{len(archive)} строки" in none.summary \
        or f"{len(archive)} строка" in none.summary
