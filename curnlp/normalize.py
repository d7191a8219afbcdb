"""Stage 1: cleaning and tokenizing a raw citizen's message.

``normalize(text)`` turns a message as it was exported (HTML, entities, VK markup,
links, phone numbers, stray control characters) into a :class:`Normalized`: the clean
text, razdel tokens with pymorphy3 lemmas, the links/e-mails/phones that were replaced
by placeholders, and a map from every clean-text offset back into the original text.

Every pass is a single left-to-right regular-expression scan with no nested
quantifiers, so a 1 MB message costs linear time.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Callable, Iterable, Iterator, NamedTuple, Sequence

from . import morph
from .errors import InvalidInput, describe
from .offsets import Edit, EditedText, Piece, source_of
from .mirrors.razdel import chunk_tokens

__all__ = ["Token", "Placeholder", "Normalized", "normalize", "normalize_many", "clean_text", "STOP_WORDS"]


class Token(NamedTuple):
    """A razdel token of the clean text (an immutable named tuple: cheap to make by the million).

    ``start``/``stop`` are offsets in :attr:`Normalized.clean`; ``kind`` is one of
    ``word``, ``number``, ``placeholder`` (URL, EMAIL, PHONE) or ``punct`` (also
    symbols and emoji).
    """

    text: str
    start: int
    stop: int
    lemma: str
    is_stop: bool
    kind: str


@dataclass(frozen=True, slots=True)
class Placeholder:
    """A link, e-mail or phone number replaced in the clean text.

    ``kind`` is ``url``, ``email`` or ``phone``; ``text`` is the original string and
    ``start``/``stop`` its offsets in the original message.
    """

    kind: str
    text: str
    start: int
    stop: int


@dataclass(frozen=True, slots=True, eq=False)
class Normalized:
    """A normalized message. Offsets of tokens refer to ``clean``; use
    :meth:`to_original` / :meth:`span_to_original` to point into ``original``."""

    original: str
    clean: str
    tokens: tuple[Token, ...]
    placeholders: tuple[Placeholder, ...]
    _layers: tuple = field(repr=False)

    @property
    def lemmas(self) -> tuple[str, ...]:
        """Lemmas of the word, number and placeholder tokens, in order (punctuation skipped)."""
        return tuple([t.lemma for t in self.tokens if t.kind != "punct"])

    def to_original(self, offset: int) -> int:
        """Offset in ``original`` of the clean-text character at ``offset``.

        ``offset == len(clean)`` maps to the end of the last clean character's source.
        """
        if not 0 <= offset <= len(self.clean):
            raise IndexError(f"offset {offset} outside the clean text of length {len(self.clean)}")
        if offset == len(self.clean):
            return source_of(self._layers, len(self._layers), offset - 1)[1] if self.clean else len(self.original)
        return source_of(self._layers, len(self._layers), offset)[0]

    def span_to_original(self, start: int, stop: int) -> tuple[int, int]:
        """Original-text span covering the clean-text span ``[start, stop)``."""
        if not 0 <= start <= stop <= len(self.clean):
            raise IndexError(f"span {start}:{stop} outside the clean text of length {len(self.clean)}")
        if start == stop:
            at = self.to_original(start)
            return at, at
        depth = len(self._layers)
        return source_of(self._layers, depth, start)[0], source_of(self._layers, depth, stop - 1)[1]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Normalized):
            return NotImplemented
        # the offset map is a function of the original text, so it needs no comparison
        return (self.original, self.clean, self.tokens, self.placeholders) == (
            other.original, other.clean, other.tokens, other.placeholders)

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict:
        """A JSON-serializable view. Spans are ``start``/``end`` like every other ``to_dict`` of
        curnlp (locations, entities, places): tokens' offsets point into ``clean``,
        placeholders' into the original message."""
        return {
            "clean": self.clean,
            "tokens": [
                {"text": t.text, "lemma": t.lemma, "kind": t.kind, "is_stop": t.is_stop,
                 "start": t.start, "end": t.stop}
                for t in self.tokens
            ],
            "placeholders": [
                {"kind": p.kind, "text": p.text, "start": p.start, "end": p.stop} for p in self.placeholders
            ],
        }


