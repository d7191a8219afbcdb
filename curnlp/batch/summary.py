"""What a scoring run says at the end: counts, review share by reason with what to do,
the regions the archive is about, and the exit status of ``curnlp score``."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Mapping, Sequence

from ..io import Row
from .values import OUTPUT_COLUMNS, Result

__all__ = ["Summary", "Counts", "EXIT_CODES", "exit_status", "REVIEW_ADVICE", "region_warning"]

_REVIEW = OUTPUT_COLUMNS.index("needs_review")
_REASONS = OUTPUT_COLUMNS.index("review_reasons")
_REGION = OUTPUT_COLUMNS.index("region")
_LABELS = tuple(OUTPUT_COLUMNS.index(c) for c in ("topic", "group", "agency"))

#: Exit status of ``curnlp score`` (and the other commands).
EXIT_CODES = {
    0: "done: every row written (rows that could not be routed carry an error)",
    1: "curnlp error: unreadable input, no such column, missing or broken model, a checkpoint that does not fit",
    2: "bad usage (unknown option, bad value)",
    3: "nothing routed: the input has rows but none of them could be routed or had Russian words (wrong --text-column?)",
    4: "more rows failed than --max-failed allows (the output is complete all the same)",
    130: "interrupted (Ctrl-C); the output is kept with its checkpoint for --resume",
}

#: What a person can do about each review reason (``Routing.review_reasons``).
REVIEW_ADVICE = {
    "low_confidence": "retrain on your region's archive with a time column (`curnlp train ... --time-column`)",
    "outside_region": "is this archive of another region? pick that region's pack / model",
    "no_words": "nothing to read in these cells: is --text-column the column with the messages?",
    "not_russian": "not Russian text: check --text-column and --encoding",
    "truncated": "longer than the model reads: only their start was routed",
    "no_prediction": "the model has no prediction for the deciding target: retrain with --agency-column",
}

#: Share of the placed rows (home region or another one) above which an archive is taken
#: for another region's; rows with no place at all say nothing either way (about half of
#: the home archive's messages name no place the pack knows).
OTHER_REGION_SHARE = 0.5


@dataclass(frozen=True)
class Summary:
    """Counts of a scoring run (the whole file, including rows done before a resume).

    ``failures`` holds up to ten examples ``"row N (id X): message"``. For CSV and JSONL
    inputs ``lines`` is the number of physical lines of the input, ``header_lines`` and
    ``blank_lines`` those that are no record: every line is the header, part of a row (a
    quoted cell may span lines) or blank. ``reasons`` counts the routed rows by review
    reason, ``regions`` by the region they are about (``Routing.region``; rows naming no
    place are not counted); ``home_region`` is the model's region.
    """

    input: str
    output: str
    rows_read: int
    routed: int
    needs_review: int
    failed: int
    elapsed_s: float
    resumed_rows: int = 0
    jobs: int = 1
    failures: tuple[str, ...] = ()
    lines: int | None = None
    header_lines: int = 0
    blank_lines: int = 0
    #: routed rows that got a label (not flagged ``no_words`` / ``not_russian`` without one)
    labelled: int | None = None
    reasons: Mapping[str, int] = field(default_factory=dict)
    regions: Mapping[str, int] = field(default_factory=dict)
    home_region: str | None = None

    @property
    def rows_per_s(self) -> float:
        """Rows scored per second in this run (resumed rows excluded)."""
        done = self.rows_read - self.resumed_rows
        return done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def to_dict(self) -> dict:
        """A JSON-serializable dict."""
        out = asdict(self)
        out["failures"] = list(self.failures)
        out["reasons"] = dict(self.reasons)
        out["regions"] = dict(self.regions)
        out["elapsed_s"] = round(self.elapsed_s, 3)
        out["rows_per_s"] = round(self.rows_per_s, 1)
        return out

    def advice(self) -> list[str]:
        """One line per review reason, most frequent first: its share of the routed rows and what to do."""
        if not self.routed:
            return []
        return [f"{reason} {n / self.routed:.0%}: {REVIEW_ADVICE.get(reason, 'see Routing.review_reasons')}"
                for reason, n in sorted(self.reasons.items(), key=lambda kv: -kv[1]) if n]

    def region_warning(self) -> str | None:
        """A warning when most rows that name a place are outside the model's region, or None."""
        return region_warning(self.regions, self.home_region, self.routed)

    def __str__(self) -> str:
        review = f" ({self.needs_review / self.routed:.1%})" if self.routed else ""
        resumed = f", {self.resumed_rows:,} of them from the earlier run" if self.resumed_rows else ""
        lines = ""
        if self.lines is not None:
            in_rows = self.lines - self.header_lines - self.blank_lines
            lines = (f"{self.lines:,} lines ({self.header_lines} header, {in_rows:,} in rows, "
                     f"{self.blank_lines:,} blank); ")
        return (f"{lines}{self.rows_read:,} rows read{resumed}: {self.routed:,} routed, {self.needs_review:,} flagged "
                f"for review{review}, {self.failed:,} failed; {self.elapsed_s:.1f} s "
                f"({self.rows_per_s:,.0f} rows/s, {self.jobs} job{'s' if self.jobs != 1 else ''})")


