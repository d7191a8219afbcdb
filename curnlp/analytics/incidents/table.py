"""The incident table: one row per incident (size, first and last time, place, topic, the member
closest to the centroid as its representative message, the places its messages mention)."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._data import clean_label, is_true, place_mentions
from . import vectors as _vectors
from .vectors import TextStore, batches

__all__ = ["incident_table", "STREET_SHARE"]

#: an incident's street is the one its messages name most, and only when at least half of them
#: name it: twenty messages about a town with one naming «улица Ленина» are about the town
STREET_SHARE = 0.5


def _take(values: pd.Series, rows: np.ndarray) -> list:
    """``values`` at positions ``rows`` (an Arrow column is not joined into one copy first, as
    ``Series.take`` does with a column read in chunks)."""
    if hasattr(values.array, "__arrow_array__"):
        import pyarrow as pa
        rows = np.asarray(rows, dtype=np.int64)
        order = np.argsort(rows, kind="stable")  # Arrow takes sorted positions without a copy of the column
        column = values.array.__arrow_array__()
        out: list = [None] * len(rows)
        for a in range(0, len(rows), 1000):  # a few at a time: Arrow's buffers stay small
            part = order[a:a + 1000]
            for k, v in zip(part.tolist(), column.take(pa.array(rows[part])).to_pylist()):
                out[k] = v
        return out
    return list(values.iloc[rows].to_numpy())


def _modes(m: pd.DataFrame, column: str, share: float = 0.0) -> pd.Series:
    """Most frequent non-empty ``column`` code (0: empty) per incident ``no`` (vectorized; ties:
    first seen); with ``share``, only where that code is on at least this share of the members."""
    pairs = m[["no", column]]
    pairs = pairs[pairs[column] != 0]
    counts = pairs.groupby(["no", column], sort=False).size().rename("c").reset_index()
    counts = counts.sort_values(["no", "c"], ascending=[True, False], kind="stable").drop_duplicates("no")
    if share:
        size = m.groupby("no").size()
        counts = counts[counts["c"].to_numpy() >= share * size.reindex(counts["no"]).to_numpy()]
    return counts.set_index("no")[column]


def incident_table(rows: pd.DataFrame, inc_no: np.ndarray, inc_size: np.ndarray, store: TextStore, times: pd.Series,
           topics: np.ndarray, topic_labels: np.ndarray, groups: np.ndarray, group_labels: np.ndarray,
           muni: np.ndarray, muni_labels: np.ndarray, streets: np.ndarray, street_labels: np.ndarray,
           texts: pd.Series, min_size: int, batch_rows: int | None = None) -> pd.DataFrame:
    columns = ["incident", "size", "first", "last", "municipality", "street", "topic", "group", "group_name",
               "needs_review", "representative", "places"]
    members = np.flatnonzero((inc_no > 0) & (inc_size >= max(1, min_size)))
    if not len(members):
        return pd.DataFrame(columns=columns)
    # representative: the member closest to its incident's centroid; incidents in batches of about
    # batch_rows members (their vectors made together and dropped)
    closeness = np.zeros(len(members))
    by_no = np.argsort(inc_no[members], kind="stable")
    nos, starts, counts = np.unique(inc_no[members][by_no], return_index=True, return_counts=True)
    for part in batches(counts, batch_rows or _vectors.BATCH):
        pos = np.sort(by_no[starts[part.start]:starts[part.stop - 1] + counts[part.stop - 1]])
        rows_b = members[pos]
        X = store.vectors(rows_b)
        _, inv = np.unique(inc_no[rows_b], return_inverse=True)
        A = sp.csr_matrix((np.ones(len(rows_b), dtype=np.float32), (inv, np.arange(len(rows_b)))),
                          shape=(inv.max() + 1, len(rows_b)))
        C = A @ X
        for a in range(0, len(rows_b), 2000):  # each member times its centroid: a copy per member, so few at a time
            closeness[pos[a:a + 2000]] = np.asarray(X[a:a + 2000].multiply(C[inv[a:a + 2000]]).sum(axis=1)).ravel()
        del X, C, A
    review = is_true(rows["needs_review"]).to_numpy() if "needs_review" in rows.columns else np.zeros(len(rows), bool)
    m = pd.DataFrame({"no": inc_no[members], "t": times.to_numpy()[members], "municipality": muni[members],
                      "street": streets[members], "topic": topics[members], "group": groups[members],
                      "review": review[members], "close": closeness, "row": members})
    best = m.loc[m.groupby("no")["close"].idxmax(), ["no", "row"]].set_index("no")["row"]
    g = m.groupby("no")
    table = pd.DataFrame({
        "size": g.size(), "first": g["t"].min(), "last": g["t"].max(),
        "municipality": _modes(m, "municipality"), "street": _modes(m, "street", STREET_SHARE),
        "topic": _modes(m, "topic"), "group": _modes(m, "group"), "needs_review": g["review"].mean().round(3),
    })
    for c, labels in (("municipality", muni_labels), ("street", street_labels), ("topic", topic_labels),
                      ("group", group_labels)):
        codes = table[c].to_numpy()
        table[c] = pd.Series([labels[int(k)] if k == k else None for k in codes], index=table.index, dtype=object)
    best_rows = best.reindex(table.index).to_numpy()
    table["representative"] = [" ".join(str(t).split())[:500].strip() for t in _take(texts, best_rows)]
    if "locations" in rows.columns:
        places = {}
        largest = set(g.size().sort_values(ascending=False).index[:2000])  # the rest: not printed anywhere
        for no, grp in m[m["no"].isin(largest)].groupby("no")["row"]:
            c = Counter(p for cell in _take(rows["locations"], grp.to_numpy()[:200])
                        for p in place_mentions(cell))
            places[no] = "; ".join(p for p, _ in c.most_common(3))
        table["places"] = pd.Series(places)
    else:
        table["places"] = ""
    if "group_name" in rows.columns:
        raw, uniques = pd.factorize(rows["group_name"])  # cleaned by distinct value, as in _codes
        cleaned = clean_label(pd.Series(np.asarray(uniques, dtype=object), dtype="string")).to_numpy(dtype=object)
        name = raw[members]
        gn = pd.DataFrame({"g": groups[members], "n": name})
        gn = gn[(name >= 0)]
        gn = gn[pd.notna(cleaned[gn["n"].to_numpy()])].drop_duplicates("g")
        gn["n"] = cleaned[gn["n"].to_numpy()]
        names = dict(zip(group_labels[gn["g"].to_numpy()], gn["n"]))
        table["group_name"] = table["group"].map(lambda x: names.get(x))
    else:
        table["group_name"] = None
    width = max(6, len(str(int(inc_no.max()))))
    table["incident"] = [f"INC-{k:0{width}d}" for k in table.index]
    table = table.sort_values(["size", "first"], ascending=[False, True]).reset_index(drop=True)
    for c in ("municipality", "street", "topic", "group"):
        table[c] = table[c].replace("", None)
    return table[columns]

