"""Encoding and delimiter detection: the one detector used by training and scoring."""
from __future__ import annotations

import codecs
import csv
import io
import itertools

from ..errors import CorpusError

__all__ = ["detect_encoding", "sniff_delimiter", "decode", "DELIMITERS", "HEAD_BYTES"]

#: Delimiters tried by :func:`sniff_delimiter`, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")
#: Bytes looked at to detect the encoding and the delimiter.
HEAD_BYTES = 1 << 16


def detect_encoding(head: bytes, complete: bool = True) -> str:
    """The encoding of a text file from its first bytes ``head``.

    A BOM decides (``utf-8-sig``, ``utf-16``); otherwise UTF-8 when the bytes decode as
    UTF-8 (fewer than 1% of the non-ASCII characters broken: a few broken bytes in a UTF-8
    export stay row errors), else one of the two single-byte Cyrillic encodings: cp1251
    (Windows exports) or KOI8-R (old Unix and mail systems). They put lower- and upper-case
    letters in swapped halves of 0xC0-0xFF, and Russian text is mostly lower case, so the half
    that holds most of the letters tells them apart. ``complete`` says ``head`` is the whole
    file (a multi-byte character cut at its end is then an error).

    >>> text = "Текст обращения; яма на дороге"
    >>> detect_encoding(text.encode("koi8-r")), detect_encoding(text.encode("cp1251"))
    ('koi8-r', 'cp1251')
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoded = codecs.getincrementaldecoder("utf-8")("replace").decode(head, final=complete)
    bad = decoded.count("\ufffd")
    non_ascii = sum(1 for ch in decoded if ord(ch) > 127)
    if bad == 0 or (non_ascii and bad / non_ascii < 0.01):
        return "utf-8"
    low_half = sum(1 for b in head if 0xC0 <= b <= 0xDF)  # KOI8-R lower case, cp1251 upper case
    high_half = sum(1 for b in head if b >= 0xE0)          # KOI8-R upper case, cp1251 lower case
    return "koi8-r" if low_half > 2 * high_half else "cp1251"


def decode(raw: bytes, source: str) -> str:
    """A whole file's bytes as text, with the encoding of :func:`detect_encoding`.

    Raises
    ------
    CorpusError
        When the bytes are not text in the detected encoding.
    """
    encoding = detect_encoding(raw[:HEAD_BYTES * 4], complete=len(raw) <= HEAD_BYTES * 4)
    try:
        # a few broken bytes in UTF-8 text become U+FFFD, as in scoring
        return raw.decode(encoding, "replace" if encoding == "utf-8" else "strict")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{source}: not {encoding} text ({exc.reason} at byte {exc.start}); "
                          "save it as UTF-8") from exc


def sniff_delimiter(sample: str) -> str:
    """The delimiter (``,`` ``;`` tab ``|``) that splits the header and the first records of a
    CSV sample most consistently; a comma when none splits the header."""
    best, best_score = ",", (-1.0, 0)
    complete = sample.rsplit("\n", 1)[0] if "\n" in sample else sample
    for delimiter in DELIMITERS:
        try:
            records = list(itertools.islice(csv.reader(io.StringIO(complete), delimiter=delimiter), 50))
        except csv.Error:
            continue
        records = [r for r in records if r]
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        same = sum(1 for r in records[1:] if len(r) == width) / max(1, len(records) - 1)
        score = (same, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best
