"""Контроль исполнения: per responsible (or any column's value), how many messages were answered,
how many are still open, how many are overdue, and how fast the answers came.

Definitions (as of ``as_of``, default the latest time in either column):

* a message counts when its creation time reads as a date and is not after ``as_of``;
* **answered** — its answer time reads as a date and is not after ``as_of`` (an answer dated
  before the message itself is a data error: it counts as answered but not in the durations,
  and is counted in ``attrs["answer_before_creation"]``);
* **open** — not answered; **overdue** — open and created more than ``due_hours`` before ``as_of``;
* **median_hours** — median hours from creation to answer over answered messages;
* **share_24h** — share of answered messages answered within 24 hours.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import CorpusError, InvalidInput
from . import _html as H
from ._data import parse_times, with_municipality_column
from ._frames import as_timestamp, column, read_table, ru_date, ru_number

__all__ = ["Control", "control_table", "render_control_section", "control_page", "NO_VALUE"]

#: label of the rows whose ``by`` cell is blank
NO_VALUE = "(не указано)"
COLUMNS = ["value", "messages", "answered", "open", "overdue", "median_hours", "share_24h"]


@dataclass(frozen=True)
class Control:
    """The control table (one row per value), the open messages and the run's figures."""

    table: pd.DataFrame
    open_messages: pd.DataFrame
    as_of: pd.Timestamp
    due_hours: float
    unreadable: int          # rows whose creation time does not read as a date
    after_as_of: int         # rows created after as_of (not counted)
    answer_before_creation: int

    def to_dict(self) -> dict:
        """A JSON-serializable dict."""
        return {"as_of": str(self.as_of), "due_hours": self.due_hours, "unreadable": self.unreadable,
                "after_as_of": self.after_as_of, "answer_before_creation": self.answer_before_creation,
                "table": self.table.replace({np.nan: None}).to_dict(orient="records"),
                "open": len(self.open_messages)}


def control_table(data: pd.DataFrame | str | os.PathLike[str], *, created: str, answered: str,
                  by: str | None = None, due_hours: float = 24, as_of: Any = None,
                  municipality_column: str | None = None) -> Control:
    """Answered / open / overdue messages and answer times per value of ``by`` (see the module
    docstring). Without ``by`` one row ``все`` covers the archive. ``municipality_column`` fills
    ``municipality`` where the model gave none (for ``by="municipality"``).

    Raises
    ------
    InvalidInput
        ``due_hours`` not positive, unreadable ``as_of``.
    CorpusError
        Missing columns, or no creation time reads as a date.
    """
    if not due_hours or float(due_hours) <= 0:
        raise InvalidInput(f"--due-hours must be positive, not {due_hours!r}")
    df, source = read_table(data)
    df = with_municipality_column(df, municipality_column, source)
    ccol = column(df, created, "creation time", "--created-column", source)
    acol = column(df, answered, "answer time", "--answered-column", source)
    bcol = column(df, by, "--by", "--by", source) if by else None
    t0 = parse_times(df[ccol]).reset_index(drop=True)
    t1 = parse_times(df[acol]).reset_index(drop=True) if df[acol].notna().any() else \
        pd.Series(pd.NaT, index=t0.index, dtype="datetime64[ns]")
    if len(df) and not t0.notna().any():
        raise CorpusError(f"{source}: no value of --created-column {ccol!r} reads as a date")
    cut = as_timestamp(as_of) if as_of is not None else max(t0.max(), t1.max() if t1.notna().any() else t0.max())
    values = (df[bcol].astype("string").str.strip().replace("", pd.NA).fillna(NO_VALUE).reset_index(drop=True)
              if bcol else pd.Series("все", index=t0.index))
    counted = t0.notna() & (t0 <= cut)
    is_answered = counted & t1.notna() & (t1 <= cut)
    hours = (t1 - t0) / pd.Timedelta(hours=1)
    valid_duration = is_answered & (hours >= 0)
    is_open = counted & ~is_answered
    overdue = is_open & (t0 < cut - pd.Timedelta(hours=float(due_hours)))
    frame = pd.DataFrame({"value": values, "counted": counted, "answered": is_answered, "open": is_open,
                          "overdue": overdue, "hours": hours.where(valid_duration),
                          "in24": (hours <= 24).where(valid_duration)})
    frame = frame[frame["counted"]]
    g = frame.groupby("value", sort=False)
    table = pd.DataFrame({"messages": g.size(), "answered": g["answered"].sum(), "open": g["open"].sum(),
                          "overdue": g["overdue"].sum(), "median_hours": g["hours"].median(),
                          "share_24h": g["in24"].mean()})
    table = table.reset_index().astype({"messages": int, "answered": int, "open": int, "overdue": int})
    table["median_hours"] = table["median_hours"].round(2)
    table["share_24h"] = table["share_24h"].astype(float).round(4)
    table = table.sort_values(["overdue", "open", "messages"], ascending=False, kind="stable").reset_index(drop=True)
    table = table[COLUMNS].astype({"value": object})
    opened = df.reset_index(drop=True).loc[is_open].copy()
    opened.insert(0, "hours_open", ((cut - t0[is_open]) / pd.Timedelta(hours=1)).round(1))
    opened.insert(0, "overdue", overdue[is_open])
    opened = opened.sort_values("hours_open", ascending=False, kind="stable")
    return Control(table=table, open_messages=opened, as_of=cut, due_hours=float(due_hours),
                   unreadable=int(t0.isna().sum()), after_as_of=int((t0 > cut).sum()),
                   answer_before_creation=int((is_answered & (hours < 0)).sum()))


