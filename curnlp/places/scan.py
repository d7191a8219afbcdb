"""The state of one location scan and the helpers every recognizer shares.

:class:`TokenScan` holds one normalized message's tokens with per-token features computed
once (lowercase with ё folded, capital first letter), the found locations as token spans,
and the questions the recognizers ask about tokens: can this token be (part of) a name,
where does the name starting here end, does a gazetteer name start here. The recognizers
themselves are in :mod:`curnlp.places.houses` and :mod:`curnlp.places.recognizers`; the scan
that runs them is :mod:`curnlp.places.locations`.
"""
from __future__ import annotations

from operator import itemgetter

from ..normalize import Normalized, Token
from .lexicon import MARKERS, NOT_NAME, NUMBERED_UNITS, ORDINAL_ENDINGS, POST
from .names import adjective_genders, common_noun, lower_name_ok, lower_name_ok_strict
from .packs import Region

_FIRST = itemgetter(0)  # a token's text; a (never empty) text's first character


class TokenScan:
    """State of one scan (one message). Not shared between calls."""

    __slots__ = ("doc", "toks", "low", "cap", "n", "lower_doc", "region", "out", "pieces", "used")

    def __init__(self, doc: Normalized, region: Region) -> None:
        self.doc = doc
        self.toks: tuple[Token, ...] = doc.tokens
        # per-token features computed once: the recognizers ask for them many times per token
        # (with map() over str methods: no Python-level step per token where it can be helped)
        texts = list(map(_FIRST, self.toks))
        self.low = list(map(str.lower, texts))  # ё folded to е, below
        clean = doc.clean
        if "ё" in clean or "Ё" in clean:
            self.low = [w.replace("ё", "е") for w in self.low]
        self.cap = list(map(str.isupper, map(_FIRST, texts)))  # a capital first letter, or "1-я"
        if "-" in clean:
            for i, w in enumerate(texts):
                if "-" in w and w[0].isdigit():
                    self.cap[i] = True
        self.n = len(self.toks)
        head = clean[:5000]
        # str.islower(): no uppercase letter (in C); else look for an uppercase letter (usually the first one)
        self.lower_doc = head.islower() or not any(ch.isupper() and ch.isalpha() for ch in head)
        self.region = region
        self.out: list[tuple[int, int, str, str]] = []  # (first token, last token + 1, kind, normal)
        self.pieces: list[tuple[int, int, str, str]] = []  # places inside one token: (clean start, clean end, kind, normal)
        self.used = bytearray(self.n)

    # -- helpers -----------------------------------------------------------
    def is_cap(self, i: int) -> bool:
        """Token i starts with a capital letter, or is a hyphenated number ("1-я")."""
        return self.cap[i]

    def is_word(self, i: int) -> bool:
        return 0 <= i < self.n and self.toks[i].kind == "word"

    def adjacent(self, i: int, j: int) -> bool:
        return self.toks[i].stop == self.toks[j].start

    def emit(self, a: int, b: int, kind: str, normal: str) -> None:
        if a >= b or any(self.used[a:b]):
            return
        for k in range(a, b):
            self.used[k] = 1
        self.out.append((a, b, kind, normal))

    def skip_dot(self, i: int) -> int:
        return i + 1 if i < self.n and self.low[i] == "." else i

    def name_ok(self, i: int, strong: bool, first: bool, gender: str = "") -> bool:
        """Can token i be (part of) a place name after a type word?"""
        if i >= self.n:
            return False
        t, low = self.toks[i], self.low[i]
        if i + 1 < self.n and self.low[i + 1] in POST and t.kind == "word" and adjective_genders(t.text):
            return False  # "... Большесолдатского района": the adjective belongs to the district
        if t.kind == "number":
            if first and self.ordinal_suffix(i):
                return True
            return first and i + 1 < self.n and (self.low[i + 1] in ("лет", "летия") or self.is_word(i + 1) and self.is_cap(i + 1)
                                                  and not self.adjacent(i, i + 1))
        if t.kind != "word":
            return False
        if (len(low) == 1 and self.is_cap(i) and i + 2 < self.n and self.low[i + 1] == "." and self.is_word(i + 2)
                and self.is_cap(i + 2) and len(self.low[i + 2]) > 1):
            return True  # an initial: "ул. С. Разина", "с. Н. Гридино"
        if low in NOT_NAME or low in MARKERS or low in POST:
            return False
        if low[:1].isdigit():  # "1-я", "2-й"; inside: "Бойцов 9-й Дивизии"
            return first or (self.is_word(i + 1) and self.is_cap(i + 1))
        if i > 0 and self.toks[i - 1].kind == "number" and self.adjacent(i - 1, i) and self.ordinal_suffix(i - 1):
            return True  # "ое" of "1ое Скородное"
        if self.is_cap(i):
            return True
        if not first:
            return low in ("лет", "летия") and self.toks[i - 1].kind == "number"
        if not strong or t.is_stop:
            return False
        if self.lower_doc:
            return lower_name_ok(t.text)
        return lower_name_ok_strict(t.text, gender)  # "ул. хуторская" in a mixed-case message

    def ordinal_suffix(self, i: int) -> bool:
        """Is number token i glued to an ordinal ending ("1ое", "2-й")?"""
        if not (i + 1 < self.n and self.toks[i + 1].kind == "word" and self.low[i + 1].lstrip("-") in ORDINAL_ENDINGS):
            return False
        # glued "1ое", or spaced "3 я Первомайская" before a capitalized name
        return self.adjacent(i, i + 1) or (i + 2 < self.n and self.is_word(i + 2) and self.is_cap(i + 2))

    def take_name(self, i: int, strong: bool, gender: str = "", max_words: int = 4) -> int:
        """End (exclusive) of the name starting at token i, or i if none."""
        j = i
        lowercase_name = False
        while j < self.n and j - i < max_words:
            if (j > i and (self.toks[j].kind == "number" or self.low[j][:1].isdigit()) and j + 1 < self.n
                    and self.is_word(j + 1) and self.toks[j + 1].lemma in NUMBERED_UNITS):
                j += 2  # "Героев 9-й дивизии", "Бойцов 9 Дивизии"
                continue
            if not self.name_ok(j, strong, j == i, gender):
                # initials inside a name: "Н. Гридино", "Б.Солдатское"
                if (j > i and self.low[j] == "." and j + 1 < self.n and len(self.toks[j - 1].text) == 1
                        and self.is_word(j + 1) and self.is_cap(j + 1)):
                    j += 1
                    continue
                break
            if j == i and not self.is_cap(j) and self.toks[j].kind == "word" and not self.low[j][:1].isdigit() and self.low[j] not in ("лет",):
                lowercase_name = True
            if lowercase_name and j > i:
                break
            # a house number right after the name ends it: "Ленина 5"
            if self.toks[j].kind == "number" and j > i:
                break
            t = self.toks[j].text
            if j > i and t.isupper() and len(t) > 2 and common_noun(t) and not adjective_genders(t):
                break  # "ПРОСПЕКТ КУЛАКОВА ЯМЫ": a common noun in capitals ends the name
            if j == i and self.toks[j].kind == "number" and self.ordinal_suffix(j):
                j += 2
                continue
            j += 1
            if lowercase_name:
                break
        # a single-letter initial alone is not a name ("с. А")
        if j == i + 1 and len(self.toks[i].text) == 1 and self.toks[i].kind == "word":
            return i
        # drop a trailing initial dot
        while j > i and self.low[j - 1] == ".":
            j -= 1
        return j

    def words(self, a: int, b: int) -> list[str]:
        """Name words of tokens [a, b): initials glued to the next word ('Н.' 'Гридино' -> 'Н. Гридино')."""
        out: list[str] = []
        k = a
        while k < b:
            t = self.toks[k].text
            if k + 1 < b and self.low[k + 1] == ".":
                out.append(t + ".")
                k += 2
                continue
            if self.toks[k].kind == "number" and self.ordinal_suffix(k) and k + 1 < b:
                out.append(t + "-" + self.low[k + 1].lstrip("-")[-1])  # "1ое" -> "1-е"
                k += 2
                continue
            out.append(t)
            k += 1
        return out

    def gazetteer(self, i: int, need_cap: bool = True) -> tuple[int, str, str, bool] | None:
        """Longest gazetteer name starting at token i: (end, kind, canonical, strict)."""
        t = self.toks[i]
        if t.kind != "word" or (need_cap and not self.is_cap(i) and not self.lower_doc):
            return None
        for key, kind, canonical, strict in self.region.surface_names(t.lemma):
            j, k = i + 1, 1
            while k < len(key) and j < self.n:
                if self.low[j] == "." or self.low[j] == "-":  # "Б. Солдатское", "Б.Солдатское"
                    j += 1
                    continue
                if self.toks[j].lemma != key[k]:
                    break
                j += 1
                k += 1
            if k == len(key):
                return j, kind, canonical, strict
        return None


    def adjacent_words(self, i: int, j: int) -> bool:
        """Tokens i and j are separated by spaces only (no newline, no punctuation)."""
        gap = self.doc.clean[self.toks[i].stop:self.toks[j].start]
        return j == i + 1 and gap.strip() == "" and "\n" not in gap
