"""Analytics digest of a scored archive (``curnlp report``): one self-contained Russian HTML page.

Top of the page, when the archive has a time column: the **spikes** of the latest window
(municipality × topic cells far above their own history, rule in :mod:`curnlp.analytics.spikes`),
the largest **incidents** (:mod:`curnlp.analytics.incidents`) and a **map** of municipalities
(where coordinates are known). Then the **trend** over time (by day, and by week or month), and
the counts: topic groups (names from the region pack or the ``group_name`` column next to the
codes), topics, municipalities (inner okrugs of a city under the city), group × municipality
(split into tables of a few groups: a wide table is cut off on A4), the top problems of each
municipality, agencies, the review share and failed rows. The **calendar of risks**, the
**problem points** and (with an answer-time column) the **control of answers** follow the
incidents (:mod:`curnlp.analytics.sections`); a section the archive cannot give says why.

A model trained without a region pack gives no municipality: ``municipality_column`` names the
archive's own column that stands in. Dates carry the year when the archive spans years.

Charts are static PNGs (matplotlib Agg) embedded as base64: no network, no JavaScript. Every
value from the data is HTML-escaped. ``--municipality NAME`` writes the one-page brief of
:mod:`curnlp.analytics.brief` instead.
"""
from __future__ import annotations

import datetime as _dt
import logging
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import CorpusError
from . import _html as H
from ._data import (DATE_HINTS, NO_LABEL, NO_PLACE, check_scored, clean_label, group_label, group_names, is_true,
                    load_region_or_none, municipality_parents, parse_times, place_label, read_scored, text_column,
                    time_column, with_municipality_column)

__all__ = ["Digest", "summarize", "render_html", "write_report", "DATE_HINTS", "NO_PLACE", "NO_LABEL",
           "hierarchy", "group_label", "place_label"]

log = logging.getLogger("curnlp")
#: group columns per group × municipality table (more are split into further tables)
GROUP_COLUMNS = 6



@dataclass
class Digest:
    """Counts behind the report; :meth:`to_dict` for JSON. Group keys are display labels
    («ЖКХ и благоустройство (3)» when the code has a name)."""

    source: str
    rows: int = 0
    routed: int = 0          # processed and given a responsible (agency)
    processed: int = 0       # rows without an error (the base of the shares)
    needs_review: int = 0
    failed: int = 0
    groups: Counter = field(default_factory=Counter)
    topics: Counter = field(default_factory=Counter)
    topic_group: dict[str, str] = field(default_factory=dict)
    agencies: Counter = field(default_factory=Counter)
    municipalities: Counter = field(default_factory=Counter)
    group_municipality: Counter = field(default_factory=Counter)
    municipality_topics: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    review_by_group: Counter = field(default_factory=Counter)
    review_by_municipality: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    date_column: str | None = None
    period: str | None = None
    by_period: Counter = field(default_factory=Counter)
    group_by_period: Counter = field(default_factory=Counter)
    by_day: Counter = field(default_factory=Counter)
    undated: int = 0
    first_date: _dt.date | None = None
    last_date: _dt.date | None = None
    group_names: dict[str, str] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)

    no_topic: int = 0        # processed rows the model gave no topic (not shown as a «—» topic)
    no_group: int = 0

    @property
    def unrouted(self) -> int:
        """Processed rows without a responsible."""
        return self.processed - self.routed

    @property
    def review_share(self) -> float:
        return self.needs_review / self.processed if self.processed else 0.0

    @property
    def with_year(self) -> bool:
        """Dates must carry the year (the archive spans years)."""
        return H.spans_years(self.first_date, self.last_date)

    def to_dict(self) -> dict:
        """A JSON-serializable dict of the counts."""
        return {
            "source": self.source, "rows": self.rows, "routed": self.routed, "processed": self.processed,
            "no_topic": self.no_topic, "no_group": self.no_group, "needs_review": self.needs_review,
            "failed": self.failed, "review_share": round(self.review_share, 4),
            "groups": dict(self.groups.most_common()), "topics": dict(self.topics.most_common()),
            "agencies": dict(self.agencies.most_common()),
            "municipalities": dict(self.municipalities.most_common()),
            "municipality_parents": dict(self.parents),
            "group_municipality": [[g, m, n] for (g, m), n in self.group_municipality.most_common()],
            "errors": dict(self.errors.most_common()), "date_column": self.date_column, "period": self.period,
            "by_period": {str(k): v for k, v in sorted(self.by_period.items())},
            "first_date": self.first_date.isoformat() if self.first_date else None,
            "last_date": self.last_date.isoformat() if self.last_date else None,
        }


