"""A text rewritten in passes that still knows where each character came from.

Cleaning a message (:mod:`curnlp.normalize`) rewrites it several times; entities and
places found in the clean text must still point into the message as written. Each pass
applies non-overlapping edits at once and records them as one *layer*; an offset is
mapped back through the layers only when asked (few spans per message are), so a pass
costs one join and no per-character bookkeeping.

A replacement is a sequence of pieces: a ``str`` (new characters, each standing for the
whole replaced span) or a ``(start, stop)`` range of the current text kept with its own
offsets.

>>> t = EditedText("Яма&nbsp;на  дороге")
>>> t.apply([(3, 9, (" ",)), (11, 13, (" ",))])
>>> t.text
'Яма на дороге'
>>> t.source(0, 3), t.source(3, 4), t.source(7, 13)
((0, 3), (3, 9), (13, 19))
"""
from __future__ import annotations

from bisect import bisect_right
from typing import Iterable, Sequence

__all__ = ["Piece", "Edit", "Layer", "EditedText", "source_of"]

Piece = str | tuple[int, int]
Edit = tuple[int, int, Sequence[Piece]]  # (start, stop, replacement pieces) in current text
# a layer: (new-text start of every edit, per edit (new-text end, old start, old stop, kept ranges))
Layer = tuple[list[int], list[tuple[int, int, int, tuple[tuple[int, int, int], ...]]]]


class EditedText:
    """The current ``text`` and the ``layers`` of edits that led to it from the original."""

    __slots__ = ("text", "layers")

    def __init__(self, text: str) -> None:
        self.text = text
        self.layers: list[Layer] = []

    def apply(self, edits: Iterable[Edit]) -> None:
        """Apply non-overlapping edits given left to right (no edit: no layer)."""
        text = self.text
        out: list[str] = []
        starts: list[int] = []
        records = []
        pos = new = 0
        for a, b, pieces in edits:
            out.append(text[pos:a])
            new += a - pos
            starts.append(new)
            kept = []
            for piece in pieces:
                if isinstance(piece, str):
                    out.append(piece)
                    new += len(piece)
                else:
                    s, e = piece
                    out.append(text[s:e])
                    kept.append((new, s, e))
                    new += e - s
            records.append((new, a, b, tuple(kept)))
            pos = b
        if not records:
            return
        out.append(text[pos:])
        self.text = "".join(out)
        self.layers.append((starts, records))

    def source(self, start: int, stop: int) -> tuple[int, int]:
        """Original span of the current-text span [start, stop) (non-empty)."""
        depth = len(self.layers)
        return source_of(self.layers, depth, start)[0], source_of(self.layers, depth, stop - 1)[1]


def source_of(layers: Sequence[Layer], depth: int, i: int) -> tuple[int, int]:
    """Original (start, stop) of character ``i`` of the text after ``depth`` layers."""
    while depth > 0:
        starts, records = layers[depth - 1]
        j = bisect_right(starts, i) - 1
        if j >= 0:
            end, a, b, kept = records[j]
            if i >= end:
                i = b + (i - end)
            else:
                for at, s, e in kept:
                    if at <= i < at + (e - s):
                        i = s + (i - at)
                        break
                else:  # a new character: it stands for the whole match
                    return source_of(layers, depth - 1, a)[0], source_of(layers, depth - 1, b - 1)[1]
        depth -= 1
    return i, i + 1
