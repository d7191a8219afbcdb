"""Проблемные точки: places (house, street, settlement — within their municipality) that messages
complain about again and again.

Each message counts once per place it names: a street («улица Ленина»), the house on it
(«улица Ленина, дом 5», the house paired with the nearest street mention) and a rural settlement
(«село Клюква»); cities and districts are too large to be a «point». On a scored archive the
``locations`` column (``curnlp score``) is read; on a raw one the place stage runs here
(:func:`curnlp.places.extract_locations`, :func:`curnlp.places.locate` for the municipality).
Street names are compared folded: case, ё, initials («проспект А. Дериглазова») and the type word's
place («Ленина ул» = «ул. Ленина» = «улице Ленина») do not split a street.
"""
from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from typing import Any, Mapping

import pandas as pd

from ..errors import CorpusError, InvalidInput
from . import _html as H
from ._data import (TEXT_HINTS, clean_label, location_items, load_region_or_none, parse_times, text_column, time_column,
                    with_municipality_column)
from ._frames import column, read_table, ru_date, ru_number

__all__ = ["find_points", "street_key", "render_points_section", "points_page", "COLUMNS"]

COLUMNS = ["place", "municipality", "kind", "messages", "first", "last", "top_topic", "topic_messages"]
#: scored columns that name a topic, best first; then raw columns named like a topic
_TOPIC_COLUMNS = ("group_name", "topic", "group")
_TOPIC_HINTS = ("тематик", "тема", "topic", "категор", "category")
#: type word written after the name («Ленина ул», «Победы пр-т. 12») — the place stage reads only the other order
_POSTFIX = re.compile(r"(?<![\w-])((?:[А-ЯЁ][а-яё-]+\s+){0,2}[А-ЯЁа-яё][а-яё-]+)\s+(ул|улица|пр-т|просп|проспект|"
                      r"пер|переулок|б-р|бульвар)\b\.?(?:\s*,?\s*(?:д\.?|дом)?\s*(\d{1,4}[а-яА-Я]?)\b)?")
_POSTFIX_TYPE = {"ул": "улица", "улица": "улица", "пр-т": "проспект", "просп": "проспект", "проспект": "проспект",
                 "пер": "переулок", "переулок": "переулок", "б-р": "бульвар", "бульвар": "бульвар"}
_NOT_NAMES = {"на", "по", "в", "во", "у", "около", "возле", "и", "с", "от", "до", "к", "за", "нашей", "моей", "этой"}


def street_key(normal: str) -> str:
    """Grouping key of a street's normal form: lower case, ё→е, initials and «имени» dropped."""
    s = normal.lower().replace("ё", "е")
    s = re.sub(r"\b(?:им\.|имени)\s*", "", s)
    s = re.sub(r"(?<![\w])[а-я]\.\s*", "", s)  # «а. дериглазова» → «дериглазова»
    return " ".join(s.replace(".", " ").split())


def _postfix_streets(text: str) -> list[dict]:
    """Streets written «Name ул» with an optional house number right after."""
    out = []
    for m in _POSTFIX.finditer(text):
        words = [w for w in m.group(1).split() if w.lower() not in _NOT_NAMES]
        if not words:
            continue
        name = " ".join(w[:1].upper() + w[1:] for w in words)
        out.append({"kind": "street", "normal": f"{_POSTFIX_TYPE[m.group(2).lower()]} {name}"})
        if m.group(3):
            out.append({"kind": "house", "normal": f"дом {m.group(3).upper()}"})
    return out


