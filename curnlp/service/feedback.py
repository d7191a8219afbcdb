"""Operators' final labels: an embedded SQLite store, its CSV export and :func:`read_feedback`.

The store is one SQLite file in WAL mode with ``synchronous=FULL``: a row is on disk when
``POST /feedback`` answers, so killing the server (even ``kill -9``) loses nothing that
was acknowledged. Several worker processes may write to it at once (SQLite locks the file).

The export's columns make a labelled archive for ``curnlp train`` / ``update``:
``text, topic, group, agency, time, model, received_at, message_id``.
"""
from __future__ import annotations

import csv
import io
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

#: the columns of the export and of :func:`read_feedback`, in order
COLUMNS = ("text", "topic", "group", "agency", "time", "model", "received_at", "message_id")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    text TEXT,
    topic TEXT,
    "group" TEXT,
    agency TEXT,
    time TEXT,
    model TEXT,
    received_at TEXT NOT NULL,
    message_id TEXT
)
"""


def _connect(path: str | Path) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), timeout=30, check_same_thread=False, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA busy_timeout=30000")
    return con


class FeedbackStore:
    """Append-only store of final labels in one SQLite file (created when missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = _connect(self.path)
        self._con.execute(_SCHEMA)
        self._lock = threading.Lock()

    def add(self, *, text: str | None, labels: Mapping[str, str | None], model: str | None,
            time: str | None = None, message_id: str | None = None) -> dict[str, Any]:
        """Store one row (committed and synced before returning); returns it with its number."""
        row = {"text": text, "topic": labels.get("topic"), "group": labels.get("group"),
               "agency": labels.get("agency"), "time": time, "model": model,
               "received_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "message_id": message_id}
        with self._lock:
            cur = self._con.execute(
                'INSERT INTO feedback (text, topic, "group", agency, time, model, received_at, message_id) '
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [row[c] for c in COLUMNS])
        return {"row": cur.lastrowid, **row}

    def count(self) -> int:
        with self._lock:
            return int(self._con.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])

    def csv_chunks(self, batch: int = 500) -> Iterator[str]:
        """The whole store as CSV text, header first, in chunks (for a streamed response).

        Reads with its own connection: a long export does not hold up new feedback."""
        con = _connect(self.path)
        try:
            buf = io.StringIO()
            writer = csv.writer(buf)
            writer.writerow(COLUMNS)
            cur = con.execute('SELECT text, topic, "group", agency, time, model, received_at, message_id '
                              "FROM feedback ORDER BY rowid")
            while True:
                rows = cur.fetchmany(batch)
                writer.writerows(rows)
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
                if not rows:
                    break
        finally:
            con.close()

    def close(self) -> None:
        with self._lock:
            self._con.close()


def read_feedback(path: str | Path):
    """The feedback store at ``path`` as a pandas DataFrame with :data:`COLUMNS`
    (an empty frame with those columns when the store has no rows).

    Raises FileNotFoundError when there is no store at ``path`` (a misspelt path should
    not read as "no feedback yet").
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no feedback store at {path}")
    con = sqlite3.connect(str(path), timeout=30)  # reads see every committed row, WAL included
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        if "feedback" not in names:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
        frame = pd.read_sql_query('SELECT text, topic, "group", agency, time, model, received_at, message_id '
                                  "FROM feedback ORDER BY rowid", con)
    finally:
        con.close()
    return frame[list(COLUMNS)]