# ---------------------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------------------

def _error_kind(message: str) -> str:
    """Group error messages by their kind (numbers and details dropped)."""
    kind = re.split(r"[:(]", message, maxsplit=1)[0].strip()
    return kind or "error"


def _period_key(day: _dt.date, period: str) -> _dt.date:
    if period == "week":
        return day - _dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def digest_frame(df: pd.DataFrame, source: str, *, date_column: str | None = None, period: str = "auto",
                 region: Any = "kursk", municipality_column: str | None = None) -> Digest:
    """:class:`Digest` of a scored DataFrame (see :func:`summarize`)."""
    if period not in ("auto", "week", "month"):
        raise CorpusError(f"period must be 'auto', 'week' or 'month', not {period!r}")
    df = with_municipality_column(df, municipality_column, source)
    check_scored(df, source, ("topic", "group", "municipality", "needs_review", "error"))
    region = load_region_or_none(region)
    d = Digest(source=source, group_names=group_names(df, region), parents=municipality_parents(region))
    d.rows = len(df)
    err = clean_label(df["error"])
    failed = err.notna()
    d.failed = int(failed.sum())
    d.errors = Counter(_error_kind(e) for e in err[failed])
    ok = df[~failed.to_numpy()]
    d.processed = len(ok)
    # routed = given a responsible: a row the model could not assign is not «распределено»
    d.routed = int(clean_label(ok["agency"]).notna().sum()) if "agency" in ok.columns else len(ok)
    groups = clean_label(ok["group"]).map(lambda g: group_label(g, d.group_names), na_action=None)
    groups = groups.fillna(NO_LABEL).astype(str)
    topics = clean_label(ok["topic"]).fillna(NO_LABEL).astype(str)
    d.no_topic, d.no_group = int((topics == NO_LABEL).sum()), int((groups == NO_LABEL).sum())
    places = clean_label(ok["municipality"]).str.rstrip("?").fillna(NO_PLACE).astype(str)
    review = is_true(ok["needs_review"])
    d.needs_review = int(review.sum())
    # rows without a label are counted (no_group / no_topic), never shown as an invented «—» row
    d.groups = Counter(groups[groups != NO_LABEL].value_counts().to_dict())
    d.topics = Counter(topics[topics != NO_LABEL].value_counts().to_dict())
    d.topic_group = pd.DataFrame({"t": topics, "g": groups}).drop_duplicates("t").set_index("t")["g"].to_dict()
    if "agency" in ok.columns:
        d.agencies = Counter(clean_label(ok["agency"]).dropna().astype(str).value_counts().to_dict())
    d.municipalities = Counter(places.value_counts().to_dict())
    d.group_municipality = Counter(pd.DataFrame({"g": groups, "m": places}).value_counts().to_dict())
    # the top problems of a place: its topics, or its groups when the model gives no topics
    problems = topics if d.topics else groups
    for (m, t), c in pd.DataFrame({"m": places, "t": problems}).value_counts().items():
        if t != NO_LABEL:
            d.municipality_topics[m][t] = int(c)
    d.review_by_group = Counter(groups[review.to_numpy()].value_counts().to_dict())
    d.review_by_municipality = Counter(places[review.to_numpy()].value_counts().to_dict())
    tcol = time_column(ok, date_column) if len(ok) else (date_column if date_column in df.columns else None)
    if date_column is not None and date_column not in df.columns:
        raise CorpusError(f"date column {date_column!r} not in {source}; its columns are {list(df.columns)}")
    if tcol is not None:
        d.date_column = tcol
        times = parse_times(ok[tcol])
        if date_column and times.notna().sum() == 0 and len(ok):
            log.warning("curnlp report: column %r has no recognizable dates", date_column)
        dated = times.notna().to_numpy()
        d.undated = int((~dated).sum())
        if dated.any():
            days = times[dated].dt.date
            d.first_date, d.last_date = days.min(), days.max()
            if period == "auto":
                period = "week" if (d.last_date - d.first_date).days <= 120 else "month"
            d.period = period
            d.by_day = Counter(days.value_counts().to_dict())
            keys = days.map(lambda day: _period_key(day, period))
            d.by_period = Counter(keys.value_counts().to_dict())
            d.group_by_period = Counter(pd.DataFrame({"k": keys.to_numpy(), "g": groups.to_numpy()[dated]})
                                        .value_counts().to_dict())
    return d