def _readable(text: str) -> str:
    """A message written in capitals, lower-cased: the place stage reads «УЛ. ЛЕНИНА НЕТ СВЕТА» as
    a street named «ЛЕНИНА НЕТ» (every word looks like a name); lower case after a type word is
    read as a name only up to the first common word."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 8 and sum(c.isupper() for c in letters) >= 0.7 * len(letters):
        return text.lower()
    return text


def _places(locs: list[Mapping]) -> list[tuple[str, str, str]]:
    """``(kind, grouping key, display name)`` of one message's points (each once)."""
    out: dict[tuple[str, str], str] = {}
    streets = [i for i, loc in enumerate(locs) if loc.get("kind") == "street" and loc.get("normal")]
    for i, loc in enumerate(locs):
        kind, normal = loc.get("kind"), str(loc.get("normal") or "")
        if not normal:
            continue
        if kind == "street":
            out.setdefault(("street", street_key(normal)), normal)
        elif kind == "settlement":
            out.setdefault(("settlement", street_key(normal)), normal)
        elif kind == "house" and streets:
            j = min(streets, key=lambda s: (abs(s - i), s > i))
            street = str(locs[j]["normal"])
            out.setdefault(("house", street_key(street) + "|" + normal.lower()), f"{street}, {normal}")
    return [(kind, key, name) for (kind, key), name in out.items()]


def _topic_column(df: pd.DataFrame, name: str | None) -> str | None:
    if name:
        return name if name in df.columns else None
    for c in _TOPIC_COLUMNS:
        if c in df.columns:
            return c
    for c in df.columns:
        if any(h in str(c).lower() for h in _TOPIC_HINTS) and not any(h in str(c).lower() for h in TEXT_HINTS):
            return c
    return None


def find_points(data: pd.DataFrame | str | os.PathLike[str], *, text: str | None = None, time: str | None = None,
                days: int | None = None, region: Any = None, topic: str | None = None, min_messages: int = 2,
                top: int | None = None, municipality_column: str | None = None) -> pd.DataFrame:
    """Places with repeated complaints, most messages first.

    Parameters
    ----------
    data : a raw archive (the place stage runs here) or a scored one (its ``locations`` column).
    text, time : the text and time columns (time optional; guessed from the column names).
    days : only the last ``days`` days before the latest message (needs a time column).
    region : region pack for the place stage (default Kursk).
    topic : the column whose most frequent value is ``top_topic`` (default: the scored group,
        else a column named like «Тематика»).
    min_messages : places with fewer messages are left out.
    municipality_column : a column (municipality, address or agency) whose cleaned value is the
        municipality of the rows the model (or the place stage) gave none.

    Returns a DataFrame with :data:`COLUMNS` (``first``/``last`` empty without a time column);
    ``attrs`` hold ``rows``, ``rows_with_place`` and ``time_column``.
    """
    if days is not None and int(days) < 1:
        raise InvalidInput(f"--days must be positive, not {days!r}")
    df, source = read_table(data)
    df = with_municipality_column(df, municipality_column, source).reset_index(drop=True)
    tcol = column(df, time, "time", "--time-column", source) if time else time_column(df)
    times = parse_times(df[tcol]) if tcol else pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    keep = pd.Series(True, index=df.index)
    if days is not None:
        if tcol is None:
            raise InvalidInput(f"{source}: --days needs a time column (--time-column)")
        keep = times >= times.max() - pd.Timedelta(days=int(days))
    tcol_topic = _topic_column(df, topic)
    topics = clean_label(df[tcol_topic]) if tcol_topic else pd.Series(pd.NA, index=df.index, dtype="string")
    scored = "locations" in df.columns
    munis = (clean_label(df["municipality"]).str.rstrip("?") if "municipality" in df.columns
             else pd.Series(pd.NA, index=df.index, dtype="string"))
    rows = [i for i in df.index if keep[i]]
    if scored:
        locs = {i: location_items(df.at[i, "locations"]) for i in rows}
        texts = df[text_column(df, text)] if (text or not scored) else None
    else:
        tcolumn = text_column(df, text)
        texts = df[tcolumn].fillna("").astype(str)
        from ..places import load_region, locate
        reg = load_region_or_none(region) or load_region("kursk")
        locs = {}
        for i in rows:
            place = locate(_readable(texts[i]), reg)
            locs[i] = [loc.to_dict() for loc in place.locations]
            if place.municipality is not None:
                munis[i] = place.municipality.name
    with_place = 0
    counts: dict[tuple, list[int]] = defaultdict(list)
    names: dict[tuple, Counter] = defaultdict(Counter)
    for i in rows:
        found = locs[i]
        if texts is not None and not any(loc.get("kind") == "street" for loc in found):
            found = found + _postfix_streets(str(texts[i]))
        places = _places(found)
        with_place += bool(places)
        muni = munis[i] if not pd.isna(munis[i]) else ""
        for kind, key, name in places:
            counts[(muni, kind, key)].append(i)
            names[(muni, kind, key)][name] += 1
    _adopt_orphans(counts, names)
    out = []
    for key, idx in counts.items():
        if len(idx) < min_messages:
            continue
        muni, kind, _ = key
        t = times[idx].dropna()
        tp = topics[idx].dropna().value_counts()
        out.append((names[key].most_common(1)[0][0], muni, kind, len(idx), t.min() if len(t) else pd.NaT,
                    t.max() if len(t) else pd.NaT, tp.index[0] if len(tp) else "", int(tp.iloc[0]) if len(tp) else 0))
    frame = pd.DataFrame(out, columns=COLUMNS)
    rank = {"street": 0, "settlement": 1, "house": 2}
    frame = frame.assign(_r=frame["kind"].map(rank)).sort_values(["messages", "_r", "place"],
                                                                  ascending=[False, True, True], kind="stable")
    frame = frame.drop(columns="_r").reset_index(drop=True)
    if top:
        frame = frame.head(int(top))
    if not len(df):
        raise CorpusError(f"{source}: the archive has no rows")
    frame.attrs.update(rows=len(rows), rows_with_place=with_place, time_column=tcol, topic_column=tcol_topic,
                       source=source)
    return frame


