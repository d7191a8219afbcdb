"""The public API of the incident finder: :func:`find_incidents` and its result types, and the
files it writes (the method: :mod:`curnlp.analytics.incidents`)."""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...errors import CorpusError
from ...io import plain_value, write_frame
from .._data import clean_label, parse_times, parse_window, read_timed, text_column, with_municipality_column
from . import vectors as _vectors
from .links import attach, link_block
from .table import incident_table
from .vectors import TextStore, mask_and_streets

__all__ = ["Incident", "Incidents", "find_incidents", "write_incidents", "write_table", "table_path"]

log = logging.getLogger("curnlp")


@dataclass(frozen=True)
class Incident:
    """One incident (a row of the incident table)."""

    id: str
    size: int
    first: str
    last: str
    municipality: str | None
    street: str | None
    topic: str | None
    group: str | None
    group_name: str | None
    needs_review: float
    representative: str
    places: str | None = None

    def to_dict(self) -> dict:
        """A JSON-serializable dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Incidents:
    """The result of :func:`find_incidents`.

    ``rows``: every input row (same order) plus ``incident`` and ``incident_size``;
    ``table``: one row per incident of at least ``min_size`` messages, largest first.
    """

    rows: pd.DataFrame = field(repr=False)
    table: pd.DataFrame = field(repr=False)
    params: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)

    def top(self, k: int = 10) -> tuple[Incident, ...]:
        """The ``k`` largest incidents as dataclasses."""
        return tuple(Incident(**{f: _plain(r["incident" if f == "id" else f]) for f in Incident.__dataclass_fields__})
                     for r in self.table.head(k).to_dict("records"))

    def to_dict(self) -> dict:
        """JSON-serializable summary: parameters, counts and the incident table."""
        return {"params": self.params, "stats": self.stats,
                "incidents": [{k: _plain(v) for k, v in r.items()} for r in self.table.to_dict("records")]}


_plain = plain_value


def _codes(values: pd.Series, strip: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of the labels ``clean_label(values)`` (right-stripped of ``strip``), 0 for
    missing or empty, and the labels by code. Only the distinct values are cleaned (a column
    of a million rows is not copied)."""
    raw, uniques = pd.factorize(values)  # missing: -1
    labels = clean_label(pd.Series(np.asarray(uniques, dtype=object), dtype="string"))
    if strip:
        labels = labels.str.rstrip(strip)
    codes, names = pd.factorize(labels.fillna("").to_numpy(dtype=object))
    names = np.asarray(names, dtype=object)
    empty = np.flatnonzero(names == "")
    final = np.r_[codes + 1, 0].astype(np.int32)  # the last: missing
    if len(empty):
        final[final == empty[0] + 1] = 0
    return final[raw], np.r_[np.array([""], dtype=object), names]



