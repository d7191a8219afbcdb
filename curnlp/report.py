"""Analytics digest of a scored archive (``curnlp report``): one self-contained HTML page.

What a regional feedback centre reports upward: messages per topic group and topic, per
municipality (a group × municipality table), the top problems of each municipality, the
share that needs a human review, failed rows, and the flow over time (by week or month)
when the archive has a date column. Charts are static PNGs drawn with matplotlib's Agg
canvas and embedded as base64: the page needs no network and no JavaScript. Every value
from the data is HTML-escaped.

The scored file (output of ``curnlp score``, any of its formats) is read in chunks and
only counters are kept, so a digest of millions of rows needs little memory.
"""
from __future__ import annotations

import argparse
import base64
import datetime as _dt
import html
import io
import logging
import os
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from .batch import DEFAULT_CHUNK_SIZE, OUTPUT_COLUMNS, open_table
from .errors import CorpusError

__all__ = ["Digest", "summarize", "render_html", "write_report", "register", "DATE_HINTS"]

log = logging.getLogger("curnlp")

#: Substrings of column names that suggest a date (lowercase).
DATE_HINTS = ("дата", "date", "время", "time", "создан", "created", "поступ", "timestamp", "day")
_DATE_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                 "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y", "ISO8601")
NO_PLACE = "не определено"
NO_LABEL = "—"
_TRUE = {True, 1, "True", "true", "TRUE", "1", "да", "yes"}


@dataclass
class Digest:
    """Counts behind the report; :meth:`to_dict` for JSON."""

    source: str
    rows: int = 0
    routed: int = 0
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
    undated: int = 0
    first_date: _dt.date | None = None
    last_date: _dt.date | None = None

    @property
    def review_share(self) -> float:
        return self.needs_review / self.routed if self.routed else 0.0

    def to_dict(self) -> dict:
        """A JSON-serializable dict of the counts."""
        return {
            "source": self.source, "rows": self.rows, "routed": self.routed, "needs_review": self.needs_review,
            "failed": self.failed, "review_share": round(self.review_share, 4),
            "groups": dict(self.groups.most_common()), "topics": dict(self.topics.most_common()),
            "agencies": dict(self.agencies.most_common()),
            "municipalities": dict(self.municipalities.most_common()),
            "group_municipality": [[g, m, n] for (g, m), n in self.group_municipality.most_common()],
            "errors": dict(self.errors.most_common()), "date_column": self.date_column, "period": self.period,
            "by_period": {str(k): v for k, v in sorted(self.by_period.items())},
            "first_date": self.first_date.isoformat() if self.first_date else None,
            "last_date": self.last_date.isoformat() if self.last_date else None,
        }


# ---------------------------------------------------------------------------------------
# Reading and counting
# ---------------------------------------------------------------------------------------

