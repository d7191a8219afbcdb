"""The calendar of risks, the problem points and the control of answers as sections of the
report and of the brief: each is built when the archive allows it, and otherwise one sentence
says why it is missing (a page never silently drops a section).

The full sections are those of ``curnlp calendar``, ``curnlp points`` and ``curnlp control``
(:func:`render_calendar_section`, :func:`render_points_section`, :func:`render_control_section`);
``compact=True`` gives the short forms the one-page brief has room for.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import CorpusError, InvalidInput
from . import _html as H
from ._data import clean_label, parse_times
from ._frames import ru_date, ru_number, ru_period

__all__ = ["calendar_html", "points_html", "control_html", "calendar_freq"]


def _note(title: str, text: str, compact: bool) -> list[str]:
    head = f"<h2>{H.e(title)}</h2>"
    return [f'{head}<p class="note">{H.e(text)}</p>']


def calendar_freq(times: pd.Series) -> str:
    """Months for an archive of a year or more (the season can be read), weeks for a shorter one."""
    t = times.dropna()
    return "M" if len(t) and (t.max() - t.min()).days >= 365 else "W"


def _by_column(df: pd.DataFrame) -> str | None:
    for c in ("group_name", "group", "topic"):
        if c in df.columns and clean_label(df[c]).notna().any():
            return c
    return None


def calendar_html(df: pd.DataFrame, tcol: str | None, *, compact: bool = False, periods: int | None = None) -> list[str]:
    """The risk calendar of ``df`` (per topic group, months or weeks ahead) or why there is none."""
    title = "Календарь рисков"
    if tcol is None:
        return _note(title, "Календарь рисков не построен: в архиве нет столбца с датой (укажите --time-column).",
                     compact)
    by = _by_column(df)
    if by is None:
        return _note(title, "Календарь рисков не построен: у обращений нет ни группы, ни темы.", compact)
    from .calendar import forecast_calendar, render_calendar_section, rising
    freq = calendar_freq(parse_times(df[tcol]))
    try:
        forecast = forecast_calendar(df, time=tcol, by=by, freq=freq, periods=periods or (3 if freq == "M" else 4))
    except (CorpusError, InvalidInput) as exc:
        return _note(title, f"Календарь рисков не построен: {exc}", compact)
    if not compact:
        return [render_calendar_section(forecast)]
    unit = "месяц" if freq == "M" else "неделю"
    up = rising(forecast)
    if not len(up):
        k = int(forecast["period"].nunique())
        what = H.plural(k, "месяц", "месяца", "месяцев") if freq == "M" else H.plural(k, "неделю", "недели", "недель")
        return [f"<h2>{title}</h2><p>На ближайшие {H.e(what)} (с {H.e(ru_date(forecast['period'].min()))}) роста "
                "заметно выше обычного не ожидается.</p>"]
    items = [f"<li><b>{H.e(r.value)}</b>: рост с {H.e(ru_period(r.period, freq, True, phrase=True))} — до "
             f"{H.e(ru_number(r.peak))} за {unit} (обычно {H.e(ru_number(r.usual, 1))})</li>"
             for r in up.head(4).itertuples()]
    return [f"<h2>{title}</h2><ul>" + "".join(items) + "</ul>"]


def points_html(df: pd.DataFrame, tcol: str | None, *, top: int = 20, compact: bool = False) -> list[str]:
    """The places with repeated complaints of ``df`` or why there are none."""
    title = "Проблемные точки"
    if "locations" not in df.columns:
        return _note(title, "Проблемные точки не найдены: в архиве нет столбца locations (места, найденные "
                            "curnlp score).", compact)
    from .points import find_points, render_points_section
    try:
        points = find_points(df, time=tcol, top=top)
    except (CorpusError, InvalidInput) as exc:
        return _note(title, f"Проблемные точки не найдены: {exc}", compact)
    if not compact:
        return [render_points_section(points, top=top)]
    if not len(points):
        return [f"<h2>{title}</h2><p>Мест, о которых писали больше одного раза, нет.</p>"]
    with_year = H.spans_years(points["first"].min(), points["last"].max())
    rows = [(r.place, H.n(r.messages),
             f"{H.day(r.first, with_year)} — {H.day(r.last, with_year)}" if not pd.isna(r.first) else "—",
             H.short(r.top_topic or "—", 40)) for r in points.head(top).itertuples()]
    return [f"<h2>{title}</h2>" + H.table(["Место", "Обращений", "Даты", "Главная тема"], rows,
                                          numeric_from=1, numeric_to=2)]


def control_html(df: pd.DataFrame, created: str | None, answered: str, *, due_hours: float = 24,
                 text: str | None = None, by: str | None = "agency", compact: bool = False,
                 top_open: int = 5) -> list[str]:
    """The control of answers (answered / open / overdue per responsible) or why there is none."""
    title = "Контроль исполнения"
    if created is None:
        return _note(title, "Контроль исполнения не построен: нет столбца с датой создания (--created-column).",
                     compact)
    from .control import control_table, render_control_section
    by = by if by in df.columns else None
    try:
        control = control_table(df, created=created, answered=answered, by=by, due_hours=due_hours)
    except (CorpusError, InvalidInput) as exc:
        return _note(title, f"Контроль исполнения не построен: {exc}", compact)
    if not compact:
        return [render_control_section(control, text_column=text)]
    t = control.table
    total, opened, overdue = int(t["messages"].sum()), int(t["open"].sum()), int(t["overdue"].sum())
    due = f"{ru_number(control.due_hours)} ч"
    head = (f"<h2>{title}</h2><p>Из {H.plural(total, 'обращения', 'обращений', 'обращений')} без ответа "
            f"{H.n(opened)}, из них дольше {due} — {H.n(overdue)}.</p>")
    if not opened:
        return [head.replace("</p>", " Ответ получили все.</p>", 1)]
    om = control.open_messages.head(top_open)
    rows = [("просрочено" if r["overdue"] else "", _wait(r["hours_open"]),
             H.short(r[text], 110) if text and text in om.columns else "") for _, r in om.iterrows()]
    return [head + H.table(["", "Ждёт ответа", "Обращение"], rows, numeric_from=1, numeric_to=2)]


def _wait(hours: Any) -> str:
    if pd.isna(hours):
        return "—"
    return f"{ru_number(hours / 24, 1)} сут." if hours >= 48 else f"{ru_number(hours, 1)} ч"