def _load_stop_words() -> frozenset[str]:
    text = resources.files("curnlp").joinpath("data/stopwords_ru.txt").read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


#: Lemmas flagged as stop words (``Token.is_stop``).
STOP_WORDS: frozenset[str] = _load_stop_words()

# Cleaning passes: each rewrites the text with non-overlapping edits recorded as a layer
# of an :class:`~curnlp.offsets.EditedText`, so offsets map back to the original message.


def _regex_pass(pattern: re.Pattern[str], replace: Callable[[re.Match[str]], Sequence[Piece]],
                hint: Callable[[str], object] | None = None):
    """A pass replacing every match of ``pattern``. ``hint``, when given, is a cheap test
    true for every text that ``pattern`` matches (its possible first characters are
    there): texts failing it skip the pass."""
    def run(t: EditedText) -> None:
        if hint is not None and not hint(t.text):
            return
        t.apply((m.start(), m.end(), replace(m)) for m in pattern.finditer(t.text))
    run.hint = hint  # type: ignore[attr-defined]
    return run


# Zero-width, bidi, BOM, soft hyphen and C0/C1 controls (tab and newline are whitespace).
_CONTROL_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufffe"
_IS_CONTROL = re.compile(f"[{_CONTROL_CHARS}]")
# Pass 1: controls (a zero-width space between letters becomes a space), line breaks, and
# entities (&nbsp; &#171; &#xAB; and the double-escaped &amp;nbsp;). Each pattern below
# starts with a lookahead for the characters its matches can start with, so the engine
# tests one character class per position instead of every alternative (same matches).
_CHARS = re.compile(
    f"(?=[{_CONTROL_CHARS}\r\u2028\u2029\x85&])(?:"
    r"(?<=\w)(?P<zwsp>\u200b+)(?=\w)|"  # a zero-width space between letters separates words
    f"(?P<control>[{_CONTROL_CHARS}]+)"
    r"|(?P<newline>\r\n?|[\u2028\u2029\x85])"
    r"|&(?:amp;)?(?P<entity>#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});"
    ")"
)
_BLOCK_TAGS = frozenset("br p div li ul ol tr table h1 h2 h3 h4 h5 h6 blockquote pre hr section article header footer".split())
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]{0,15})(?:\s[^<>]*)?/?>")
_RAW_BLOCK_OPEN = re.compile(r"<(style|script)\b[^<>]*>|<!--", re.IGNORECASE)
# VK mentions [club123|Администрация района], [id45|Иван]; apostrophes that spreadsheet exports put first.
_MARKUP = re.compile(
    r"(?=[\[\s'`´‘’])(?:\[(?:club|public|id|event)\d{1,12}\|(?P<vk>[^\[\]\n|]{1,300})\]"
    r"|(?P<leading>\A[\s'`´‘’]*['`´‘’]+))"
)
# The contact pattern in parts; each part has a cheap test that every text it matches
# passes ('@' for e-mails, 7 digits close together for phones...). A text is scanned
# with the alternation of the parts it may contain, in the same order: the same matches
# as the full pattern (a part that cannot match changes nothing), without trying at
# every character the alternatives that cannot match.
_EMAIL = r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}"
_URL_PARTS = (
    r"(?:(?:https?|ftp)://|www\.)[^\s<>\"«»\[\]]+",
    r"(?<![\w@.])(?:[a-z0-9-]{1,63}\.){1,6}(?:ru|com|org|net|su|me|info|рф)(?![\w])(?:/[^\s<>\"«»\[\]]*)?",
    r"(?<![\w@.])(?:[а-яё0-9-]{1,63}\.){1,4}рф(?![\w])(?:/[^\s<>\"«»\[\]]*)?",
)
_PHONE = (r"(?:(?<![\d+])\+7|(?<![\d+])8)(?:[\s()-]{0,2}\d){10}(?!\d)"
          r"|(?<![\w-])\d{3}-\d{2}-\d{2}(?![\w-])")