def _label(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text or None


def _date_candidates(columns: Sequence[str]) -> list[str]:
    return [c for c in columns if c not in OUTPUT_COLUMNS and any(h in c.lower() for h in DATE_HINTS)]


def _parse_dates(values: Sequence[Any], fmt: str | None) -> list[_dt.date | None]:
    import pandas as pd
    out: list[_dt.date | None] = [None] * len(values)
    strings, where = [], []
    for i, v in enumerate(values):
        if isinstance(v, _dt.datetime):
            out[i] = v.date()
        elif isinstance(v, _dt.date):
            out[i] = v
        elif isinstance(v, str) and v.strip():
            strings.append(v.strip())
            where.append(i)
    if strings and fmt:
        parsed = pd.to_datetime(pd.Series(strings), format=fmt, errors="coerce", dayfirst=True)
        for i, ts in zip(where, parsed):
            if not pd.isna(ts):
                out[i] = ts.date()
    return out


def _best_format(values: Sequence[Any]) -> tuple[str | None, float]:
    """The date format that parses most of ``values`` and the share it parses."""
    filled = [v for v in values if v is not None and (not isinstance(v, str) or v.strip())]
    if not filled:
        return None, 0.0
    if all(isinstance(v, (_dt.date, _dt.datetime)) for v in filled):
        return None, 1.0
    best, best_share = None, 0.0
    for fmt in _DATE_FORMATS:
        try:
            share = sum(d is not None for d in _parse_dates(filled, fmt)) / len(filled)
        except (ValueError, TypeError):
            continue
        if share > best_share:
            best, best_share = fmt, share
    return best, best_share


def _period_key(day: _dt.date, period: str) -> _dt.date:
    if period == "week":
        return day - _dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def summarize(scored: str | os.PathLike[str], *, date_column: str | None = None, period: str = "auto",
              chunk_size: int = DEFAULT_CHUNK_SIZE) -> Digest:
    """Count a scored archive (output of ``curnlp score``) chunk by chunk.

    Parameters
    ----------
    scored : path
        CSV, JSONL, Parquet or XLSX with the :data:`curnlp.batch.OUTPUT_COLUMNS`.
    date_column : str, optional
        Column with the message date (default: detected by name and content; none is fine).
    period : {"auto", "week", "month"}
        Time buckets; ``auto`` takes weeks for spans up to 120 days, months beyond.

    Raises
    ------
    CorpusError
        The file cannot be read or is not a scored archive (routing columns missing).
    """
    if period not in ("auto", "week", "month"):
        raise CorpusError(f"period must be 'auto', 'week' or 'month', not {period!r}")
    table = open_table(scored, batch_rows=chunk_size)
    try:
        columns = table.columns
        needed = ("topic", "group", "municipality", "needs_review", "error")
        missing = [c for c in needed if c not in columns]
        if missing:
            raise CorpusError(f"{os.fspath(scored)} is not a scored archive (missing {missing}); "
                              f"run curnlp score first. Its columns are {columns}")
        if date_column is not None and date_column not in columns:
            raise CorpusError(f"date column {date_column!r} not in {os.fspath(scored)}; its columns are {columns}")
        index = {c: columns.index(c) for c in (*needed, "agency")
                 if c in columns}
        digest = Digest(source=os.fspath(scored))
        by_day: Counter = Counter()  # (day, group) -> rows; bucketed once the span is known
        fmt: str | None = None
        date_index: int | None = None
        first_chunk = True
        rows = table.rows()
        while True:
            chunk = [r for _, r in zip(range(chunk_size), rows)]
            if not chunk:
                break
            if first_chunk:
                first_chunk = False
                candidates = [date_column] if date_column else _date_candidates(columns)
                for name in candidates:
                    found, share = _best_format([r.values[columns.index(name)] for r in chunk])
                    if share >= 0.5 or date_column:
                        date_index, fmt, digest.date_column = columns.index(name), found, name
                        break
                if date_column and date_index is not None and fmt is None and _best_format(
                        [r.values[date_index] for r in chunk])[1] < 1.0:
                    log.warning("curnlp report: column %r has no recognizable dates", date_column)
            days = _parse_dates([r.values[date_index] for r in chunk], fmt) if date_index is not None else None
            for n, row in enumerate(chunk):
                v = row.values
                digest.rows += 1
                error = _label(v[index["error"]])
                if error is not None or row.error is not None:
                    digest.failed += 1
                    digest.errors[_error_kind(error or row.error or "")] += 1
                    continue
                digest.routed += 1
                group = _label(v[index["group"]]) or NO_LABEL
                topic = _label(v[index["topic"]]) or NO_LABEL
                place = _label(v[index["municipality"]]) or NO_PLACE
                digest.groups[group] += 1
                digest.topics[topic] += 1
                digest.topic_group.setdefault(topic, group)
                if "agency" in index:
                    digest.agencies[_label(v[index["agency"]]) or NO_LABEL] += 1
                digest.municipalities[place] += 1
                digest.group_municipality[(group, place)] += 1
                digest.municipality_topics[place][topic] += 1
                if v[index["needs_review"]] in _TRUE:
                    digest.needs_review += 1
                    digest.review_by_group[group] += 1
                    digest.review_by_municipality[place] += 1
                if days is not None:
                    day = days[n]
                    if day is None:
                        digest.undated += 1
                        continue
                    digest.first_date = min(day, digest.first_date or day)
                    digest.last_date = max(day, digest.last_date or day)
                    by_day[(day, group)] += 1
        if date_index is not None:
            if period == "auto":
                span = (digest.last_date - digest.first_date).days if digest.first_date else 0
                period = "week" if span <= 120 else "month"
            for (day, group), n in by_day.items():
                key = _period_key(day, period)
                digest.by_period[key] += n
                digest.group_by_period[(key, group)] += n
            digest.period = period
        return digest
    finally:
        table.close()


def _error_kind(message: str) -> str:
    """Group error messages by their kind (numbers and details dropped)."""
    kind = re.split(r"[:(]", message, maxsplit=1)[0].strip()
    return kind or "error"


# ---------------------------------------------------------------------------------------
# Charts and HTML
# ---------------------------------------------------------------------------------------

def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _barh(items: Sequence[tuple[str, int]], title: str) -> str:
    from matplotlib.figure import Figure
    fig = Figure(figsize=(9, 0.8 + 0.32 * max(1, len(items))))
    ax = fig.subplots()
    labels = [_short(str(k)) for k, _ in items][::-1]
    values = [v for _, v in items][::-1]
    ax.barh(range(len(values)), values, color="#3b6ea8")
    ax.set_yticks(range(len(values)), labels, fontsize=9)
    ax.set_title(title, fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:,}".replace(",", " "), va="center", fontsize=8)
    return _png(fig)


def _timeline(digest: Digest, groups: Sequence[str]) -> str:
    from matplotlib.figure import Figure
    keys = sorted(digest.by_period)
    fig = Figure(figsize=(9, 3.6))
    ax = fig.subplots()
    ax.plot(keys, [digest.by_period[k] for k in keys], marker="o", color="#222", label="всего")
    for g in groups:
        ax.plot(keys, [digest.group_by_period.get((k, g), 0) for k in keys], marker=".", alpha=0.8,
                label=_short(g, 30))
    ax.set_title(f"Обращения по {'неделям' if digest.period == 'week' else 'месяцам'}", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.autofmt_xdate()
    return _png(fig)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _n(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "—"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]], numeric_from: int = 1,
           numeric_to: int | None = None) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(f'<td class="num">{_e(c)}</td>' if numeric_from <= i < (numeric_to or len(row))
                        else f"<td>{_e(c)}</td>" for i, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _img(data: str, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #ddd;padding:.25em .6em;vertical-align:top}
th{background:#f3f5f8;text-align:left}td.num{text-align:right;white-space:nowrap}
.kpi{display:flex;gap:1.2em;flex-wrap:wrap}.kpi div{background:#f3f5f8;padding:.7em 1.1em;border-radius:6px}
.kpi b{display:block;font-size:1.5em}.note{color:#666;font-size:.85em}img{max-width:100%}
.wide{overflow-x:auto}
"""


def render_html(digest: Digest, *, title: str | None = None, top: int = 10) -> str:
    """The digest as one self-contained HTML page (charts inline, no scripts)."""
    title = title or "Сводка обращений граждан"
    d = digest
    parts = [f"<!DOCTYPE html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>{_e(title)}</title>"
             f"<style>{_CSS}</style></head><body>", f"<h1>{_e(title)}</h1>"]
    period = ""
    if d.first_date and d.last_date:
        period = f" за период {d.first_date:%d.%m.%Y} — {d.last_date:%d.%m.%Y}"
    parts.append(f'<p class="note">Источник: {_e(Path(d.source).name)}{_e(period)}. '
                 f"Сформировано {_dt.datetime.now():%d.%m.%Y %H:%M}.</p>")
    parts.append('<div class="kpi">'
                 f"<div><b>{_n(d.rows)}</b>обращений всего</div>"
                 f"<div><b>{_n(d.routed)}</b>распределено</div>"
                 f"<div><b>{_pct(d.needs_review, d.routed)}</b>требуют проверки ({_n(d.needs_review)})</div>"
                 f"<div><b>{_n(d.failed)}</b>не обработано</div></div>")
    if not d.routed:
        parts.append("<p>Нет распределённых обращений.</p>")
    else:
        groups = d.groups.most_common()
        parts.append("<h2>Группы тем</h2>")
        parts.append(_img(_barh(groups[:20], "Обращения по группам тем"), "Обращения по группам тем"))
        parts.append(_table(["Группа", "Обращений", "Доля", "Требуют проверки"],
                            [(g, _n(n), _pct(n, d.routed), _pct(d.review_by_group[g], n)) for g, n in groups]))
        topics = d.topics.most_common(top * 2)
        parts.append(f"<h2>Темы: первые {len(topics)}</h2>")
        parts.append(_img(_barh(topics[:top * 2], "Самые частые темы"), "Самые частые темы"))
        parts.append(_table(["Тема", "Группа", "Обращений", "Доля"],
                            [(t, d.topic_group.get(t, NO_LABEL), _n(n), _pct(n, d.routed)) for t, n in topics],
                            numeric_from=2))
        places = d.municipalities.most_common()
        parts.append("<h2>Муниципальные образования</h2>")
        parts.append(_img(_barh(places[:25], "Обращения по муниципальным образованиям"),
                          "Обращения по муниципальным образованиям"))
        parts.append(_table(["Муниципальное образование", "Обращений", "Доля", "Требуют проверки"],
                            [(m, _n(n), _pct(n, d.routed), _pct(d.review_by_municipality[m], n))
                             for m, n in places]))
        top_groups = [g for g, _ in groups[:top]]
        other = len(groups) > top
        header = ["Муниципальное образование", *top_groups, *(["прочие"] if other else []), "всего"]
        rows = []
        for m, total in places:
            counts = [d.group_municipality.get((g, m), 0) for g in top_groups]
            rest = [total - sum(counts)] if other else []
            rows.append((m, *(_n(c) if c else "" for c in counts), *(_n(r) for r in rest), _n(total)))
        parts.append("<h2>Группы тем × муниципальные образования</h2>")
        parts.append(f'<div class="wide">{_table(header, rows)}</div>')
        parts.append("<h2>Главные проблемы муниципальных образований</h2>")
        rows = []
        for m, total in places:
            best = d.municipality_topics[m].most_common(3)
            rows.append((m, _n(total), *("; ".join(f"{t} ({_n(n)})" for t, n in best),)))
        parts.append(_table(["Муниципальное образование", "Обращений", "Три самые частые темы"], rows,
                            numeric_from=1, numeric_to=2))
        if d.agencies:
            parts.append(f"<h2>Ответственные: первые {min(top * 2, len(d.agencies))}</h2>")
            parts.append(_table(["Ответственный", "Обращений", "Доля"],
                                [(a, _n(n), _pct(n, d.routed)) for a, n in d.agencies.most_common(top * 2)]))
        if d.by_period:
            unit = "неделя (с понедельника)" if d.period == "week" else "месяц"
            parts.append(f"<h2>Динамика по {'неделям' if d.period == 'week' else 'месяцам'}</h2>")
            parts.append(f'<p class="note">Дата: столбец «{_e(d.date_column)}»'
                         f"{f'; без даты: {_n(d.undated)}' if d.undated else ''}.</p>")
            parts.append(_img(_timeline(d, top_groups[:5]), "Динамика обращений"))
            keys = sorted(d.by_period)
            fmt = "%d.%m.%Y" if d.period == "week" else "%m.%Y"
            parts.append(f'<div class="wide">{_table([unit.capitalize(), "всего", *top_groups[:5]], [(k.strftime(fmt), _n(d.by_period[k]), *(_n(d.group_by_period.get((k, g), 0)) for g in top_groups[:5])) for k in keys])}</div>')
        elif d.date_column is None:
            parts.append('<p class="note">Столбец с датой не найден: динамика не построена '
                         "(укажите --date-column).</p>")
    if d.errors:
        parts.append("<h2>Не обработанные строки</h2>")
        parts.append(_table(["Причина", "Строк"], [(k, _n(n)) for k, n in d.errors.most_common()]))
    parts.append("<p class=\"note\">Доли тем и групп — от распределённых обращений. «Требуют проверки»: "
                 "уверенность модели в ответственном ниже порога.</p></body></html>")
    return "\n".join(parts)


def write_report(scored: str | os.PathLike[str], output: str | os.PathLike[str], *, date_column: str | None = None,
                 period: str = "auto", top: int = 10, title: str | None = None) -> Digest:
    """Summarize ``scored`` and write the HTML digest to ``output``; returns the :class:`Digest`."""
    digest = summarize(scored, date_column=date_column, period=period)
    page = render_html(digest, title=title, top=top)
    target = Path(output)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, target)
    return digest


def _cmd_report(args: argparse.Namespace) -> int:
    digest = write_report(args.scored, args.output, date_column=args.date_column, period=args.period,
                          top=args.top, title=args.title)
    if not args.quiet:
        print(f"curnlp report: {digest.rows:,} rows ({digest.routed:,} routed, {digest.failed:,} failed, "
              f"{digest.review_share:.1%} need review) -> {args.output}", file=sys.stderr)
    return 0


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand to ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser("report", help="HTML digest of a scored archive (groups, topics, municipalities, time)",
                              description="Summarise a file written by 'curnlp score' as one self-contained "
                                          "HTML page with tables and charts.")
    p.add_argument("scored", help="output of curnlp score (.csv, .jsonl, .parquet, .xlsx)")
    p.add_argument("-o", "--output", required=True, help="HTML file to write")
    p.add_argument("--date-column", help="column with the message date (default: detected)")
    p.add_argument("--period", choices=("auto", "week", "month"), default="auto",
                   help="time buckets (default: weeks up to 120 days, else months)")
    p.add_argument("--top", type=int, default=10, help="groups shown as columns, topics listed x2 (default 10)")
    p.add_argument("--title", help="page title")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary line")
    p.set_defaults(run=_cmd_report)
    return p