def summarize(scored: str | os.PathLike[str] | pd.DataFrame, *, date_column: str | None = None,
              period: str = "auto", region: Any = "kursk", municipality_column: str | None = None) -> Digest:
    """Count a scored archive (output of ``curnlp score``).

    Parameters
    ----------
    scored : path or DataFrame
        CSV, JSONL, Parquet or XLSX with the routing columns.
    date_column : str, optional
        Column with the message date (default: detected by name and content; none is fine).
    period : {"auto", "week", "month"}
        Time buckets; ``auto`` takes weeks for spans up to 120 days, months beyond.
    region : str, path, Region or None
        Region pack for group names and the municipality hierarchy (default: kursk).
    municipality_column : str, optional
        A column (municipality, address or agency) whose cleaned value is the municipality of the
        rows the model gave none (a model trained without a region pack).

    Raises
    ------
    CorpusError
        The file cannot be read or is not a scored archive (routing columns missing).
    """
    source = "input" if isinstance(scored, pd.DataFrame) else os.fspath(scored)
    return digest_frame(read_scored(scored), source, date_column=date_column, period=period, region=region,
                        municipality_column=municipality_column)


# ---------------------------------------------------------------------------------------
# Municipality hierarchy
# ---------------------------------------------------------------------------------------

def hierarchy(counts: Counter, parents: dict[str, str]) -> list[tuple[str, list[str], bool]]:
    """Rows of a municipality table: ``(label, members, is_child)``, largest first, a city's inner
    okrugs indented under it (the city's row counts the city and its okrugs together)."""
    tops: Counter = Counter()
    kids: dict[str, list[str]] = defaultdict(list)
    for m, c in counts.items():
        p = parents.get(m)
        if p:
            tops[p] += c
            kids[p].append(m)
        else:
            tops[m] += c
    rows: list[tuple[str, list[str], bool]] = []
    for m, _ in sorted(tops.items(), key=lambda kv: (-kv[1], kv[0])):
        children = sorted(kids.get(m, []), key=lambda k: (-counts[k], k))
        if not children:
            rows.append((m, [m], False))
            continue
        rows.append((f"{m} (всего)", [m, *children], False))
        for k in children:
            rows.append((k, [k], True))
        if counts.get(m, 0):
            rows.append((f"{m}: округ не указан", [m], True))
    return rows


# ---------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------

def _spikes_html(spikes: Any, parents: dict[str, str]) -> list[str]:
    span = (f" ({H.moment(spikes.window_start, True)} — {H.moment(spikes.window_end, True)})"
            if spikes.window_end is not None else "")
    parts = [f"<h2>Всплески: последнее окно {H.e(spikes.params['window_text'])}{H.e(span)}</h2>"]
    level_name = {"all": "все обращения", "group": "группа", "topic": "тема"}
    if spikes.spikes:
        towns = []
        for s in spikes.spikes:
            if s.municipality not in towns:
                towns.append(s.municipality)
        parts.append('<div class="alert"><b>Где нарастает проблема:</b> '
                     + "; ".join(H.e(place_label(t, parents)) for t in towns) + "</div>")
        rows = [(place_label(s.municipality, parents), level_name.get(s.level, s.level),
                 "" if s.level == "all" else (s.name or s.label or ""), H.n(s.count), H.n(s.expected, 2),
                 H.n(s.ratio, 1), s.chance, ", ".join(s.places)) for s in spikes.spikes[:30]]
        parts.append(H.table(["Муниципальное образование", "Уровень", "Группа / тема", "За окно", "Ожидалось",
                              "Во сколько раз", "Может ли быть случайностью", "Чаще всего упоминаются"], rows,
                             numeric_from=3, numeric_to=6))
    # what was checked, and what could not be: never a bare «не найдено» over zero cells
    parts.append(f"<p>{H.e(spikes.summary)}</p>")
    parts.append(f'<p class="note">Правило. {H.e(spikes.rule)}</p>')
    return parts