def _adopt_orphans(counts: dict[tuple, list[int]], names: dict[tuple, Counter]) -> None:
    """A place of a message with no municipality («Дружбы пр-т 12») joins the same place of the
    one municipality that has it; with several candidates it stays apart (no guessing)."""
    homes: dict[tuple, list[str]] = defaultdict(list)
    for muni, kind, key in counts:
        if muni:
            homes[(kind, key)].append(muni)
    for muni, kind, key in [k for k in counts if not k[0]]:
        if len(homes.get((kind, key), ())) == 1:
            target = (homes[(kind, key)][0], kind, key)
            counts[target] = sorted(counts[target] + counts.pop(("", kind, key)))
            names[target].update(names.pop(("", kind, key)))


_KIND_RU = {"street": "улица", "house": "дом", "settlement": "населённый пункт"}


def render_points_section(points: pd.DataFrame, *, top: int = 30) -> str:
    """The most complained-about places as one HTML ``<section>`` (Russian)."""
    a = points.attrs
    parts = ['<section class="points"><h2>Проблемные точки</h2>']
    if "rows" in a:
        parts.append(f'<p class="note">Места с повторными обращениями: {H.n(len(points))}. Место названо в '
                     f"{H.n(a.get('rows_with_place', 0))} из {H.plural(a['rows'], 'обращения', 'обращений', 'обращений')}; обращение считается один раз "
                     "для улицы, для дома на ней и для населённого пункта.</p>")
    if not len(points):
        parts.append("<p>Мест, о которых писали больше одного раза, не найдено.</p></section>")
        return "\n".join(parts)
    dated = points["first"].notna().any()
    years = {t.year for t in pd.concat([points["first"], points["last"]]).dropna()}
    with_year = len(years) > 1 or not dated
    rows = []
    for r in points.head(top).itertuples():
        row = [r.place, r.municipality or "—", _KIND_RU.get(r.kind, r.kind), H.n(r.messages)]
        if dated:
            row += [ru_date(r.first, with_year) if not pd.isna(r.first) else "—",
                    ru_date(r.last, with_year) if not pd.isna(r.last) else "—"]
        share = f" ({ru_number(100 * r.topic_messages / r.messages)}%)" if r.top_topic else ""
        row.append(f"{r.top_topic}{share}" if r.top_topic else "—")
        rows.append(row)
    header = ["Место", "Муниципальное образование", "Тип", "Обращений"] + (["Первое", "Последнее"] if dated else []) \
        + ["Главная тема"]
    parts.append(H.table(header, rows, numeric_from=3, numeric_to=4))
    parts.append("</section>")
    return "\n".join(parts)


def points_page(points: pd.DataFrame, title: str = "Проблемные точки") -> str:
    """A whole HTML page with :func:`render_points_section`."""
    return H.page(title, [render_points_section(points)])
