"""Generated archives with known seasonality for the risk calendar and the seasonal spikes.

Monthly rates per topic group (Poisson, a mild gamma mix for real-life over-dispersion): snow
and ice peaks in January–March (like a real archive: ~70/65/55, 2–5 a month from May to
October), potholes in April–July (~35), heating in the cold months, garbage flat with a trend.
Each message gets a time uniform within its month.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

#: expected messages per month, January..December, in the first year of the archive
RATES = {
    "Снег и гололёд": [70, 65, 55, 15, 4, 3, 2, 3, 4, 5, 18, 48],
    "Ямы на дорогах": [8, 8, 14, 33, 37, 36, 32, 20, 12, 9, 8, 7],
    "Отопление": [30, 25, 18, 6, 1, 1, 1, 1, 4, 22, 28, 32],
    "Мусор": [10] * 12,
}
#: growth per year of each group's rate (garbage grows, snow a little)
TREND = {"Снег и гололёд": 0.03, "Ямы на дорогах": 0.0, "Отопление": -0.03, "Мусор": 0.12}


def monthly_counts(years: int = 7, start: str = "2019-01-01", seed: int = 0, dispersion: float = 20.0,
                   growth: float | None = None) -> pd.DataFrame:
    """Counts per month (index: month starts) and group (columns), with the true means in ``attrs``;
    ``growth`` (e.g. 0.3 = +30 % a year) replaces every group's :data:`TREND`."""
    rng = np.random.default_rng(seed)
    months = pd.date_range(start, periods=12 * years, freq="MS")
    counts, means = {}, {}
    for group, rates in RATES.items():
        g = TREND[group] if growth is None else growth
        mu = np.array([rates[m.month - 1] * (1 + g) ** (i / 12) for i, m in enumerate(months)])
        lam = rng.gamma(dispersion, mu / dispersion)  # gamma-Poisson: variance mu + mu^2 / dispersion
        counts[group] = rng.poisson(lam)
        means[group] = mu
    frame = pd.DataFrame(counts, index=months)
    frame.attrs["means"] = pd.DataFrame(means, index=months)
    return frame


def archive(years: int = 7, start: str = "2019-01-01", seed: int = 0, dispersion: float = 20.0,
            time_column: str = "Дата создания", group_column: str = "Тематика", growth: float | None = None
            ) -> pd.DataFrame:
    """One row per message: a ``дд.мм.гггг чч:мм`` time uniform within its month and the group."""
    rng = np.random.default_rng(seed + 1)
    counts = monthly_counts(years, start, seed, dispersion, growth)
    times, groups = [], []
    for month, row in counts.iterrows():
        seconds = (month + pd.offsets.MonthBegin(1) - month).total_seconds()
        for group, k in row.items():
            offsets = rng.uniform(0, seconds, int(k))
            times += [month + pd.Timedelta(seconds=float(s)) for s in offsets]
            groups += [group] * int(k)
    order = np.argsort(np.array(times, dtype="datetime64[ns]"), kind="stable")
    frame = pd.DataFrame({"id": range(1, len(times) + 1),
                          time_column: [times[i].strftime("%d.%m.%Y %H:%M") for i in order],
                          group_column: [groups[i] for i in order],
                          "Текст Сообщения": ["обращение"] * len(times)})
    frame.attrs["counts"] = counts
    return frame


#: messages per day of the snow group by month (January..December) for the seasonal spikes
SNOW_PER_DAY = [16, 12, 5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 1, 8]


def scored_daily(years: int = 3, end: str = "2026-01-20 12:00", seed: int = 0, extra: int = 0,
                 municipality: str = "Курск") -> pd.DataFrame:
    """A scored-like archive (time, municipality, topic, group) of ``years`` years up to ``end``:
    group ``1`` (snow, winter-peaked, :data:`SNOW_PER_DAY`) and group ``2`` (garbage, 2 a day);
    ``extra`` more snow messages in the last 48 hours (an unusual snowfall)."""
    rng = np.random.default_rng(seed)
    t_end = pd.Timestamp(end)
    days = pd.date_range(t_end.normalize() - pd.Timedelta(days=int(365.25 * years)), t_end.normalize(), freq="D")
    times, groups = [], []
    for day in days:
        for group, lam in (("1", SNOW_PER_DAY[day.month - 1]), ("2", 2.0)):
            for _ in range(rng.poisson(lam)):
                t = day + pd.Timedelta(seconds=float(rng.uniform(0, 86400)))
                if t <= t_end:
                    times.append(t)
                    groups.append(group)
    for _ in range(extra):
        times.append(t_end - pd.Timedelta(hours=float(rng.uniform(0, 47))))
        groups.append("1")
    frame = pd.DataFrame({"Дата": [t.strftime("%Y-%m-%d %H:%M") for t in times], "municipality": municipality,
                          "group": groups, "group_name": ["Снег и гололёд" if g == "1" else "Мусор" for g in groups],
                          "topic": ["Уборка снега" if g == "1" else "Вывоз мусора" for g in groups]})
    frame.loc[len(frame)] = [t_end.strftime("%Y-%m-%d %H:%M"), municipality, "2", "Мусор", "Вывоз мусора"]
    return frame.sort_values("Дата", kind="stable").reset_index(drop=True)