def _incidents_html(table: pd.DataFrame, parents: dict[str, str], names: dict[str, str], top: int,
                    with_year: bool = False) -> list[str]:
    parts = ["<h2>Крупнейшие инциденты</h2>",
             '<p class="note">Инцидент — обращения об одной проблеме в одном месте за короткое время '
             "(сходство текста, муниципальное образование и улица, время; см. <code>curnlp incidents</code>).</p>"]
    if table is None or not len(table):
        parts.append("<p>Инцидентов из двух и более обращений нет.</p>")
        return parts
    rows = []
    for r in table.head(top).itertuples(index=False):
        place = place_label(r.municipality, parents) if isinstance(r.municipality, str) else NO_PLACE
        if isinstance(r.street, str) and r.street:
            place += f", {r.street}"
        when = f"{H.moment(pd.Timestamp(r.first), with_year)} — {H.moment(pd.Timestamp(r.last), with_year)}"
        what = r.topic if isinstance(r.topic, str) else group_label(r.group, names)
        rows.append((r.incident, H.n(r.size), when, place, what, H.short(r.representative, 160)))
    parts.append(H.table(["Инцидент", "Обращений", "Время", "Место", "Тема", "Типичное сообщение"], rows,
                         numeric_from=1, numeric_to=2))
    return parts


def _map_html(d: Digest, coords: dict[str, dict], hot: set[str]) -> list[str]:
    from .geo import map_png
    points: dict[str, list] = {}
    for label, members, child in hierarchy(d.municipalities, d.parents):
        if child:
            continue
        name = members[0]
        c = coords.get(name)
        if c is None:
            continue
        count = sum(d.municipalities.get(m, 0) for m in members)
        key = f"{c['lat']:.3f},{c['lon']:.3f}"
        if key in points:  # a district drawn at its town: one marker, counts added
            points[key][0] += f" / {name}"
            points[key][3] += count
            points[key][4] |= any(m in hot for m in members)
        else:
            points[key] = [name, c["lat"], c["lon"], count, any(m in hot for m in members)]
    if not points:
        return []
    shown = sum(p[3] for p in points.values())
    return ["<h2>Карта</h2>",
            H.img(map_png([tuple(p) for p in points.values()], "Обращения по муниципальным образованиям "
                          "(красным — всплеск)"), "Карта обращений"),
            f'<p class="note">Кружок — муниципальное образование в точке его города (районы — в точке '
            f"районного центра, если это город); на карте {H.n(shown)} из {H.plural(d.processed, 'обращения', 'обращений', 'обращений')}. "
            "Координаты: список городов России (CC BY-SA 4.0).</p>"]