def find_incidents(data: pd.DataFrame | str | os.PathLike[str], *, text_column_name: str | None = None,
                   time_column_name: str | None = None, window: str | pd.Timedelta | float = "48h",
                   threshold: float = 0.15, strong: float = 0.35, neighbours: int = 10,
                   unknown_threshold: float = 0.5, attach_threshold: float = 0.2, attach_unplaced_threshold: float = 0.3,
                   attach_min_size: int = 5, prune_threshold: float = 0.2,
                   max_span: str | pd.Timedelta | float | None = None,
                   min_size: int = 2, block_cap: int = 1000, street_bonus: float = 0.1,
                   group_penalty: float = 0.05, max_chars: int = 400, municipality_column: str | None = None,
                   author: str | None = None) -> Incidents:
    """Group the rows of a scored archive into incidents (see the module docstring for the method).

    Parameters
    ----------
    data : DataFrame or path
        A scored archive (output of ``curnlp score``): the message text, a time column and the
        routing columns ``topic``, ``group``, ``municipality`` (``locations`` used when present).
    text_column_name, time_column_name : str, optional
        Columns with the text and the time (default: detected by name and content).
    window : "48h", "2d", Timedelta or hours
        Two messages are linked only when at most this far apart.
    threshold : float
        Minimum link score (see the module docstring), for mutual nearest neighbours.
    strong : float
        A pair scoring this much is linked even when not mutual nearest neighbours.
    neighbours : int
        How many best partners of a row count as its nearest neighbours.
    unknown_threshold : float
        Rows with no municipality link only this strongly (near-duplicates).
    attach_threshold, attach_min_size : float, int
        Second pass: a lone message (or a pair's member) joins an incident of at least
        ``attach_min_size`` messages of its municipality within the window when its cosine with
        the incident's centroid reaches ``attach_threshold`` (1 turns the pass off).
    prune_threshold : float
        After linking, a member of an incident of 3+ whose cosine with the incident's centroid is
        below this leaves it (cuts chains); the members left out are linked among themselves.
    attach_unplaced_threshold : float
        The same for a message that names no town (no municipality, or one inferred from a street
        name alone): it joins the most similar large incident within the window at this cosine.
    max_span : optional
        Longest duration of one incident (default: 2 × window).
    min_size : int
        Smallest incident listed in the table (every row still gets an id).
    municipality_column : str, optional
        A column (municipality, address or agency) whose cleaned value is the municipality of the
        rows the model gave none.
    author : str, optional
        The column of the message's author: one author's messages are in one incident only when
        they name the same street: a batch one person sends about many places is not one incident.

    Raises
    ------
    CorpusError
        Not a scored archive, no time column, or bad parameters.
    """
    t0 = time.perf_counter()
    df, source, tcol = read_timed(data, time_column_name)
    df = with_municipality_column(df, municipality_column, source)
    xcol = text_column(df, text_column_name)
    if author is not None and author not in df.columns:
        raise CorpusError(f"{source}: author column {author!r} (--author-column) not found; its columns are "
                          f"{list(df.columns)}")
    window_td = parse_window(window)
    span_td = parse_window(max_span) if max_span is not None else 2 * window_td
    if not 0 < threshold <= 1:
        raise CorpusError(f"threshold must be in (0, 1], not {threshold}")
    window_h, span_h = window_td / pd.Timedelta(hours=1), span_td / pd.Timedelta(hours=1)

    n = len(df)
    times = parse_times(df[tcol])
    valid = times.notna().to_numpy().copy()
    if "error" in df.columns:
        valid &= clean_label(df["error"]).isna().to_numpy()
    # one pass over the texts, a chunk at a time: masked words into the store, first street, weak place
    store = TextStore()
    street_key: dict[str, int] = {"": 0}
    street_name: dict[str, int] = {"": 0}
    streets = np.zeros(n, dtype=np.int32)
    street_names = np.zeros(n, dtype=np.int32)
    weak = np.zeros(n, dtype=bool)
    house_key: dict[str, int] = {"": 0}
    houses = np.zeros(n, dtype=np.int32)  # street and house together: two houses of one street differ
    for start in range(0, n, _vectors.CHUNK):
        stop = min(n, start + _vectors.CHUNK)
        locs = df["locations"].iloc[start:stop].to_numpy() if "locations" in df.columns else None
        texts, streets_list, weak_list, houses_list = mask_and_streets(df[xcol].iloc[start:stop].to_numpy(), locs,
                                                                       max_chars)
        store.add(texts)
        del texts, locs
        weak[start:stop] = weak_list
        for k, s in enumerate(streets_list, start):
            if s is not None:
                streets[k] = street_key.setdefault(s.lower().replace("ё", "е"), len(street_key))
                street_names[k] = street_name.setdefault(s, len(street_name))
                if houses_list[k - start]:
                    houses[k] = house_key.setdefault(f"{s}|{houses_list[k - start]}".lower().replace("ё", "е"),
                                                     len(house_key))
    street_labels = np.array(list(street_name), dtype=object)
    muni, muni_labels = _codes(df["municipality"], strip="?")
    none = (np.zeros(n, dtype=np.int32), np.array([""], dtype=object))
    groups, group_labels = _codes(df["group"]) if "group" in df.columns else none
    topic_codes, topic_labels = _codes(df["topic"]) if "topic" in df.columns else none
    authors = _codes(df[author])[0] if author is not None else None
    t_read = time.perf_counter()

    store.finish()
    valid &= store.nonempty()  # a message with no letters links to nothing
    t_vec = time.perf_counter()

    hours = np.zeros(n)
    hours[valid] = (times[valid] - times[valid].min()).dt.total_seconds().to_numpy() / 3600.0
    idx = np.flatnonzero(valid)
    bucket = np.floor(hours[idx] / window_h).astype(np.int64)
    # a block with a bucket over block_cap rows (a big city at scale) is split by topic group, then
    # by topic; whole blocks are split so that buckets still line up in time
    key = muni[idx].astype(np.int64)
    split_blocks = 0
    for extra in (groups[idx], topic_codes[idx]):
        frame = pd.DataFrame({"k": key, "b": bucket})
        sizes = frame.groupby(["k", "b"])["k"].transform("size").to_numpy()
        crowded = np.unique(key[sizes > block_cap])
        if not len(crowded):
            break
        split_blocks += len(crowded)
        key = np.where(np.isin(key, crowded), key * (int(extra.max()) + 2) + extra + 1, key * (int(extra.max()) + 2))
        key = pd.factorize(key)[0].astype(np.int64)
    roots = np.arange(n, dtype=np.int64)
    compared = links = pruned = 0
    order = np.argsort(key, kind="stable")
    for block in np.split(order, np.flatnonzero(np.diff(key[order])) + 1):
        rows = idx[block]  # ascending: local order is global order
        c, l, p = link_block(store, rows, bucket[block], roots, hours[rows], window_h, span_h, threshold,
                              strong, neighbours, unknown_threshold, prune_threshold, streets[rows], groups[rows],
                              muni[rows], street_bonus, group_penalty,
                              authors[rows] if authors is not None else None, houses[rows])
        compared, links, pruned = compared + c, links + l, pruned + p
    t_pairs = time.perf_counter()
    attached = attach(store, roots, valid, muni, weak, hours, window_h, span_h, attach_threshold,
                       attach_unplaced_threshold, attach_min_size, streets=streets, authors=authors, houses=houses)
    t_link = time.perf_counter()

    # number incidents: largest first, then earliest
    comp = pd.DataFrame({"root": roots[idx], "i": idx, "h": hours[idx]})
    agg = comp.groupby("root").agg(size=("i", "size"), first=("h", "min"))
    del comp
    agg = agg.sort_values(["size", "first"], ascending=[False, True])
    number = pd.Series(np.arange(1, len(agg) + 1), index=agg.index)
    inc_no = np.zeros(n, dtype=np.int64)
    inc_no[idx] = number.reindex(roots[idx]).to_numpy()
    inc_size = np.zeros(n, dtype=np.int64)
    inc_size[idx] = agg["size"].reindex(roots[idx]).to_numpy()
    width = max(6, len(str(len(agg))))
    ids = "INC-" + pd.Series(inc_no, index=df.index).astype("string").str.zfill(width)
    ids = ids.mask(inc_no == 0)

    rows = df.copy(deep=False)  # copy-on-write: the caller's frame is not changed, nor its texts copied
    rows["incident"] = ids
    rows["incident_size"] = pd.array(np.where(inc_no > 0, inc_size, 0), dtype="Int64").astype("Int64")
    rows.loc[inc_no == 0, "incident_size"] = pd.NA

    table = incident_table(rows, inc_no, inc_size, store, times, topic_codes, topic_labels, groups, group_labels, muni,
                   muni_labels, street_names, street_labels, df[xcol], min_size)
    t_end = time.perf_counter()
    stats = {"rows": n, "linked_rows": int(valid.sum()), "incidents": int(len(agg)),
             "incidents_min_size": int(len(table)), "rows_in_listed_incidents": int(table["size"].sum()) if len(table) else 0,
             "pairs_compared": int(compared), "links": int(links), "pruned": pruned, "attached": int(attached), "blocks_split_by_group": split_blocks,
             "seconds": {"read": round(t_read - t0, 2), "vectors": round(t_vec - t_read, 2),
                         "pairs": round(t_pairs - t_vec, 2), "link": round(t_link - t_pairs, 2),
                         "table": round(t_end - t_link, 2), "total": round(t_end - t0, 2)}}
    params = {"text_column": xcol, "time_column": tcol, "window": str(window_td), "max_span": str(span_td),
              "threshold": threshold, "strong": strong, "neighbours": neighbours,
              "unknown_threshold": unknown_threshold,
              "attach_threshold": attach_threshold, "prune_threshold": prune_threshold,
              "attach_unplaced_threshold": attach_unplaced_threshold, "attach_min_size": attach_min_size, "min_size": min_size, "block_cap": block_cap, "street_bonus": street_bonus,
              "group_penalty": group_penalty, "max_chars": max_chars,
              "municipality_column": municipality_column, "author": author}
    log.info("curnlp incidents: %s rows -> %s incidents (%s of >= %s) in %.1f s", n, len(agg), len(table),
             min_size, t_end - t0)
    return Incidents(rows=rows, table=table, params=params, stats=stats)


#: Writes the rows and the table (CSV, TSV, JSONL, Parquet, XLSX by suffix): :func:`curnlp.io.write_frame`.
write_table = write_frame


def table_path(output: str | os.PathLike[str]) -> Path:
    """Default incident-table path next to the rows output: ``out.csv`` → ``out.incidents.csv``."""
    p = Path(output)
    return p.with_name(f"{p.stem}.incidents{p.suffix or '.csv'}")


def write_incidents(data: pd.DataFrame | str | os.PathLike[str], output: str | os.PathLike[str],
                    table: str | os.PathLike[str] | None = None, **options: Any) -> Incidents:
    """Find incidents and write the rows (with ``incident``) to ``output`` and the table next to it."""
    result = find_incidents(data, **options)
    write_table(result.rows, output)
    write_table(result.table, table or table_path(output))
    return result

