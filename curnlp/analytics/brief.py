"""A one-page printable brief on one municipality (``curnlp report SCORED --municipality NAME``).

What a governor's office asks before a trip: how many messages and where the trend goes, the
top problems, what is building up now (spikes of the latest window), the largest incidents, the
share the model could not route confidently, and a few messages in the citizens' own words.
Russian, A4 (``@page size:A4`` and ``@media print`` styles), charts inline, no network.

``NAME`` is matched against the scored ``municipality`` (case and ё folded; a city takes its
inner okrugs), then by lemmas («Фатеже» → «Фатеж»), then against the towns and settlements the
messages mention (a village inside a district).
"""
from __future__ import annotations

import datetime as _dt
import os
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from ..errors import CorpusError
from . import _html as H
from ._data import (NO_LABEL, clean_label, group_label, group_names, is_true, load_region_or_none,
                    municipality_parents, parse_times, place_label, place_mentions, read_scored, text_column,
                    with_municipality_column)

__all__ = ["select_municipality", "render_brief", "write_brief"]


def _fold(text: str) -> str:
    return " ".join(str(text).casefold().replace("ё", "е").split())


def _lemmas(text: str) -> tuple[str, ...]:
    from ..places import name_key
    return name_key(text)


def select_municipality(df: pd.DataFrame, name: str, parents: dict[str, str] | None = None) -> tuple[np.ndarray, str]:
    """Boolean mask of the rows about ``name`` and the name to print. Raises :class:`CorpusError`
    naming the municipalities present when nothing matches."""
    parents = parents or {}
    if not isinstance(name, str) or not name.strip():
        raise CorpusError("municipality name is empty")
    muni = clean_label(df["municipality"]).str.rstrip("?")
    folded = muni.fillna("").map(_fold)
    key = _fold(name)
    for prefix in ("г. ", "г ", "город "):
        if key.startswith(prefix) and len(key) > len(prefix) + 1:
            key = key[len(prefix):]
    mask = (folded == key).to_numpy()
    kids = [k for k, p in parents.items() if _fold(p) == key]
    if kids:
        mask |= muni.isin(kids).fillna(False).to_numpy()
    if mask.any():
        shown = muni[mask & (folded == key).to_numpy()].dropna()
        return mask, shown.iloc[0] if len(shown) else name.strip()
    wanted = _lemmas(key)
    if wanted:
        uniq = {m: _lemmas(m) for m in muni.dropna().unique()}
        hits = [m for m, k in uniq.items() if k == wanted]
        if hits:
            mask = muni.isin(hits).fillna(False).to_numpy()
            return mask, hits[0]
        if "locations" in df.columns:
            cache: dict[str, bool] = {}

            def mentions(cell: Any) -> bool:
                for normal in place_mentions(cell, ("city", "settlement", "city_okrug")):
                    if normal not in cache:
                        lem = _lemmas(normal)
                        cache[normal] = len(lem) >= len(wanted) and lem[-len(wanted):] == wanted
                    if cache[normal]:
                        return True
                return False
            mask = df["locations"].map(mentions).to_numpy(dtype=bool)
            if mask.any():
                return mask, name.strip()
    present = muni.value_counts().head(25).index.tolist()
    if not present:
        raise CorpusError(f"no messages about {name!r}: no row of the archive has a municipality (the model "
                          "gives none); name a column of the archive that holds it (municipality, address or "
                          "agency) with --municipality-column")
    raise CorpusError(f"no messages about {name!r} in the archive; municipalities present: {present}")


def _trend(times: pd.Series, end: pd.Timestamp, days: int = 7) -> tuple[int, int]:
    last = ((times > end - pd.Timedelta(days=days)) & (times <= end)).sum()
    prev = ((times > end - pd.Timedelta(days=2 * days)) & (times <= end - pd.Timedelta(days=days))).sum()
    return int(last), int(prev)


def _change(last: int, prev: int) -> str:
    if prev == 0:
        return "новое" if last else "без изменений"
    change = (last - prev) / prev
    arrow = "▲" if change > 0 else ("▼" if change < 0 else "")
    return f"{arrow} {change:+.0%}".replace("+", "+").strip()


