"""What the table commands (calendar, points, control) share: one-line usage errors, positive
numbers, and writing a DataFrame as CSV or a Russian HTML page."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

OUTPUT_SUFFIXES = (".csv", ".html", ".htm")


def add_municipality_column(p) -> None:
    """``--municipality-column``: the archive's own column stands in for the model's municipality."""
    p.add_argument("--municipality-column", help="column of the archive (municipality, address or agency) whose value "
                   "is the municipality of rows the model gave none (a model trained without a region pack)")


def usage_error(command: str, message: str) -> int:
    """Print ``curnlp COMMAND: error: MESSAGE`` on one line; exit code 2."""
    print(f"curnlp {command}: error: {message}", file=sys.stderr)
    return 2


def positive(value: Any, option: str, integer: bool = True) -> float | int:
    """``value`` as a positive number, or ValueError naming ``option``."""
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{option} must be a positive {'integer' if integer else 'number'}, not {value!r}") from None
    if number <= 0:
        raise ValueError(f"{option} must be positive, not {value!r}")
    return number


def check_output(path: str | None) -> None:
    """ValueError unless ``path`` is None or ends with .csv / .html."""
    if path is not None and Path(path).suffix.lower() not in OUTPUT_SUFFIXES:
        raise ValueError(f"-o must end with .csv or .html, not {path!r}")


def write_table(frame, path: str | None, html: Callable[[], str]) -> None:
    """``frame`` as CSV (stdout when ``path`` is None) or the page ``html()`` for .html paths."""
    if path is not None and Path(path).suffix.lower() in (".html", ".htm"):
        Path(path).write_text(html(), encoding="utf-8")
        return
    out = frame.copy()
    for c in out.columns:
        if str(out[c].dtype).startswith("datetime64"):
            out[c] = out[c].dt.strftime("%Y-%m-%d %H:%M").str.replace(" 00:00", "", regex=False)
    if path is None:
        out.to_csv(sys.stdout, index=False)
    else:
        out.to_csv(path, index=False, encoding="utf-8")
