"""Spikes: where the latest window has far more messages than the place's own history.

The rule (also printed in the report):

* **Cells** — municipality × topic group, municipality × topic, and municipality (all topics).
* **Windows** — the latest window is the ``window`` (default 48 h) ending at the archive's last
  message; the history is every complete window of the same length before it (60 days → 29).
* **Expected count** — λ = (history count + 0.5) / history windows (the 0.5 pseudo-count keeps a
  cell never seen before from having λ = 0). **Seasonal** when the history covers the same time of
  year in earlier years (a full band of ±``season_band`` around the window 52 weeks, 104 weeks, ...
  before): λ = the mean count per window over those bands, each year's count scaled by the
  archive's overall level (messages per day in the year before now / in the year before that
  band), + 0.5 pseudo-count. So the usual January snowfall is expected and not flagged, an
  unusual one still is; the dispersion is then measured on the same bands.
* **Tail probability** — p = P(X ≥ observed) under Poisson(λ); when the cell's history is
  over-dispersed (variance of its window counts > mean, ≥ 4 windows) a negative binomial with
  the same mean and the moment-fitted dispersion is used instead (bursty cells need more to flag).
* **Flag** — observed ≥ ``min_count`` (5), observed ≥ ``min_ratio`` (3) × λ, and p below
  ``alpha`` / m (Bonferroni over the m cells with at least ``min_count`` in the latest window;
  ``alpha`` = 0.01), so that testing hundreds of cells does not flag noise.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ._data import clean_label, parse_times, parse_window, place_mentions, read_timed, with_municipality_column

__all__ = ["Spike", "Spikes", "find_spikes", "RULE", "SEASONAL_RULE", "chance_text"]

#: The rule in Russian, as printed under the spikes table.
RULE = ("Всплеск — ячейка «муниципальное образование × группа / тема / все обращения», в которой за последнее "
        "окно ({window}) обращений не меньше {min_count}, не меньше чем в {min_ratio:g} раза больше ожидаемого, "
        "и вероятность получить столько или больше случайно меньше {alpha}/m (поправка Бонферрони; m — число "
        "проверенных ячеек, здесь {m}). Ожидаемое число λ = (число в истории + 0,5) / число окон истории ({h} окон той же "
        "длины до последнего); вероятность — хвост распределения Пуассона, а для ячеек с избыточной "
        "изменчивостью (дисперсия > среднего) — отрицательного биномиального с той же дисперсией.")
#: Added to :data:`RULE` when the expected counts are seasonal.
SEASONAL_RULE = (" Архив охватывает то же время года в прошлые годы ({years}), поэтому ожидаемое число сезонное: "
                 "среднее за окно в те же недели (±{band}) прошлых лет, с поправкой на общий уровень обращений "
                 "за год; обычный для сезона рост (снег зимой) всплеском не считается.")


@dataclass(frozen=True)
class Spike:
    """One flagged cell."""

    municipality: str
    level: str            # "all", "group" or "topic"
    label: str | None     # the group code or topic (None for "all")
    name: str | None      # human-readable label (group name)
    count: int            # messages in the latest window
    expected: float       # λ per window
    ratio: float
    p_value: float
    history: int          # messages of the cell before the latest window
    places: tuple[str, ...] = ()   # towns / settlements most mentioned in the window's messages
    rows: tuple[int, ...] = field(default=(), repr=False)  # positions of the window's messages
    basis: str = "flat"   # "seasonal": expected from the same weeks of earlier years; "flat": whole history

    @property
    def chance(self) -> str:
        """The p-value in words, for readers who do not read p-values."""
        return chance_text(self.p_value)

    def to_dict(self) -> dict:
        """A JSON-serializable dict (without row positions)."""
        d = {k: v for k, v in self.__dict__.items() if k != "rows"}
        d["places"] = list(self.places)
        d["chance"] = self.chance
        return d


def chance_text(p: float) -> str:
    """``p`` (the chance of so many messages or more if nothing unusual happened) in Russian words:
    «случайно — реже чем раз в 10 000 окон»."""
    if not p > 0:
        return "случайно — практически невозможно"
    if p >= 0.05:
        return "вполне может быть случайностью"
    odds = 1 / p
    for limit in (10**9, 10**6, 10**5, 10**4, 1000, 100, 20):
        if odds >= limit:
            return f"случайно — реже чем раз в {limit:,} окон".replace(",", "\u202f")
    return "случайно — редко"  # pragma: no cover


@dataclass(frozen=True)
class Spikes:
    """The result of :func:`find_spikes`: flagged cells (strongest first) and the rule's parameters."""

    spikes: tuple[Spike, ...]
    window_start: pd.Timestamp | None
    window_end: pd.Timestamp | None
    history_windows: int
    cells_tested: int
    params: dict
    rows_checked: int = 0     # messages with a time and a municipality, in the latest window or its history
    rows_unchecked: int = 0   # messages without a readable time, with an error, or without a municipality
    seasonal_years: int = 0   # earlier years whose same weeks gave the expected counts (0: flat history)

    @property
    def rule(self) -> str:
        """The rule in Russian with this run's figures."""
        p = self.params
        text = RULE.format(window=p["window_text"], min_count=p["min_count"], min_ratio=p["min_ratio"],
                           alpha=format(p["alpha"], "g").replace(".", ","), m=self.cells_tested, h=self.history_windows)
        if self.seasonal_years:
            text += SEASONAL_RULE.format(years=_years_text(self.seasonal_years), band=p.get("season_band_text", ""))
        return text

    @property
    def summary(self) -> str:
        """One Russian sentence of what was checked and found; never «не найдено» when nothing
        could be checked (then it says why and how many rows were left unchecked)."""
        p = self.params
        unchecked = (f" {_rows_text(self.rows_unchecked)} без даты, с ошибкой или без муниципального образования "
                     "не проверены." if self.rows_unchecked else "")
        if not self.rows_checked:
            return ("Всплески проверить не удалось: ни одного обращения с датой и муниципальным образованием."
                    + unchecked)
        if not self.cells_tested:
            return (f"Всплески не проверялись: в последнем окне ({p['window_text']}) ни в одной ячейке нет "
                    f"{p['min_count']} обращений (проверено 0 ячеек).{unchecked}")
        found = len(self.spikes)
        head = (f"Всплесков не найдено (проверено ячеек: {self.cells_tested})." if not found else
                f"Всплесков: {found} (проверено ячеек: {self.cells_tested}).")
        return head + unchecked

    def to_dict(self) -> dict:
        """A JSON-serializable dict."""
        return {"window_start": str(self.window_start), "window_end": str(self.window_end),
                "history_windows": self.history_windows, "cells_tested": self.cells_tested, "params": self.params,
                "rows_checked": self.rows_checked, "rows_unchecked": self.rows_unchecked,
                "seasonal_years": self.seasonal_years, "summary": self.summary,
                "spikes": [s.to_dict() for s in self.spikes]}