def render_brief(data: pd.DataFrame | str | os.PathLike[str], municipality: str, *, digest: Any = None,
                 window: str = "48h", region: Any = "kursk", time_column_name: str | None = None,
                 text_column_name: str | None = None, municipality_column: str | None = None,
                 created_column: str | None = None, answered_column: str | None = None,
                 author_column: str | None = None, due_hours: float = 24) -> str:
    """The brief on ``municipality`` as one self-contained HTML page (A4 when printed).

    ``municipality_column``: a column whose cleaned value is the municipality of rows the model
    gave none; ``answered_column`` (and ``created_column``, default the time column): what is
    still open; ``author_column``: see :func:`find_incidents`."""
    from .incidents import find_incidents
    from .sections import calendar_html, control_html, points_html
    from .spikes import find_spikes
    df = with_municipality_column(read_scored(data), municipality_column)
    region = load_region_or_none(region)
    parents = municipality_parents(region)
    names = group_names(df, region)
    ok = clean_label(df["error"]).isna().to_numpy() if "error" in df.columns else np.ones(len(df), bool)
    mask, shown = select_municipality(df[ok].reset_index(drop=True), municipality, parents)
    sub = df[ok].reset_index(drop=True)[mask].reset_index(drop=True)
    title = f"Справка: {shown}"
    tcol = digest.date_column if digest is not None and digest.date_column else None
    if tcol is None:
        from ._data import time_column
        tcol = time_column(df, time_column_name)
    xcol = text_column(df, text_column_name)
    review = is_true(sub["needs_review"]) if "needs_review" in sub.columns else pd.Series(False, index=sub.index)
    topics = clean_label(sub["topic"]).fillna(NO_LABEL) if "topic" in sub.columns else pd.Series(dtype=str)
    groups = clean_label(sub["group"]).map(lambda g: group_label(g, names), na_action=None).fillna(NO_LABEL)
    parts = [f"<h1>{H.e(title)}</h1>"]
    times = parse_times(sub[tcol]) if tcol else pd.Series(pd.NaT, index=sub.index)
    dated = times.dropna()
    period = (f"{dated.min():%d.%m.%Y} — {dated.max():%d.%m.%Y}" if len(dated) else "даты не указаны")
    all_times = parse_times(df[tcol]) if tcol else pd.Series(dtype="datetime64[ns]")
    with_year = H.spans_years(all_times.min(), all_times.max()) if len(all_times.dropna()) else False
    parts.append(f'<p class="note">Обращения граждан о муниципальном образовании «{H.e(shown)}» за период '
                 f"{H.e(period)}. Сформировано {_dt.datetime.now():%d.%m.%Y %H:%M}.</p>")
    end = all_times.max() if tcol else None
    kpi = [f"<div><b>{H.n(len(sub))}</b>{H.plural(len(sub), 'обращение', 'обращения', 'обращений', False)} "
           "за период</div>"]
    if end is not None and not pd.isna(end):
        last, prev = _trend(times, end)
        kpi.append(f"<div><b>{H.n(last)}</b>за последние 7 дней ({H.e(_change(last, prev))} к предыдущим 7: "
                   f"{H.n(prev)})</div>")
    kpi.append(f"<div><b>{H.pct(int(review.sum()), len(sub))}</b>требуют проверки ({H.n(int(review.sum()))})</div>")
    inc_table = None
    if tcol and len(dated) >= 2:
        # on the whole archive (the same incidents as in the report), then this municipality's
        inc = find_incidents(df, time_column_name=tcol, text_column_name=xcol, window=window, author=author_column)
        places = set(clean_label(sub["municipality"]).str.rstrip("?").dropna())
        ids = set(inc.rows.loc[ok, "incident"].to_numpy()[mask].tolist()) if len(sub) else set()
        inc_table = inc.table[inc.table["incident"].isin(ids) | inc.table["municipality"].isin(places)]
        inc_table = inc_table.reset_index(drop=True)
        if len(inc_table):
            biggest = int(inc_table['size'].iloc[0])
            kpi.append(f"<div><b>{H.n(biggest)}</b>{H.plural(biggest, 'обращение', 'обращения', 'обращений', False)} "
                       "в крупнейшем инциденте</div>")
    parts.append('<div class="kpi">' + "".join(kpi) + "</div>")
    # spikes of this municipality (computed on the whole archive: the same rule as the report)
    if tcol:
        spikes = find_spikes(df, time_column_name=tcol, window=window, group_names=names)
        members = set(sub["municipality"].dropna().astype(str).str.rstrip("?"))
        mine = [s for s in spikes.spikes if s.municipality in members]
        if mine:
            items = []
            for s in mine[:3]:
                what = "все обращения" if s.level == "all" else (s.name or s.label)
                items.append(f"{H.e(place_label(s.municipality, parents))}: {H.e(what)} — "
                             f"{H.e(H.plural(s.count, 'обращение', 'обращения', 'обращений'))} за "
                             f"{H.e(spikes.params['window_text'])} (ожидалось {H.e(H.n(s.expected, 1 if s.expected >= 1 else 2))}; "
                             f"{H.e(s.chance)})")
            parts.append('<div class="alert"><b>Всплеск обращений:</b> ' + "; ".join(items) + "</div>")
        else:
            parts.append(f'<p class="note">{H.e(_spikes_note(spikes, members))}</p>')
        if len(dated):
            by_day = Counter(dated.dt.date.value_counts().to_dict())
            parts.append(H.img(H.daily(by_day, "Обращения по дням", size=(7.4, 1.9),
                                      highlight_from=spikes.window_start, highlight_to=spikes.window_end,
                                      until=spikes.window_end), "Обращения по дням"))
    # rows without a topic or group are not shown as an invented «—» row
    top_topics = topics[topics != NO_LABEL].value_counts().head(6)
    top_groups = groups[groups != NO_LABEL].value_counts().head(6)
    blocks = []
    if len(top_topics):
        blocks.append("<h2>Главные проблемы</h2>" + H.table(
            ["Тема", "Обращений", "Доля"], [(H.short(t, 70), H.n(c), H.pct(c, len(sub))) for t, c in top_topics.items()]))
    if len(top_groups):
        blocks.append(("<h2>Группы тем</h2>" if len(top_topics) else "<h2>Главные проблемы: группы тем</h2>")
                      + H.table(["Группа", "Обращений", "Доля"],
                                [(H.short(g, 50), H.n(c), H.pct(c, len(sub))) for g, c in top_groups.items()]))
    if blocks:
        parts.append('<div class="cols">' + "".join(f"<div>{b}</div>" for b in blocks) + "</div>")
    else:
        parts.append('<p class="note">Модель не определяет ни тем, ни групп тем.</p>')
    if parents and shown in set(parents.values()):
        okr = clean_label(sub["municipality"]).str.rstrip("?").value_counts()
        parts.append('<p class="note">По округам: ' + "; ".join(
            f"{H.e(m)} — {H.n(c)}" for m, c in okr.items()) + ".</p>")
    parts.append("<h2>Крупнейшие инциденты</h2>")
    if inc_table is not None and len(inc_table):
        rows = []
        for r in inc_table.head(5).itertuples(index=False):
            where = r.street if isinstance(r.street, str) and r.street else ""
            rows.append((H.n(r.size), f"{H.day(pd.Timestamp(r.first), with_year)} — {H.day(pd.Timestamp(r.last), with_year)}",
                         H.short(r.topic if isinstance(r.topic, str) else group_label(r.group, names)
                                 if isinstance(r.group, str) else "", 45), where,
                         H.short(r.representative, 110)))
        parts.append(H.table(["Обращений", "Даты", "Тема", "Улица", "Типичное сообщение"], rows,
                             numeric_from=0, numeric_to=1))
    else:
        parts.append("<p>Инцидентов из двух и более обращений нет.</p>")
    # the calendar, the points and what is still open, restricted to this municipality
    extra = calendar_html(sub, tcol, compact=True) + points_html(sub, tcol, top=5, compact=True)
    if answered_column:
        extra += control_html(sub, created_column or tcol, answered_column, due_hours=due_hours, text=xcol,
                              compact=True, top_open=3)
    parts.append('<div class="cols">' + "".join(f"<div>{x}</div>" for x in extra[:2]) + "</div>")
    parts += extra[2:]
    parts.append("<h2>Примеры обращений</h2>")
    examples: list[str] = []
    if inc_table is not None:
        examples += [r for r in inc_table["representative"].head(3)]
    recent = sub.assign(_t=times).sort_values("_t", ascending=False, na_position="last")
    for text in recent[xcol].astype(str):
        if len(examples) >= 4:
            break
        if text not in examples:
            examples.append(text)
    parts.append("<ul>" + "".join(f'<li class="msg">«{H.e(H.short(t, 200))}»</li>' for t in examples) + "</ul>")
    parts.append('<p class="note">«Требуют проверки»: уверенность модели в ответственном ниже порога. '
                 "Инцидент — обращения об одной проблеме в одном месте за короткое время. Всплеск — рост "
                 "за последнее окно сверх собственной истории (правило — в полной сводке).</p>")
    return H.page(title, parts, extra_css=H.BRIEF_CSS)


def _spikes_note(spikes: Any, members: set[str]) -> str:
    """What the spike check said about this municipality when it flagged nothing here: «no spike
    among N cells checked» only when it could check; otherwise why not (never a false all-clear)."""
    found = len(spikes.spikes)
    if not spikes.rows_checked or not spikes.cells_tested or not found:
        return spikes.summary
    return (f"Здесь всплесков нет (проверено ячеек по архиву: {H.n(spikes.cells_tested)}; в других местах — "
            f"{H.plural(found, 'всплеск', 'всплеска', 'всплесков')}).")


def write_brief(data: pd.DataFrame | str | os.PathLike[str], municipality: str, output: str | os.PathLike[str],
                **options: Any) -> str:
    """Write the brief on ``municipality`` to ``output``; returns the printed municipality name."""
    page = render_brief(data, municipality, **options)
    H.write_page(page, output)
    return municipality