def render_html(digest: Digest, *, title: str | None = None, top: int = 10, spikes: Any = None,
                incidents: pd.DataFrame | None = None, coords: dict[str, dict] | None = None,
                sections: list[str] | None = None) -> str:
    """The digest (with optional spikes, incidents, coordinates and ready HTML ``sections``:
    calendar, points, control) as one self-contained HTML page."""
    title = title or "Сводка обращений граждан"
    d = digest
    parts = [f"<h1>{H.e(title)}</h1>"]
    period = f" за период {d.first_date:%d.%m.%Y} — {d.last_date:%d.%m.%Y}" if d.first_date and d.last_date else ""
    parts.append(f'<p class="note">Источник: {H.e(Path(d.source).name)}{H.e(period)}. '
                 f"Сформировано {_dt.datetime.now():%d.%m.%Y %H:%M}.</p>")
    parts.append('<div class="kpi">'
                 f"<div><b>{H.n(d.rows)}</b>обращений всего</div>"
                 f"<div><b>{H.n(d.routed)}</b>распределено (назначен ответственный)</div>"
                 + (f"<div><b>{H.n(d.unrouted)}</b>без ответственного</div>" if d.unrouted else "")
                 + f"<div><b>{H.pct(d.needs_review, d.processed)}</b>требуют проверки ({H.n(d.needs_review)})</div>"
                 f"<div><b>{H.n(d.failed)}</b>не обработано</div>"
                 + (f"<div><b>{H.n(len(spikes.spikes))}</b>{H.plural(len(spikes.spikes), 'всплеск', 'всплеска', 'всплесков', False)}</div>"
                    if spikes is not None else "")
                 + (f"<div><b>{H.n(len(incidents))}</b>{H.plural(len(incidents), 'инцидент', 'инцидента', 'инцидентов', False)} "
                    "(2+ обращения)</div>" if incidents is not None else "")
                 + "</div>")
    if not d.processed:
        parts.append("<p>Нет обработанных обращений.</p>")
    else:
        if spikes is not None:
            parts += _spikes_html(spikes, d.parents)
        if incidents is not None:
            parts += _incidents_html(incidents, d.parents, d.group_names, top, d.with_year)
        parts += list(sections or ())
        if coords:
            parts += _map_html(d, coords, {s.municipality for s in spikes.spikes} if spikes is not None else set())
        groups = d.groups.most_common()
        top_groups = [g for g, _ in groups[:top]]
        if d.by_day:
            parts.append("<h2>Динамика</h2>")
            parts.append(f'<p class="note">Дата: столбец «{H.e(d.date_column)}»'
                         f"{f'; без даты: {H.n(d.undated)}' if d.undated else ''}.</p>")
            parts.append(H.img(H.daily(d.by_day, "Обращения по дням"), "Обращения по дням"))
            unit = "Неделя (с понедельника)" if d.period == "week" else "Месяц"
            fmt = "%d.%m.%Y" if d.period == "week" else "%m.%Y"  # a period always carries its year
            keys = sorted(d.by_period)
            parts.append(f"<h3>По {'неделям' if d.period == 'week' else 'месяцам'}</h3>")
            parts.append(f'<div class="wide">{H.table([unit, "всего", *top_groups[:5]], [(k.strftime(fmt), H.n(d.by_period[k]), *(H.n(d.group_by_period.get((k, g), 0)) for g in top_groups[:5])) for k in keys])}</div>')
        elif d.date_column is None:
            parts.append('<p class="note">Столбец с датой не найден: динамика, всплески и инциденты не построены '
                         "(укажите --time-column).</p>")
        parts.append("<h2>Группы тем</h2>")
        if groups:
            parts.append(H.img(H.barh(groups[:20], "Обращения по группам тем"), "Обращения по группам тем"))
        if groups:
            parts.append(H.table(["Группа", "Обращений", "Доля", "Требуют проверки"],
                                 [(g, H.n(c), H.pct(c, d.processed), H.pct(d.review_by_group[g], c)) for g, c in groups]))
        if d.no_group:
            parts.append(f'<p class="note">Без группы: {H.plural(d.no_group, "обращение", "обращения", "обращений")} '
                         f"({H.pct(d.no_group, d.processed)}).</p>")
        topics = d.topics.most_common(top * 2)
        if topics:
            parts.append(f"<h2>Темы: первые {len(topics)}</h2>")
            parts.append(H.img(H.barh(topics, "Самые частые темы"), "Самые частые темы"))
            parts.append(H.table(["Тема", "Группа", "Обращений", "Доля"],
                                 [(t, d.topic_group.get(t, NO_LABEL), H.n(c), H.pct(c, d.processed)) for t, c in topics],
                                 numeric_from=2))
        if d.no_topic:
            parts.append(f'<p class="note">{"Модель не определяет темы" if not topics else "Без темы"}: '
                         f'{H.plural(d.no_topic, "обращение", "обращения", "обращений")} '
                         f"({H.pct(d.no_topic, d.processed)}).</p>")
        rows_h = hierarchy(d.municipalities, d.parents)
        tops = [(label, sum(d.municipalities[m] for m in members)) for label, members, child in rows_h if not child]
        parts.append("<h2>Муниципальные образования</h2>")
        parts.append(H.img(H.barh(tops[:25], "Обращения по муниципальным образованиям"),
                           "Обращения по муниципальным образованиям"))

        def total(members: list[str]) -> int:
            return sum(d.municipalities.get(m, 0) for m in members)

        classes = ["child" if child else "" for _, _, child in rows_h]
        parts.append(H.table(["Муниципальное образование", "Обращений", "Доля", "Требуют проверки"],
                             [(label, H.n(total(ms)), H.pct(total(ms), d.processed),
                               H.pct(sum(d.review_by_municipality.get(m, 0) for m in ms), total(ms)))
                              for label, ms, _ in rows_h], row_classes=classes))
        other = len(groups) > top
        columns = [*top_groups, *(["прочие"] if other else []), "всего"]
        cells = []
        for label, ms, _ in rows_h:
            counts = [sum(d.group_municipality.get((g, m), 0) for m in ms) for g in top_groups]
            rest = [total(ms) - sum(counts)] if other else []
            cells.append([*(H.n(c) if c else "" for c in counts), *(H.n(r) for r in rest), H.n(total(ms))])
        parts.append("<h2>Группы тем × муниципальные образования</h2>")
        # at most GROUP_COLUMNS groups a table: a wide table is cut off on an A4 page
        for a in range(0, len(columns), GROUP_COLUMNS):
            part = columns[a:a + GROUP_COLUMNS]
            rows = [(label, *row[a:a + GROUP_COLUMNS]) for (label, _, _), row in zip(rows_h, cells)]
            parts.append(f'<div class="wide">{H.table(["Муниципальное образование", *part], rows, row_classes=classes)}</div>')
        parts.append("<h2>Главные проблемы муниципальных образований</h2>")
        rows = []
        for label, ms, _ in rows_h:
            best: Counter = Counter()
            for m in ms:
                best.update(d.municipality_topics.get(m, Counter()))
            rows.append((label, H.n(total(ms)), "; ".join(f"{t} ({H.n(c)})" for t, c in best.most_common(3))))
        parts.append(H.table(["Муниципальное образование", "Обращений",
                              "Три самые частые темы" if d.topics else "Три самые частые группы тем"], rows,
                             numeric_from=1, numeric_to=2, row_classes=classes))
        if d.agencies:
            parts.append(f"<h2>Ответственные: первые {min(top * 2, len(d.agencies))}</h2>")
            parts.append(H.table(["Ответственный", "Обращений", "Доля"],
                                 [(a, H.n(c), H.pct(c, d.routed)) for a, c in d.agencies.most_common(top * 2)]))
    if d.errors:
        parts.append("<h2>Необработанные строки</h2>")
        parts.append(H.table(["Причина", "Строк"], [(k, H.n(c)) for k, c in d.errors.most_common()]))
    parts.append('<p class="note">Доли тем, групп и муниципальных образований — от обработанных обращений; '
                 "«распределено» — назначен ответственный. «Требуют проверки»: "
                 "уверенность модели в ответственном ниже порога.</p>")
    return H.page(title, parts)