def _years_text(k: int) -> str:
    return f"{k} {'год' if k % 10 == 1 and k % 100 != 11 else 'года' if 2 <= k % 10 <= 4 and not 12 <= k % 100 <= 14 else 'лет'}"


def _rows_text(k: int) -> str:
    word = ("строка" if k % 10 == 1 and k % 100 != 11 else
            "строки" if 2 <= k % 10 <= 4 and not 12 <= k % 100 <= 14 else "строк")
    return f"{k} {word}"


def _tail(x: int, lam: float, var: float | None) -> float:
    """P(X >= x) under Poisson(lam), or NB(mean lam, variance var) when var > lam."""
    from scipy import stats
    if var is not None and var > lam > 0:
        r = lam * lam / (var - lam)
        return float(stats.nbinom.sf(x - 1, r, r / (r + lam)))
    return float(stats.poisson.sf(x - 1, lam))


def _window_text(td: pd.Timedelta) -> str:
    hours = td / pd.Timedelta(hours=1)
    if hours % 24 == 0:
        days = int(hours // 24)
        return f"{days} сут." if days != 1 else "1 сутки"
    return f"{hours:g} ч"


def find_spikes(data: pd.DataFrame | str | os.PathLike[str], *, time_column_name: str | None = None,
                window: str | pd.Timedelta | float = "48h", alpha: float = 0.01, min_count: int = 5,
                min_ratio: float = 3.0, levels: Sequence[str] = ("all", "group", "topic"),
                group_names: dict[str, str] | None = None, end: Any = None, seasonal: bool = True,
                season_band: str | pd.Timedelta = "14d", municipality_column: str | None = None) -> Spikes:
    """Flag municipality × topic cells whose latest-window count is far above their history.

    Parameters
    ----------
    data : DataFrame or path
        A scored archive with a time column.
    window : "48h", "2d", Timedelta or hours
        Length of the latest window and of each history window.
    alpha, min_count, min_ratio : see the module docstring.
    levels : which cells: ``all`` (whole municipality), ``group``, ``topic``.
    end : optional
        End of the latest window (default: the last message's time).
    seasonal, season_band : expect from the same weeks (± ``season_band``) of earlier years when
        the history covers them (see the module docstring); ``seasonal=False`` always uses the flat rule.
    municipality_column : optional
        A column of the archive (municipality, address or agency) whose cleaned value is the
        municipality of rows the model gave none (a model trained without a region pack).

    Raises
    ------
    CorpusError
        Not a scored archive or no time column.
    """
    df, source, tcol = read_timed(data, time_column_name)
    df = with_municipality_column(df, municipality_column, source)
    td = parse_window(window)
    times = parse_times(df[tcol])
    ok = times.notna()
    if "error" in df.columns:
        ok &= clean_label(df["error"]).isna()
    band = parse_window(season_band)
    params = {"window": str(td), "window_text": _window_text(td), "alpha": alpha, "min_count": min_count,
              "min_ratio": min_ratio, "levels": list(levels), "time_column": tcol, "seasonal": seasonal,
              "season_band": str(band), "season_band_text": _window_text(band)}
    if not ok.any():
        return Spikes((), None, None, 0, 0, params, rows_checked=0, rows_unchecked=len(df))
    t_end = pd.Timestamp(end) if end is not None else times[ok].max()
    t_start = times[ok].min()
    # window index: 0 = latest (t_end - td, t_end], 1 = the one before, ...
    k = np.floor(((t_end - times[ok]) / td)).astype(int).to_numpy()
    # a message exactly at t_end - td belongs to window 1; messages after `end` are ignored
    h = int(np.floor((t_end - t_start) / td))  # complete history windows before the latest
    sub = pd.DataFrame({"k": k, "pos": np.flatnonzero(ok.to_numpy()),
                        "m": clean_label(df.loc[ok, "municipality"]).str.rstrip("?").fillna("").to_numpy()})
    unchecked = int((~ok).sum() + (sub["m"] == "").sum())
    sub = sub[(sub["k"] >= 0) & (sub["k"] <= h) & (sub["m"] != "")]
    checked = {"rows_checked": len(sub), "rows_unchecked": unchecked}
    if h < 1 or sub.empty:
        return Spikes((), t_end - td, t_end, max(h, 0), 0, params, **checked)
    cells = []
    for level in levels:
        if level == "all":
            lab = pd.Series([""] * len(sub), index=sub.index)
        elif level in ("group", "topic") and level in df.columns:
            lab = clean_label(df[level]).to_numpy()[sub["pos"].to_numpy()]
            lab = pd.Series(lab, index=sub.index).fillna("")
        else:
            continue
        frame = sub.assign(level=level, label=lab)
        if level != "all":
            frame = frame[frame["label"] != ""]
        cells.append(frame)
    allc = pd.concat(cells, ignore_index=True)
    counts = allc.groupby(["level", "m", "label", "k"]).size().rename("n").reset_index()
    latest = counts[counts["k"] == 0].set_index(["level", "m", "label"])["n"]
    hist = counts[(counts["k"] >= 1) & (counts["k"] <= h)]
    tested = latest[latest >= min_count]
    m = len(tested)
    if not m:
        return Spikes((), t_end - td, t_end, h, 0, params, **checked)
    tk = times[ok].to_numpy()[np.searchsorted(np.flatnonzero(ok.to_numpy()), allc["pos"].to_numpy())]
    season = _seasonal(allc.assign(t=tk), tested.index, times[ok], t_start, t_end, td, band) if seasonal else None
    hist_sum = hist.groupby(["level", "m", "label"])["n"].sum()
    hist_sq = (hist.assign(sq=hist["n"] ** 2)).groupby(["level", "m", "label"])["sq"].sum()
    locs = df["locations"].to_numpy() if "locations" in df.columns else None
    names = group_names or {}
    found = []
    for key, x in tested.items():
        total = int(hist_sum.get(key, 0))
        lam = (total + 0.5) / h
        var = None
        if h >= 4:
            mean = total / h
            var = hist_sq.get(key, 0) / h - mean * mean
            var = var * h / (h - 1)
            var = var if var > mean else None
        basis = "flat"
        if season is not None and key in season.index:
            lam, var, basis = float(season.at[key, "lam"]), season.at[key, "var"], "seasonal"
            var = None if pd.isna(var) else float(var)
        p = _tail(int(x), lam, var)
        if x < min_ratio * lam or p >= alpha / m:
            continue
        level, muni, label = key
        rows = allc.loc[(allc["level"] == level) & (allc["m"] == muni) & (allc["label"] == label) & (allc["k"] == 0),
                        "pos"].to_numpy()
        places: tuple[str, ...] = ()
        if locs is not None:
            c = Counter(pl for r in rows for pl in dict.fromkeys(place_mentions(locs[r])))
            places = tuple(pl for pl, _ in c.most_common(3))
        found.append(Spike(municipality=muni, level=level, label=label or None,
                           name=(names.get(label) if level == "group" else None) or (label or None),
                           count=int(x), expected=round(lam, 3), ratio=round(x / lam, 1), p_value=p, history=total,
                           places=places, rows=tuple(int(r) for r in rows), basis=basis))
    found.sort(key=lambda s: (s.p_value, -s.count))
    return Spikes(tuple(found), t_end - td, t_end, h, m, params, **checked,
                  seasonal_years=int(season.attrs["years"]) if season is not None else 0)


_YEAR = pd.Timedelta(weeks=52)  # whole weeks: the same weekdays a year before


def _seasonal(cells: pd.DataFrame, keys: pd.Index, times: pd.Series, t_start: pd.Timestamp, t_end: pd.Timestamp,
              td: pd.Timedelta, band: pd.Timedelta) -> pd.DataFrame | None:
    """Seasonal λ and variance per cell of ``keys`` from the same weeks of earlier years, or None
    when the history covers no earlier year's band. ``cells`` has level, m, label and t."""
    b = max(1, int(round(band / td)))
    years = []
    y = 1
    while t_end - y * _YEAR - (b + 1) * td >= t_start:
        years.append(y)
        y += 1
    if not years:
        return None
    t = times.to_numpy()

    def rate(lo: pd.Timestamp, hi: pd.Timestamp) -> float:
        lo = max(lo, t_start)
        days = (hi - lo) / pd.Timedelta(days=1)
        return float(((t > lo.to_datetime64()) & (t <= hi.to_datetime64())).sum()) / days if days >= 28 else np.nan

    now = rate(t_end - _YEAR, t_end - td)
    windows = len(years) * (2 * b + 1)
    sums = pd.Series(0.0, index=keys)
    squares = {}
    for y in years:
        e_y = t_end - y * _YEAR
        scale = now / rate(e_y - _YEAR, e_y - td)
        scale = scale if np.isfinite(scale) and scale > 0 else 1.0
        j = np.floor((e_y - cells["t"]) / td).astype(int)
        near = cells[(j >= -b) & (j <= b)].assign(j=j)
        per = near.groupby(["level", "m", "label", "j"]).size() * scale
        totals = per.groupby(["level", "m", "label"]).sum()
        sums = sums.add(totals.reindex(keys, fill_value=0.0), fill_value=0.0)
        for key, v in per.items():
            squares.setdefault(key[:3], []).append(v)
    out = pd.DataFrame({"lam": (sums + 0.5) / windows}, index=keys)
    var = []
    for key in keys:
        vals = np.array(squares.get(key, []) + [0.0] * (windows - len(squares.get(key, []))))
        mean, v = vals.mean(), vals.var(ddof=1) if windows > 1 else 0.0
        var.append(out.at[key, "lam"] * v / mean if windows >= 4 and mean > 0 and v > mean else np.nan)
    out["var"] = var
    out.attrs["years"] = len(years)
    return out
