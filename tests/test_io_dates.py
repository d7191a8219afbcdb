"""curnlp.io.dates: the one set of date rules of training, routing and the analytics."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from curnlp.errors import CorpusError
from curnlp.io.dates import datetimes, format_time, parse_one, parse_times, parse_window

MARCH_15 = pd.Timestamp("2021-03-15")


@pytest.mark.parametrize("value, expected", [
    ("15.03.2021", "2021-03-15 00:00"),                 # a Russian export: day first
    ("  15.03.2021 10:30 ", "2021-03-15 10:30"),
    ("15.03.2021 10:30:15", "2021-03-15 10:30:15"),
    ("15.03.21", "2021-03-15 00:00"),
    ("15/03/2021 10:30", "2021-03-15 10:30"),
    ("01.04.2021", "2021-04-01 00:00"),                 # 1 April, not 4 January
    ("2021-03-15", "2021-03-15 00:00"),                 # ISO
    ("2021-03-15 10:30", "2021-03-15 10:30"),
    ("2021-03-15T10:30:00", "2021-03-15 10:30"),
    ("2021-03-15T10:30:00+03:00", "2021-03-15 07:30"),  # Moscow time to UTC
    ("2021-03-15T07:30:00Z", "2021-03-15 07:30"),
    (dt.datetime(2021, 3, 15, 9), "2021-03-15 09:00"),
    (pd.Timestamp("2021-03-15 09:00", tz="Europe/Moscow"), "2021-03-15 06:00"),
])
def test_every_format_reads_the_same_in_training_and_in_the_analytics(value, expected):
    want = pd.Timestamp(expected)
    assert parse_one(value) == want
    seconds, kind = parse_times([value, "16.03.2021"])
    assert kind == "datetime" and pd.Timestamp(0) + pd.Timedelta(seconds=seconds[0]) == want
    assert datetimes(pd.Series([value, "16.03.2021"], dtype=object)).iloc[0] == want


@pytest.mark.parametrize("value", ["", "   ", None, np.nan, "вчера вечером", "15 мартобря", "2675", 12, "32.13.2021"])
def test_what_is_not_a_date(value):
    assert parse_one(value) is None
    assert datetimes(pd.Series(["15.03.2021 10:00", value], dtype=object)).isna().tolist() == [False, True]


def test_a_column_of_one_format_and_a_column_of_several():
    one = datetimes(pd.Series(["15.03.2021 10:00", "16.03.2021 11:30", "", None]))
    assert one.tolist()[:2] == [pd.Timestamp("2021-03-15 10:00"), pd.Timestamp("2021-03-16 11:30")]
    assert one.isna().tolist() == [False, False, True, True]
    # one export mixes date-only and dated-time rows, and a zone: every value is read, none dropped
    mixed = datetimes(pd.Series(["15.03.2021 10:00", "16.03.2021", "2021-03-17", "2021-03-18T12:00:00+03:00"]))
    assert mixed.tolist() == [pd.Timestamp("2021-03-15 10:00"), pd.Timestamp("2021-03-16"),
                              pd.Timestamp("2021-03-17"), pd.Timestamp("2021-03-18 09:00")]


def test_datetime_columns_are_made_naive_utc():
    zoned = pd.Series(pd.to_datetime(["2021-03-15 12:00"]).tz_localize("Europe/Moscow"))
    assert datetimes(zoned).tolist() == [pd.Timestamp("2021-03-15 09:00")]
    naive = pd.Series(pd.to_datetime(["2021-03-15 12:00"]))
    assert datetimes(naive).tolist() == [pd.Timestamp("2021-03-15 12:00")]


def test_training_numbers_grow_with_time():
    values, kind = parse_times(["2675", " 12 ", 3000, 7.5, "1,5"])
    assert kind == "number" and values.tolist() == [2675.0, 12.0, 3000.0, 7.5, 1.5]


def test_training_names_the_rows_it_cannot_read():
    with pytest.raises(CorpusError) as err:
        parse_times(["15.03.2021", "вчера вечером", "", "16.03.2021", "12"], "Дата")
    message = str(err.value)
    assert "'Дата'" in message and "3 of 5" in message
    assert "row 2 ('вчера вечером')" in message and "row 3 ('')" in message and "row 5 ('12')" in message
    with pytest.raises(CorpusError, match="are empty: row 2"):
        parse_times(["12", None, "14"])


def test_format_time_round_trips():
    values, kind = parse_times(["15.03.2021", "16.03.2021 10:30"])
    assert [format_time(v, kind) for v in values] == ["2021-03-15", "2021-03-16 10:30"]
    assert format_time(12.0, "number") == "12"


@pytest.mark.parametrize("text, hours", [("48h", 48), ("2d", 48), ("90min", 1.5), ("1w", 168), ("36ч", 36),
                                         ("3 дня", 72), ("2 суток", 48), ("1,5h", 1.5), ("1h30min", 1.5),
                                         (48, 48), (pd.Timedelta("2h"), 2)])
def test_windows(text, hours):
    assert parse_window(text) == pd.Timedelta(hours=hours)


@pytest.mark.parametrize("text, why", [("2", "has no unit"), (" 48 ", "has no unit"), ("0h", "must be positive"),
                                       ("-1d", "must be positive"), ("soon", "cannot read"), ("", "cannot read"),
                                       (0, "must be positive")])
def test_windows_refused_name_the_units(text, why):
    with pytest.raises(CorpusError, match=why) as err:
        parse_window(text)
    assert "min, h, d or w" in str(err.value) and "\n" not in str(err.value)