def _contact_pattern(email: bool, urls: tuple[bool, bool, bool], phone: bool) -> re.Pattern[str] | None:
    parts = []
    if email:
        parts.append(f"(?P<email>{_EMAIL})")
    if any(urls):
        parts.append("(?P<url>" + "|".join(p for p, on in zip(_URL_PARTS, urls) if on) + ")")
    if phone:
        parts.append(f"(?P<phone>{_PHONE})")
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


#: The full pattern (every part).
_CONTACTS = _contact_pattern(True, (True, True, True), True)
_contact_patterns = lru_cache(maxsize=None)(_contact_pattern)
_MAY_BE_DOMAIN = re.compile(r"\.(?:ru|com|org|net|su|me|info|рф)", re.IGNORECASE)
_MAY_BE_PHONE = re.compile(r"\d(?:[\s()-]{0,2}\d){6}")


def _contacts_in(text: str) -> re.Pattern[str] | None:
    """The contact pattern reduced to the parts ``text`` may contain (None: no part)."""
    low = text.lower()
    return _contact_patterns("@" in text,
                             ("://" in text or "www." in low, _MAY_BE_DOMAIN.search(text) is not None, "рф" in low),
                             _MAY_BE_PHONE.search(text) is not None)
_TRAILING_URL_PUNCT = ".,;:!?)'"
# Whitespace: a run with a line break becomes "\n", any other run " ". Runs that are
# already a lone "\n" or " " are not matched: replacing them by themselves would change
# nothing but cost one edit per word.
_SPACE = re.compile(r"[^\S\n ]\s*|[\n ]\s+")  # = \s{2,}|[^\S\n ] (a run starting with another space: all of it)

PLACEHOLDERS = {"url": "URL", "email": "EMAIL", "phone": "PHONE"}


def _chars(m: re.Match[str]) -> Sequence[Piece]:
    kind = m.lastgroup
    if kind == "zwsp":
        return (" ",)
    if kind == "control":
        return ()
    if kind == "newline":
        return ("\n",)
    value = html.unescape("&" + m.group("entity") + ";")
    if value.startswith("&"):  # unknown entity: keep it as written
        return ((m.start(), m.end()),)
    return (_IS_CONTROL.sub("", value),)


def _tag(m: re.Match[str]) -> Sequence[Piece]:
    return ("\n",) if m.group(1).lower() in _BLOCK_TAGS else ()


def _markup(m: re.Match[str]) -> Sequence[Piece]:
    return (m.span("vk"),) if m.lastgroup == "vk" else ()


def _space(m: re.Match[str]) -> Sequence[Piece]:
    return ("\n",) if "\n" in m.group() else (" ",)


def _raw_blocks(t: EditedText) -> None:
    """Drop <style>/<script> blocks and HTML comments, content included (linear: str.find)."""
    text = t.text
    if "<" not in text:
        return
    edits: list[Edit] = []
    pos = 0
    lower = None
    while True:
        m = _RAW_BLOCK_OPEN.search(text, pos)
        if m is None:
            break
        if m.group(0) == "<!--":
            end = text.find("-->", m.end())
            end = len(text) if end < 0 else end + 3
        else:
            if lower is None:
                lower = text.lower()
            close = "</" + m.group(1).lower()
            end = lower.find(close, m.end())
            end = len(text) if end < 0 else (text.find(">", end) + 1 or len(text))
        edits.append((m.start(), end, ()))
        pos = end
    t.apply(edits)