def _hours(h: float) -> str:
    if pd.isna(h):
        return "—"
    return f"{ru_number(h / 24, 1)} сут." if h >= 48 else f"{ru_number(h, 1)} ч"


def render_control_section(control: Control, *, text_column: str | None = None, top_open: int = 50) -> str:
    """The control table and the oldest open messages as one HTML ``<section>`` (Russian)."""
    t = control.table
    total, answered = int(t["messages"].sum()), int(t["answered"].sum())
    opened, overdue = int(t["open"].sum()), int(t["overdue"].sum())
    due = ru_number(control.due_hours) + " ч"
    parts = ['<section class="control"><h2>Контроль исполнения</h2>',
             f'<p class="note">На {H.e(ru_date(control.as_of, True, True))}. Просрочено — нет ответа дольше {due}.</p>',
             '<div class="kpi">'
             f"<div><b>{H.n(total)}</b>обращений</div><div><b>{H.n(answered)}</b>с ответом</div>"
             f"<div><b>{H.n(opened)}</b>без ответа</div><div><b>{H.n(overdue)}</b>просрочено</div></div>"]
    if overdue:
        parts.append(f'<div class="alert">Без ответа дольше {due}: {H.plural(overdue, "обращение", "обращения", "обращений")}.</div>')
    elif total and not opened:
        parts.append("<p>Все обращения получили ответ.</p>")
    rows = [(r.value, H.n(r.messages), H.n(r.answered), H.n(r.open), H.n(r.overdue), _hours(r.median_hours),
             H.pct(r.share_24h, 1) if not pd.isna(r.share_24h) else "—") for r in t.itertuples()]
    parts.append(H.table(["Исполнитель", "Обращений", "С ответом", "Без ответа", "Просрочено",
                          "Медиана до ответа", "Ответ за сутки"], rows))
    skipped = []
    if control.unreadable:
        skipped.append(f"не проверены строки без читаемой даты создания: {H.n(control.unreadable)}")
    if control.after_as_of:
        skipped.append(f"не учтены созданные позже даты отчёта: {H.n(control.after_as_of)}")
    if control.answer_before_creation:
        skipped.append(f"у {H.n(control.answer_before_creation)} дата ответа раньше даты создания "
                       "(ошибка данных; в сроки ответа не вошли)")
    if skipped:
        parts.append('<p class="note">' + "; ".join(skipped) + ".</p>")
    om = control.open_messages
    if len(om):
        parts.append(f"<h3>Без ответа: {H.n(len(om))} (сначала самые давние)</h3>")
        keep = [c for c in om.columns if c not in ("overdue", "hours_open")][:3]
        if text_column and text_column in om.columns and text_column not in keep:
            keep.append(text_column)
        rows = [(("просрочено" if r["overdue"] else ""), _hours(r["hours_open"]))
                + tuple(H.short(r[c], 90) if c == text_column else ("" if pd.isna(r[c]) else r[c]) for c in keep)
                for _, r in om.head(top_open).iterrows()]
        parts.append(H.table(["", "Ждёт"] + keep, rows, numeric_from=1, numeric_to=2))
    parts.append("</section>")
    return "\n".join(parts)


def control_page(control: Control, title: str = "Контроль исполнения", text_column: str | None = None) -> str:
    """A whole HTML page with :func:`render_control_section`."""
    return H.page(title, [render_control_section(control, text_column=text_column)])
