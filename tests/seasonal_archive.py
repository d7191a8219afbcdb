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


def monthly_counts(years: int = 7, start: str = "2019-01-01", seed: int = 0, dispersion: float = 20.0
                   ) -> pd.DataFrame:
    """Counts per month (index: month starts) and group (columns), with the true means in ``attrs``."""
    rng = np.random.default_rng(seed)
    months = pd.date_range(start, periods=12 * years, freq="MS")
    counts, means = {}, {}
    for group, rates in RATES.items():
        mu = np.array([rates[m.month - 1] * (1 + TREND[group]) ** (i / 12) for i, m in enumerate(months)])
        lam = rng.gamma(dispersion, mu / dispersion)  # gamma-Poisson: variance mu + mu^2 / dispersion
        counts[group] = rng.poisson(lam)
        means[group] = mu
    frame = pd.DataFrame(counts, index=months)
    frame.attrs["means"] = pd.DataFrame(means, index=months)
    return frame


def archive(years: int = 7, start: str = "2019-01-01", seed: int = 0, dispersion: float = 20.0,
            time_column: str = "Дата создания", group_column: str = "Тематика") -> pd.DataFrame:
    """One row per message: a ``дд.мм.гггг чч:мм`` time uniform within its month and the group."""
    rng = np.random.default_rng(seed + 1)
    counts = monthly_counts(years, start, seed, dispersion)
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