def _contacts(t: EditedText, found: list[tuple[str, int, int]]) -> None:
    """Replace e-mails, URLs and phones by placeholder words, recording their original spans."""
    text = t.text
    pattern = _contacts_in(text)
    if pattern is None:
        return
    edits: list[Edit] = []
    for m in pattern.finditer(text):
        kind = m.lastgroup
        a, b = m.span()
        if kind == "url":
            while b > a + 1 and text[b - 1] in _TRAILING_URL_PUNCT:
                b -= 1
        # a space only where the placeholder would otherwise glue to a word
        before = " " if a > 0 and text[a - 1].isalnum() else ""
        after = " " if b < len(text) and text[b].isalnum() else ""
        edits.append((a, b, (before + PLACEHOLDERS[kind] + after,)))
        found.append((kind, *t.source(a, b)))
    t.apply(edits)


_LEADING_MARKS = frozenset("'`´‘’")
_MARKUP_PASSES = (
    _regex_pass(_CHARS, _chars, re.compile(f"[{_CONTROL_CHARS}\r\u2028\u2029\x85&]").search),
    _raw_blocks,
    _regex_pass(_TAG, _tag, lambda text: "<" in text),
    _regex_pass(_MARKUP, _markup, lambda text: "[" in text or text[:1].isspace() or text[:1] in _LEADING_MARKS),
)
#: (pattern, hint) of the regular-expression passes, for the tests
_HINTED = ((_CHARS, _MARKUP_PASSES[0]), (_TAG, _MARKUP_PASSES[2]), (_MARKUP, _MARKUP_PASSES[3]))
_space_pass = _regex_pass(_SPACE, _space)


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        hint = " (decode bytes first, e.g. data.decode('utf-8'))" if isinstance(text, (bytes, bytearray)) else ""
        raise InvalidInput(f"expected a message as str, got {describe(text)}{hint}")
    return text


def _clean(text: str) -> tuple[EditedText, tuple[Placeholder, ...]]:
    t = EditedText(text)
    for run in _MARKUP_PASSES:
        run(t)
    found: list[tuple[str, int, int]] = []
    _contacts(t, found)
    _space_pass(t)
    # strip both ends
    s = t.text
    lead = len(s) - len(s.lstrip())
    trail = max(lead, len(s.rstrip()))
    t.apply(edit for edit in ((0, lead, ()), (trail, len(s), ())) if edit[0] < edit[1])
    placeholders = tuple(sorted(
        (Placeholder(kind, text[a:b], a, b) for kind, a, b in found), key=lambda p: p.start))
    return t, placeholders


def clean_text(text: str) -> str:
    """Only the clean text of ``text`` (no tokens or lemmas)."""
    return _clean(_check_text(text))[0].text


@lru_cache(maxsize=100_000)
def _word_info(word: str) -> tuple[str, bool, str]:
    """(lemma, is_stop, kind) of a token text; cached and bounded."""
    if word.isalpha() or any(ch.isalpha() for ch in word):
        # the lemma depends only on the lowercase form: «Улица» and «УЛИЦА» share the analysis of «улица»
        lem = morph.lemma(word.lower())
        return lem, lem in STOP_WORDS, "word"
    if any(ch.isdigit() for ch in word):
        return word, False, "number"
    return word, False, "punct"


def normalize(text: str) -> Normalized:
    """Clean, tokenize and lemmatize one message.

    Parameters
    ----------
    text : str
        The message as the citizen wrote it (may contain HTML, VK markup, links).

    Returns
    -------
    Normalized
        Clean text, tokens with lemmas, placeholders and the offset map.

    Raises
    ------
    InvalidInput
        If ``text`` is not a ``str``.

    Examples
    --------
    >>> n = normalize("<p>Яма&nbsp;на ул. Ленина</p>")
    >>> n.clean
    'Яма на ул. Ленина'
    >>> n.lemmas
    ('яма', 'на', 'ул', 'ленин')
    """
    original = _check_text(text)
    t, placeholders = _clean(original)
    clean = t.text
    tokens = _tokens(clean)
    if placeholders:
        placeholder_spans = {(p.start, p.stop) for p in placeholders}
        for i, tok in enumerate(tokens):
            if tok.text in _PLACEHOLDER_WORDS and t.source(tok.start, tok.stop) in placeholder_spans:
                tokens[i] = Token(tok.text, tok.start, tok.stop, tok.text.lower(), False, "placeholder")
    return Normalized(original, clean, tuple(tokens), placeholders, tuple(t.layers))


