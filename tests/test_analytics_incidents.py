"""curnlp.analytics.incidents: an injected outage over real (or realistic) background messages."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from curnlp.analytics import Incidents, find_incidents
from curnlp.errors import CorpusError

from analytics_archive import scored_archive


def outage_incidents(result: Incidents) -> tuple[pd.Series, int]:
    """Incident sizes of the outage rows, and the unrelated rows inside the (at most 3) incidents holding them."""
    rows = result.rows
    outage = rows["outage"].astype(bool)
    counts = rows.loc[outage, "incident"].value_counts()
    unrelated = int((rows["incident"].isin(counts.index[:3]) & ~outage).sum())
    return counts, unrelated


@pytest.mark.parametrize("town", ["Фатеж", "Курск"])
def test_outage_lands_in_at_most_three_incidents(town):
    scored = scored_archive(town).copy()
    assert (scored.loc[scored["outage"], "municipality"] == town).mean() >= 0.8  # the router places the town
    result = find_incidents(scored)
    counts, unrelated = outage_incidents(result)
    assert counts.sum() == 25
    # messages naming different streets are never one incident: the six outage messages naming
    # a street (Ленина, Мира, Советская, Садовая, Луначарского, Володарского) cannot all join the
    # town-wide one; the messages naming none stay together in at most three
    rows = result.rows
    outage = rows["outage"].astype(bool)
    named = rows["Текст"].str.contains(r"ул\.|улиц", case=False, regex=True)
    assert rows.loc[outage & ~named, "incident"].nunique() <= 3, counts.to_dict()
    assert len(counts) <= 3 + 6, counts.to_dict()
    main = rows[rows["incident"] == counts.index[0]]
    assert main["Текст"].str.contains(r"ул\.|улиц", case=False, regex=True).sum() <= 1
    assert unrelated <= 5
    biggest = result.table.iloc[0]
    assert biggest["size"] >= 17 and biggest["municipality"] == town
    assert "вод" in biggest["representative"].lower()
    # the background is not glued into giant chains either
    assert result.table["size"].iloc[1] < 25


def test_rows_ids_and_table_are_consistent():
    scored = scored_archive("Фатеж").copy()
    result = find_incidents(scored, time_column_name="Дата обращения", text_column_name="Текст", window="24h")
    rows, table = result.rows, result.table
    assert len(rows) == len(scored) and list(rows["id"]) == list(scored["id"])
    assert rows["incident"].notna().all()
    sizes = rows.groupby("incident").size()
    assert (rows["incident_size"].astype(int).to_numpy() == sizes.reindex(rows["incident"]).to_numpy()).all()
    assert (table["size"] >= 2).all() and table["size"].is_monotonic_decreasing
    for rec in table.head(20).itertuples(index=False):
        members = rows[rows["incident"] == rec.incident]
        assert len(members) == rec.size
        times = pd.to_datetime(members["Дата обращения"], format="%d.%m.%Y %H:%M")
        assert times.min() == rec.first and times.max() == rec.last
        assert (rec.last - rec.first) <= pd.Timedelta("48h")  # max span = 2 x window
        assert rec.representative in [" ".join(t.split())[:500].strip() for t in members["Текст"]]
    json.dumps(result.to_dict(), ensure_ascii=False)
    top = result.top(3)
    assert top[0].size == table["size"].iloc[0] and top[0].to_dict()["id"] == table["incident"].iloc[0]
    with pytest.raises(Exception):
        top[0].size = 1  # frozen


def _frame(rows):
    cols = ["id", "created", "text", "topic", "group", "needs_review", "municipality", "locations", "error"]
    return pd.DataFrame(rows, columns=cols)


def test_place_and_time_separate_identical_complaints():
    text = "Третий день нет воды, когда дадут воду?"
    rows = [
        [1, "2026-11-01 10:00", text, "Водоснабжение", "3", False, "Фатеж", "[]", None],
        [2, "2026-11-01 12:00", "нет воды третий день!!! когда дадут", "Водоснабжение", "3", False, "Фатеж", "[]", None],
        [3, "2026-11-01 11:00", text, "Водоснабжение", "3", False, "Льгов", "[]", None],       # other town
        [4, "2026-11-20 10:00", text, "Водоснабжение", "3", False, "Фатеж", "[]", None],      # weeks later
        [5, "2026-11-01 10:30", "Яма на дороге у школы, машины бьют колёса", "Ямы", "0", True, "Фатеж", "[]", None],
        [6, "", text, "Водоснабжение", "3", False, "Фатеж", "[]", None],                      # no time
        [7, "2026-11-01 10:40", None, None, None, None, None, None, "empty message"],          # failed row
    ]
    result = find_incidents(_frame(rows), window="2d")
    inc = result.rows.set_index("id")["incident"]
    assert inc[1] == inc[2]
    assert inc[3] != inc[1] and inc[4] != inc[1] and inc[5] != inc[1]
    assert pd.isna(inc[6]) and pd.isna(inc[7])
    assert len(result.table) == 1 and result.table["size"].iloc[0] == 2
    assert result.table["municipality"].iloc[0] == "Фатеж"


def test_town_names_are_masked_so_a_shared_town_does_not_link_unrelated_messages():
    loc = lambda s, e: json.dumps([{"kind": "city", "text": "Фатеже", "normal": "город Фатеж", "start": s, "end": e}],
                                  ensure_ascii=False)
    rows = [
        [1, "2026-11-01 10:00", "В Фатеже яма", "Ямы", "0", False, "Фатеж", loc(2, 8), None],
        [2, "2026-11-01 11:00", "В Фатеже нет газа", "Газ", "3", False, "Фатеж", loc(2, 8), None],
        [3, "2026-11-01 12:00", "В Фатеже собаки", "Животные", "1", False, "Фатеж", loc(2, 8), None],
    ]
    result = find_incidents(_frame(rows))
    assert result.rows["incident"].nunique() == 3


def test_errors_are_typed():
    frame = _frame([[1, "2026-11-01", "нет воды", "t", "3", False, "Фатеж", "[]", None]])
    with pytest.raises(CorpusError, match="time column"):
        find_incidents(frame.drop(columns=["created"]))
    with pytest.raises(CorpusError, match="not a scored archive"):
        find_incidents(pd.DataFrame({"text": ["яма"], "created": ["2026-11-01"]}))
    with pytest.raises(CorpusError, match="time window"):
        find_incidents(frame, window="soon")
    with pytest.raises(CorpusError, match="'нет'"):
        find_incidents(frame, time_column_name="нет")


def test_cli_writes_rows_and_table(tmp_path):
    scored = scored_archive("Фатеж").copy()
    scored.loc[0, "Текст"] = "=HYPERLINK(\"http://x\") нет воды"
    src = tmp_path / "scored.csv"
    scored.to_csv(src, index=False)
    out = tmp_path / "rows.xlsx"
    done = subprocess.run([sys.executable, "-m", "curnlp", "incidents", str(src), "-o", str(out),
                           "--time-column", "Дата обращения", "--window", "2d"], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    assert b"incidents of >= 2 messages" in done.stderr
    table = pd.read_excel(tmp_path / "rows.incidents.xlsx")
    assert table["size"].iloc[0] >= 20 and table["municipality"].iloc[0] == "Фатеж"
    from openpyxl import load_workbook
    sheet = load_workbook(out).active
    cells = [c for c in sheet.iter_rows(min_row=2, max_row=3) for c in c]
    assert all(c.data_type != "f" for c in cells)
    assert any(isinstance(c.value, str) and c.value.startswith("=HYPERLINK") for c in cells)
    rows = pd.read_excel(out, dtype=str)
    assert len(rows) == len(scored) and "incident" in rows.columns
    bad = subprocess.run([sys.executable, "-m", "curnlp", "incidents", str(src), "-o", str(tmp_path / "x.csv"),
                          "--time-column", "нет"], capture_output=True)
    assert bad.returncode == 1 and b"time column" in bad.stderr


# --- bounded memory: vectors per block, batches; the same incidents as one global matrix ---------

_MESSY = [
    "<p>НЕТ ВОДЫ на ул. Ленина!!! третий день</p>", "нет вады на улице ленина, когда дадут?",
    "Яма на дороге по ул. Советской, машины ломают колёса", "[club1|Администрация] ямы на Советской улице",
    "не вывозят мусор с площадки https://vk.com/wall-1_2 уже неделю", "мусор не вывозят!!! Ёлки, неделя",
    "Фонари не горят на ул. Мира, темно вечером", "", "12345 ... !!!", "Отопление: батареи ХОЛОДНЫЕ, ёж твою",
]


def test_block_vectors_equal_the_rows_of_the_single_matrix():
    from curnlp.analytics.incidents import vectors as inc
    rng = np.random.default_rng(1)
    texts = _MESSY + [_MESSY[k] + (" " + _MESSY[m].lower() if m % 3 else "")
                      for k, m in rng.integers(0, len(_MESSY), (300, 2))]
    full = inc.text_vectors(texts)  # one matrix of all rows (small input)
    store = inc.TextStore()
    for start in range(0, len(texts), 37):  # added in chunks, as find_incidents reads
        store.add(texts[start:start + 37])
    store.finish()
    rows = np.sort(rng.choice(len(texts), 60, replace=False))
    part = store.vectors(rows)
    # bit for bit the same dot products as the rows of the single matrix (idf of the whole archive)
    assert np.array_equal((part @ part.T).toarray(), (full[rows] @ full[rows].T).toarray())
    no_letters = [i for i, t in enumerate(texts) if t in ("", "12345 ... !!!")]
    assert no_letters and not store.nonempty()[no_letters].any()
    assert np.array_equal(store.nonempty(), np.diff(full.indptr) > 0)
    # the rows alone (their own document frequencies) would give other similarities
    alone = inc.text_vectors([texts[i] for i in rows])
    assert not np.allclose((alone @ alone.T).toarray(), (part @ part.T).toarray())
    # a typo and a lemma form still make neighbours: «нет вады» with «НЕТ ВОДЫ»
    water = store.vectors(np.array([0, 1, 2]))
    sims = (water @ water.T).toarray()
    assert sims[0, 1] > 0.2 and sims[0, 1] > sims[0, 2]


def test_batch_sizes_do_not_change_the_incidents(monkeypatch):
    from curnlp.analytics.incidents import vectors
    scored = scored_archive("Курск").copy()
    before = find_incidents(scored)
    # tiny reading chunks, vector chunks and incident batches: every batching path runs many times
    monkeypatch.setattr(vectors, "CHUNK", 97)
    monkeypatch.setattr(vectors, "BATCH", 40)
    monkeypatch.setattr(vectors, "VECTOR_ROWS", 13)
    after = find_incidents(scored)
    assert list(after.rows["incident"]) == list(before.rows["incident"])
    pd.testing.assert_frame_equal(after.table, before.table)
    assert after.stats["links"] == before.stats["links"] and after.stats["attached"] == before.stats["attached"]
    assert before.stats["attached"] > 0 and before.stats["pruned"] > 0  # the batched passes had work to do


def test_the_callers_frame_is_left_unchanged():
    scored = scored_archive("Фатеж").copy()
    snapshot = scored.copy()
    result = find_incidents(scored)
    assert "incident" not in scored.columns and "incident" in result.rows.columns
    pd.testing.assert_frame_equal(scored, snapshot)


def test_links_chosen_as_pairs_stream_in_are_those_of_all_pairs_at_once():
    from curnlp.analytics.incidents.links import LinkStream
    rng = np.random.default_rng(3)
    n = 400
    bucket = np.sort(rng.integers(0, 12, n))
    rng.shuffle(bucket)  # row order is not time order
    muni = rng.integers(0, 3, n)  # 0: no municipality
    by_bucket = {b: np.flatnonzero(bucket == b) for b in range(12)}
    arrivals = []  # (bucket, i, j, s) as _link_block makes them: i in bucket b, j in b - 1 or b, i > j
    for b in range(12):
        cand = np.concatenate([by_bucket.get(b - 1, np.zeros(0, int)), by_bucket[b]])
        i, j = np.meshgrid(by_bucket[b], cand, indexing="ij")
        i, j = i.ravel(), j.ravel()
        keep = (i > j) & (rng.random(len(i)) < 0.3)
        s = np.round(rng.uniform(0.15, 0.6, keep.sum()), 2)  # rounded: many ties
        arrivals.append((b, i[keep], j[keep], s))
    once = LinkStream(muni, 0.35, 3, 0.5)
    stream = LinkStream(muni, 0.35, 3, 0.5)
    completed = -1
    for b, i, j, s in arrivals:
        done = (bucket < b - 1) & (bucket > completed)
        if done.any():
            stream.complete(done)
            completed = b - 2
        stream.add(i, j, s)
        once.add(i, j, s)
        assert sum(len(p[0]) for p in stream.pool) < sum(len(a[1]) for a in arrivals)  # never all held
    stream.complete(bucket > completed)
    once.complete(np.ones(n, dtype=bool))
    for a, b in zip(stream.links(), once.links()):
        assert np.array_equal(a, b)
    i, j, s = once.links()
    assert 0 < len(s) < sum(len(a[1]) for a in arrivals)
    assert ((muni[i] != 0) | (s >= 0.5)).all()