def region_warning(regions: Mapping[str, int], home: str | None, routed: int) -> str | None:
    """The warning of :meth:`Summary.region_warning` from counts of rows by region."""
    home_rows = regions.get(home, 0) if home else 0
    others = Counter({name: n for name, n in regions.items() if name != home})
    elsewhere = sum(others.values())
    placed = home_rows + elsewhere
    if not elsewhere or elsewhere <= OTHER_REGION_SHARE * placed:
        return None
    named = ", ".join(f"{name} {n:,}" for name, n in others.most_common(5))
    unplaced = routed - placed
    return (f"{elsewhere:,} of the {placed:,} rows that name a place are outside the model's region "
            f"({home or 'none'}: {home_rows:,}; {unplaced:,} rows name no place): {named}. Is this archive of "
            "another region? pick that region's pack / model")


class Counts:
    """Running counts of a scoring run, saved in and restored from the checkpoint."""

    def __init__(self, saved: dict | None = None) -> None:
        saved = saved or {}
        self.rows = int(saved.get("rows", 0))
        self.routed = int(saved.get("routed", 0))
        self.review = int(saved.get("needs_review", 0))
        self.failed = int(saved.get("failed", 0))
        self.labelled = int(saved.get("labelled", 0))
        self.failures: list[str] = list(saved.get("failures", []))
        self.reasons: Counter = Counter(saved.get("reasons", {}))
        self.regions: Counter = Counter(saved.get("regions", {}))

    def add(self, rows: Sequence[Row], results: Sequence[Result], id_index: int | None) -> None:
        for row, result in zip(rows, results):
            self.rows += 1
            if result[-1] is not None:
                self.failed += 1
                if len(self.failures) < 10:
                    ident = f" (id {row.values[id_index]})" if id_index is not None else ""
                    self.failures.append(f"row {self.rows}{ident}: {result[-1]}")
            else:
                self.routed += 1
                self.review += bool(result[_REVIEW])
                self.labelled += any(result[k] is not None for k in _LABELS)
                if result[_REASONS]:
                    self.reasons.update(result[_REASONS].split(";"))
                if result[_REGION]:
                    self.regions[result[_REGION]] += 1

    def to_dict(self) -> dict:
        return {"rows": self.rows, "routed": self.routed, "needs_review": self.review, "failed": self.failed,
                "labelled": self.labelled, "failures": self.failures, "reasons": dict(self.reasons),
                "regions": dict(self.regions)}


def exit_status(summary: Summary, max_failed: tuple[int | None, float | None] | None = None) -> tuple[int, str | None]:
    """The exit code of ``curnlp score`` for ``summary`` (see :data:`EXIT_CODES`) and its message."""
    if summary.rows_read and not summary.routed:
        reasons = ", ".join(f"{m!r} ×{n}" for m, n in _common_errors(summary.failures))
        return 3, (f"no row could be routed: all {summary.rows_read:,} rows failed ({reasons}). "
                   "Is --text-column the column with the messages?")
    if summary.rows_read and summary.labelled == 0:
        return 3, (f"no row could be routed: none of the {summary.rows_read:,} rows has Russian words "
                   "(each is flagged no_words or not_russian). Is --text-column the column with the messages?")
    if max_failed is not None:
        rows, share = max_failed
        allowed = rows if rows is not None else share * summary.rows_read
        if summary.failed > allowed:
            limit = f"{rows:,} rows" if rows is not None else f"{share:.1%} of {summary.rows_read:,} rows"
            return 4, (f"{summary.failed:,} rows failed ({summary.failed / summary.rows_read:.1%}), more than "
                       f"--max-failed {limit}; {summary.output} is complete with an error per failed row")
    return 0, None


def _common_errors(failures: Sequence[str]) -> list[tuple[str, int]]:
    messages = Counter(re.sub(r"^row \d+( \(id [^)]*\))?: ", "", f) for f in failures)
    return messages.most_common(2)