_PLACEHOLDER_WORDS = frozenset(PLACEHOLDERS.values())
_new_token = tuple.__new__  # Token(*fields) without the Python-level __new__
# A whitespace-delimited chunk (matches start where a chunk starts), in the forms whose
# razdel tokens are known without asking razdel: a plain word with one mark [,.;:!?)]
# after it (groups 1, 2) or a plain number (group 3); a one-script word (Cyrillic or
# Latin: razdel cuts «вA» in two) or ASCII number with at most one opening mark before
# and one closing mark after (groups 4-6; «{» is left out: razdel keeps «{слово» whole);
# a single character (group 7). Anything else (no group) goes to
# :func:`curnlp.mirrors.razdel.chunk_tokens`.
_CHUNK = re.compile(r"(?:([^\W\d_]+)([,.;:!?)])?|(\d+))(?!\S)"
                    r"|([(«\"“„'`\[])?([а-яёА-ЯЁ]+|[a-zA-Z]+|[0-9]+)([,.;:!?)»\"”'`\]}])?(?!\S)"
                    r"|(\S)(?!\S)|\S+")


def _tokenize(text: str) -> Iterator[tuple[int, int, str]]:
    """razdel tokens of ``text`` as (start, stop, text) (see :func:`_tokens`)."""
    for tok in _tokens(text):
        yield tok.start, tok.stop, tok.text


def _tokens(text: str) -> list[Token]:
    """razdel tokens of ``text`` with their lemma, stop-word flag and kind.

    The text is split on whitespace, and each chunk is cut on its own: most chunks are
    one word or a word and a mark, which need no razdel at all. Chunks in the forms of
    :data:`_CHUNK` are cut directly, the others by :func:`~curnlp.mirrors.razdel.chunk_tokens`.
    The result differs from razdel on the whole text only where razdel would glue a
    number to a following comma («25,»). One loop, no generator or call per token: the
    commonest chunks (all letters, all digits, one character: one token each) are
    recognized by ``str`` tests, the others by :data:`_CHUNK` matched at the chunk's
    start (the same match ``finditer`` finds there).

    >>> [t.text for t in _tokens("д.5, кв.37б/2 (10-15 см)")]
    ['д', '.', '5', ',', 'кв', '.', '37', 'б', '/', '2', '(', '10-15', 'см', ')']
    """
    info, new, out, find, match = _word_info, _new_token, [], text.find, _CHUNK.match
    append = out.append
    at = 0
    for chunk in text.split():
        at = find(chunk, at)
        end = at + len(chunk)
        pieces = None  # the chunk's tokens in order, when it is more than one
        if not (chunk.isalpha() or chunk.isdecimal() or len(chunk) == 1):  # else _CHUNK's group 1, 3 or 7
            m = match(text, at)
            if m.lastindex is None:
                pieces = [sub for _, _, sub in chunk_tokens(chunk)]
            elif m.lastindex not in (1, 3, 7):
                word, mark, _, lead, core, trail, _ = m.groups()
                if mark is not None:  # a word and one punctuation mark
                    pieces = (word, mark)
                elif core is not None and (lead is not None or trail is not None):
                    pieces = [p for p in (lead, core, trail) if p is not None]
        if pieces is None:
            append(new(Token, (chunk, at, end) + info(chunk)))
        else:  # consecutive: a whitespace-free chunk has no gap between its tokens
            for piece in pieces:
                stop = at + len(piece)
                append(new(Token, (piece, at, stop) + info(piece)))
                at = stop
        at = end
    return out


def normalize_many(texts: Iterable[str]) -> Iterator[Normalized]:
    """Normalize many messages lazily, in order (shares the lemma cache)."""
    for text in texts:
        yield normalize(text)