def write_report(scored: str | os.PathLike[str] | pd.DataFrame, output: str | os.PathLike[str], *,
                 date_column: str | None = None, time_column: str | None = None, period: str = "auto",
                 top: int = 10, title: str | None = None, window: str = "48h", region: Any = "kursk",
                 cities: str | os.PathLike[str] | None = None, incidents: bool = True, spikes: bool = True,
                 municipality: str | None = None, municipality_column: str | None = None,
                 created_column: str | None = None, answered_column: str | None = None,
                 author_column: str | None = None, due_hours: float = 24) -> Digest:
    """Write the HTML digest of ``scored`` to ``output`` (or, with ``municipality``, that
    municipality's one-page brief) and return the :class:`Digest` of the whole archive.

    ``municipality_column`` gives rows the model left without a municipality the cleaned value
    of that column; ``answered_column`` (with ``created_column``, default the time column) adds
    the control of answers; ``author_column`` keeps one author's messages about different places
    out of one incident. The calendar of risks and the problem points are added when the
    archive allows (a time column; places in ``locations``)."""
    from .sections import calendar_html, control_html, points_html
    source = "input" if isinstance(scored, pd.DataFrame) else os.fspath(scored)
    df = with_municipality_column(read_scored(scored), municipality_column, source)
    column = time_column or date_column
    region = load_region_or_none(region)
    digest = digest_frame(df, source, date_column=column, period=period, region=region)
    if municipality is not None:
        from .brief import render_brief
        H.write_page(render_brief(df, municipality, digest=digest, window=window, region=region,
                                  created_column=created_column, answered_column=answered_column,
                                  author_column=author_column, due_hours=due_hours), output)
        return digest
    found_spikes = found_incidents = None
    if digest.date_column and digest.by_day:
        if spikes:
            from .spikes import find_spikes
            found_spikes = find_spikes(df, time_column_name=digest.date_column, window=window,
                                       group_names=digest.group_names)
        if incidents:
            from .incidents import find_incidents
            found_incidents = find_incidents(df, time_column_name=digest.date_column, window=window,
                                             author=author_column).table
    sections = calendar_html(df, digest.date_column) + points_html(df, digest.date_column, top=top * 2)
    if answered_column:
        sections += control_html(df, created_column or digest.date_column, answered_column, due_hours=due_hours,
                                 text=_text_or_none(df))
    from .geo import coordinates
    coords = coordinates(region, cities) if region is not None else {}
    H.write_page(render_html(digest, title=title, top=top, spikes=found_spikes, incidents=found_incidents,
                             coords=coords, sections=sections), output)
    return digest


def _text_or_none(df: pd.DataFrame) -> str | None:
    try:
        return text_column(df)
    except CorpusError:
        return None
