"""Shared HTML and chart helpers of the analytics pages (report, brief).

Charts are static PNGs drawn with matplotlib's Agg canvas (``matplotlib.figure.Figure``, no
pyplot state, thread-safe) and embedded as base64: pages need no network and no JavaScript.
Every value from the data goes through :func:`e` (HTML escaping).
"""
from __future__ import annotations

import base64
import html
import io
import os
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Sequence

__all__ = ["e", "n", "pct", "plural", "plain", "short", "table", "img", "png", "barh", "daily", "CSS", "page",
           "write_page", "daily_figure", "spans_years", "day", "moment", "date_format"]

#: Screen and print styles; ``@page`` sets A4 for the printable brief.
CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;margin:2em auto;max-width:1100px;
color:#222;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #ddd;padding:.25em .6em;vertical-align:top}
th{background:#f3f5f8;text-align:left}td.num{text-align:right;white-space:nowrap}
tr.child td:first-child{padding-left:1.8em;color:#444}
.kpi{display:flex;gap:1.2em;flex-wrap:wrap}.kpi div{background:#f3f5f8;padding:.7em 1.1em;border-radius:6px}
.kpi b{display:block;font-size:1.5em}.note{color:#666;font-size:.85em}img{max-width:100%}
.wide{overflow-x:auto}.alert{background:#fdecea;border-left:4px solid #c0392b;padding:.5em 1em;margin:.6em 0}
.msg{font-style:italic;color:#333}
@media print{body{max-width:none;margin:0;padding:0}.wide{overflow:visible}
table{table-layout:auto;width:100%;font-size:7.5pt;break-inside:auto}th,td{padding:.1em .25em;overflow-wrap:break-word;hyphens:auto}
thead{display:table-header-group}tr{break-inside:avoid}h2{break-after:avoid}img{max-width:100%;break-inside:avoid}}
"""

#: Extra styles of the one-page A4 brief (screen: a sheet; print: exact A4 margins).
BRIEF_CSS = """
body{max-width:190mm;margin:0 auto;font-size:10pt}
h1{font-size:15pt;margin:.2em 0}h2{font-size:11.5pt;margin:.7em 0 .25em}
table{font-size:8.5pt;margin:.25em 0;width:100%}th,td{padding:.15em .4em}
.kpi{gap:.6em;flex-wrap:nowrap}.kpi div{padding:.3em .6em;font-size:8.5pt}.kpi b{font-size:13pt}
.alert{padding:.3em .8em;font-size:9pt}ul{margin:.2em 0;padding-left:1.4em}li{margin:.1em 0;font-size:9pt}
.cols{display:flex;gap:1em}.cols>div{flex:1;min-width:0}img{max-height:48mm;display:block;margin:0 auto}
@page{size:A4;margin:12mm}
@media print{body{margin:0;max-width:none;font-size:9.5pt}a{color:inherit;text-decoration:none}h2{break-after:avoid}
table,img,.kpi{break-inside:avoid}}
"""


def e(value: Any) -> str:
    """HTML-escape ``value`` (quotes too)."""
    return html.escape(str(value), quote=True)


def n(value: int | float, digits: int = 0) -> str:
    """A number in Russian style: narrow no-break space between thousands, decimal comma
    (``12 345``, ``3,5``); ``digits`` decimals (0: a whole number)."""
    if not digits:
        return f"{int(round(value)):,}".replace(",", "\u202f")
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def plural(count: int, one: str, few: str, many: str, number: bool = True) -> str:
    """``count`` with the Russian noun form it takes: ``plural(1, "всплеск", "всплеска", "всплесков")``
    → «1 всплеск», 2 → «2 всплеска», 5, 11, 12 → «… всплесков», 21 → «21 всплеск»
    (``number=False``: the word alone)."""
    k = abs(int(count))
    word = one if k % 10 == 1 and k % 100 != 11 else few if 2 <= k % 10 <= 4 and not 12 <= k % 100 <= 14 else many
    return f"{n(count)} {word}" if number else word


def spans_years(first: Any, last: Any) -> bool:
    """True when dates from ``first`` to ``last`` must carry the year: they lie in different
    years or are more than 300 days apart (a day and month alone would be ambiguous)."""
    import pandas as pd
    if first is None or last is None or pd.isna(first) or pd.isna(last):
        return False
    a, b = pd.Timestamp(first), pd.Timestamp(last)
    return a.year != b.year or abs((b - a).days) > 300


def day(t: Any, with_year: bool) -> str:
    """``17.10`` or ``17.10.2018``."""
    return format(t, "%d.%m.%Y" if with_year else "%d.%m")


def moment(t: Any, with_year: bool) -> str:
    """``17.10 18:25`` or ``17.10.2018 18:25``."""
    return format(t, "%d.%m.%Y %H:%M" if with_year else "%d.%m %H:%M")


def date_format(first: Any, last: Any) -> str:
    """The tick format of a time axis from ``first`` to ``last``: day and month for a short span,
    with the year when the span crosses a year, month and year beyond two years."""
    import pandas as pd
    if not spans_years(first, last):
        return "%d.%m"
    return "%m.%Y" if (pd.Timestamp(last) - pd.Timestamp(first)).days > 730 else "%d.%m.%Y"


def pct(part: float, whole: float) -> str:
    """``part / whole`` as a percentage, ``—`` for an empty whole."""
    return f"{part / whole:.1%}".replace(".", ",") if whole else "—"


_TAG = __import__("re").compile(r"<[^>]{0,300}>")


def plain(text: Any) -> str:
    """A message as a reader sees it: markup tags dropped, entities unescaped, spaces collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", str(text))).replace("\xa0", " ").split())


def short(text: str, size: int = 60) -> str:
    """``text`` (markup dropped) cut to ``size`` characters with an ellipsis."""
    text = plain(text)
    return text if len(text) <= size else text[: size - 1] + "…"


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], numeric_from: int = 1,
          numeric_to: int | None = None, row_classes: Sequence[str] | None = None) -> str:
    """An HTML table; cells from ``numeric_from`` to ``numeric_to`` are right-aligned."""
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = []
    for k, row in enumerate(rows):
        cells = "".join(f'<td class="num">{e(c)}</td>' if numeric_from <= i < (numeric_to or len(row))
                        else f"<td>{e(c)}</td>" for i, c in enumerate(row))
        cls = f' class="{e(row_classes[k])}"' if row_classes and row_classes[k] else ""
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def png(fig: Any) -> str:
    """A matplotlib figure as base64 PNG."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def img(data: str, alt: str) -> str:
    """An inline ``<img>`` of base64 PNG ``data``."""
    return f'<img alt="{e(alt)}" src="data:image/png;base64,{data}">'


def barh(items: Sequence[tuple[str, int]], title: str, width: float = 9, color: str = "#3b6ea8") -> str:
    """A horizontal bar chart of ``(label, count)`` pairs, largest on top (base64 PNG)."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, 0.8 + 0.32 * max(1, len(items))))
    ax = fig.subplots()
    labels = [short(str(k)) for k, _ in items][::-1]
    values = [v for _, v in items][::-1]
    ax.barh(range(len(values)), values, color=color)
    ax.set_yticks(range(len(values)), labels, fontsize=9)
    ax.set_title(title, fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    for i, v in enumerate(values):
        ax.text(v, i, f" {n(v)}", va="center", fontsize=8)
    return png(fig)


def daily(by_day: Counter, title: str, series: dict[str, Counter] | None = None, size=(9, 3.2),
          highlight_from: Any = None, highlight_to: Any = None, until: Any = None) -> str:
    """Messages per day as bars (and ``series`` as lines), the latest window shaded from
    ``highlight_from`` to ``highlight_to`` (default: the last day), the axis running to ``until``
    (default: the last day with messages; a municipality's chart runs to the archive's end so
    that the window is where it is). Ticks carry the year when the days span years (base64 PNG)."""
    return png(daily_figure(by_day, title, series, size, highlight_from, highlight_to, until))


def daily_figure(by_day: Counter, title: str, series: dict[str, Counter] | None = None, size=(9, 3.2),
                 highlight_from: Any = None, highlight_to: Any = None, until: Any = None) -> Any:
    """The matplotlib figure of :func:`daily`."""
    import pandas as pd
    from matplotlib.figure import Figure
    first, last = min(by_day), max(by_day)
    if until is not None:
        last = max(last, pd.Timestamp(until).date())
    if highlight_to is not None:
        last = max(last, (pd.Timestamp(highlight_to) - pd.Timedelta(microseconds=1)).date())
    days = pd.date_range(first, last, freq="D").date
    fig = Figure(figsize=size)
    ax = fig.subplots()
    ax.bar(days, [by_day.get(x, 0) for x in days], color="#9bb5d6", label="всего за день", width=0.9)
    for name, counter in (series or {}).items():
        ax.plot(days, [counter.get(x, 0) for x in days], lw=1.2, label=short(name, 34))
    if highlight_from is not None:
        end = pd.Timestamp(highlight_to) if highlight_to is not None else pd.Timestamp(last) + pd.Timedelta(days=1)
        start = pd.Timestamp(highlight_from)
        if end > start:  # a band never runs backwards (it would shade the days before the window)
            ax.axvspan(start, end, color="#c0392b", alpha=0.12, label="последнее окно")
    from matplotlib.dates import AutoDateLocator, DateFormatter
    ax.xaxis.set_major_locator(AutoDateLocator(maxticks=12))
    ax.xaxis.set_major_formatter(DateFormatter(date_format(first, last)))
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.autofmt_xdate()
    return fig


def page(title: str, body: Sequence[str], extra_css: str = "") -> str:
    """A complete self-contained HTML page in Russian."""
    return (f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{e(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<style>{CSS}{extra_css}</style></head><body>\n" + "\n".join(body) + "\n</body></html>")


def write_page(page: str, output: str | os.PathLike[str]) -> None:
    """Write an HTML page through a temporary file (a browser never opens half a page)."""
    target = Path(output)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, target)
