"""Structured locations in a message: region, district, city, inner okrug, settlement, street, house.

A single left-to-right scan over the tokens of a :class:`~curnlp.normalize.Normalized`
message: type words ("ул.", "пр-т", "д.", "р-н", "с.", ...) are dictionary lookups on the
lowercase token, names are the capitalized (or, in an all-lowercase message, the
grammatically fitting) words next to them, and names written without a type word are
found by looking their lemmas up in the region gazetteer (:mod:`curnlp.places.packs`). pymorphy3
(through :mod:`curnlp.morph`, cached) is consulted only for the few candidate words, to
put names into the nominative (``улица Союзная``, ``переулок Светлый``). No regex runs
over the text, so time is linear in its length.

>>> [(l.kind, l.normal) for l in extract_locations("Яма на ул. Союзной, д.71б")]
[('street', 'улица Союзная'), ('house', 'дом 71Б')]
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Iterable

from .. import morph
from ..errors import InvalidInput, describe
from ..normalize import Normalized, Token, normalize
from .packs import Municipality, Region, load_region

__all__ = ["Location", "KINDS", "extract_locations", "extract_locations_many"]

#: Location kinds, from the largest unit to the smallest; then numbered landmarks ("школа № 54").
KINDS = ("region", "district", "city", "city_okrug", "settlement", "street", "house", "landmark")


@dataclass(frozen=True, slots=True)
class Location:
    """A place mentioned in a message.

    ``text`` is the mention as written (from the clean text, markup removed), ``normal``
    its canonical form (``улица Союзная``, ``дом 71Б``, ``Курский район``,
    ``город Курск``), ``start``/``end`` its offsets in the ORIGINAL message.
    """

    kind: str
    text: str
    normal: str
    start: int
    end: int

    def to_dict(self) -> dict:
        """A JSON-serializable dict."""
        return {"kind": self.kind, "text": self.text, "normal": self.normal, "start": self.start, "end": self.end}


# ---------------------------------------------------------------------------
# Type words. Keys are lowercase token texts (ё folded); values: (kind, canonical type, gender, strong)
# "strong" markers accept a lowercase name; weak ones ("проезд", "площадь") need a capitalized one.
# ---------------------------------------------------------------------------

def _forms(words: str, kind: str, canon: str, gender: str, strong: bool) -> dict[str, tuple[str, str, str, bool]]:
    return {w: (kind, canon, gender, strong) for w in words.split()}


_STREET = {
    **_forms("улица улицы улице улицу улицей ул улиц улицам улицами улицах", "street", "улица", "femn", True),
    **_forms("проспект проспекта проспекте проспекту проспектом пр-т пр-кт просп пр-те пр-та пр-ту пр-том пр-кте пр-кта", "street", "проспект", "masc", True),
    **_forms("пр", "street", "проспект", "masc", False),
    **_forms("переулок переулка переулке переулку переулком пер", "street", "переулок", "masc", True),
    **_forms("проезд проезда проезде проезду проездом пр-д", "street", "проезд", "masc", False),
    **_forms("шоссе ш", "street", "шоссе", "neut", False),
    **_forms("бульвар бульвара бульваре бульвару бульваром б-р б-ра б-ре б-ру б-ром бул", "street", "бульвар", "masc", True),
    **_forms("площадь площади площадью пл", "street", "площадь", "femn", False),
    **_forms("набережная набережной набережную наб", "street", "набережная", "femn", False),
    **_forms("тупик тупика тупике", "street", "тупик", "masc", False),
}
_SETTLEMENT = {
    **_forms("село села селе селу селом с", "settlement", "село", "neut", True),
    **_forms("деревня деревни деревне деревню деревней дер д", "settlement", "деревня", "femn", True),
    **_forms("поселок поселка поселке поселку поселком пос п пгт рп", "settlement", "посёлок", "masc", True),
    **_forms("хутор хутора хуторе хутору х хут", "settlement", "хутор", "masc", True),
    **_forms("слобода слободы слободе слободу сл", "settlement", "слобода", "femn", True),
    **_forms("микрорайон микрорайона микрорайоне микрорайону мкр мкрн мкр-н мкр-на мкр-не м-н мик-н мик-не", "settlement",
             "микрорайон", "masc", True),
    **_forms("снт тсн сдт", "settlement", "СНТ", "neut", True),
    **_forms("город города городе городу городом г гор", "city", "город", "masc", True),
}
_MARKERS = {**_STREET, **_SETTLEMENT}
# abbreviations that are ambiguous with ordinary words unless followed by "." or a capitalized gazetteer name
_NEEDS_DOT = frozenset("с п х д г ш пр пл сл пос дер".split())
_ABBREVIATIONS = frozenset("""ул пр-т пр-кт просп пр-те пр-та пр-ту пр-том пр-кте пр-кта пр пер пр-д ш б-р бул пл наб с дер д пос п
    пгт рп х хут сл мкр мкрн мкр-н мкр-на мкр-не м-н мик-н мик-не снт тсн сдт г гор""".split())
# markers written after the name: "Курский район", "Сеймский округ", "Курская область"
_POST = {
    **{w: "district" for w in "район района районе району районом р-н р-на р-не р-ну рн р-он".split()},
    **{w: "okrug" for w in "округ округа округе округу округом окр".split()},
    **{w: "region" for w in "область области областью обл".split()},
}
# words between the adjective and a post marker: "Льговский муниципальный округ"
_POST_QUALIFIERS = frozenset(("муниципального", "муниципальный", "муниципальном", "административного"))
_HOUSE = frozenset("д дом дома доме дому домом домов домах домами №".split())
_CORPUS = {"корп": "корпус", "корпус": "корпус", "к": "корпус", "стр": "строение", "строение": "строение",
           "лит": "литера", "литер": "литера", "литера": "литера"}
# words after a number that make it a quantity, not a house number
_UNITS = frozenset("""час часа часов ч мин минут минуты год года лет г гг м метр метров метра км кг руб рублей рубля
    человек чел раз этаж этажа этаже подъезд подъезда подъезде числа число
    января февраля марта апреля мая июня июля августа сентября октября ноября декабря шт процентов % градусов""".split())
# words that never start or continue a name
_NOT_NAME = frozenset("""и или в во на по к ко с со у о об от до из за для при около возле напротив между а но
    дом д кв квартира корпус корп подъезд район р-н обл область город г ул улица""".split())
_ADJ_ENDINGS = ("ая", "ой", "ую", "ый", "ий", "ое", "ей", "ого", "его", "ому", "ему", "ом", "ем", "ым", "им", "ые", "ие",
                "ых", "их", "яя", "юю", "ее", "ыми", "ими")
_HOUSE_RE = re.compile(r"\d{1,4}(?:[/-]\d{1,4})?(?:-?[а-яА-ЯёЁa-zA-Z])?(?:/\d{1,4})?")
# a house letter written apart from its number ("15 а", "16 б"); not the one-letter words в и к о с у я
_SPACED_LETTERS = frozenset("абвгдежзлмнпрт")
_PLURAL_STREET = frozenset("улиц улицам улицами улицах".split())
# after a marked house number these words do not make it a quantity: "д 30 подъезд 2"
_HOUSE_PARTS = frozenset("подъезд подъезда подъезде подъезду этаж этажа этаже кв квартира".split())
# words after which a capitalized name without a type word is a street ("по адресу Клыкова д 4")
_ADDRESS_WORDS = frozenset("адресу адрес адресом адресе".split())
_CROSSING = frozenset("пересечении пересечение пересечения перекрестке перекресток перекрестка углу угол".split())
_STREET_PREP = frozenset("на по с со от до к ко около возле вдоль напротив".split())
# a name continued by a number and one of these ("Героев 9-й дивизии", "Бойцов 9 Дивизии")
_NUMBERED_UNITS = frozenset("дивизия армия бригада полк съезд гвардия".split())
# capitalized nouns after a preposition that are organisations, not villages ("в Пенсионном Фонде")
_NOT_VILLAGE = frozenset("""фонд банк суд центр парк сквер больница поликлиника школа сад управление отдел комитет
    администрация рынок магазин завод клуб дом театр музей институт университет колледж училище лицей гимназия
    станция вокзал аэропорт мир союз служба инспекция прокуратура полиция совет дума собрание компания""".split())
# numbered landmarks: lemma of the word -> canonical kind ("школы № 54" -> "школа № 54")
_LANDMARKS = {"школа": "школа", "сош": "школа", "гимназия": "гимназия", "лицей": "лицей",
              "детсад": "детский сад", "садик": "детский сад", "доу": "детский сад", "мбдоу": "детский сад",
              "сад": "детский сад"}
_VILLAGE_SUFFIXES = ("овка", "евка", "ёвка", "ино", "ово", "ево", "ёво", "ское", "цкое", "ище", "ичи", "цы", "ки")
_LETTER_RE = re.compile(r"[а-яА-ЯёЁa-zA-Z]")
# entry tests of the recognizers (see _Scan.starts): the word itself, or the word after it
_START_WORDS = frozenset(_MARKERS) | _HOUSE | _CROSSING
_BEFORE_POST = frozenset(_POST) | _POST_QUALIFIERS
_PREP_PLACE = frozenset("в во из под до около возле от по на за у близ".split())
_ORDINAL_ENDINGS = frozenset("е ое ое й ый ий я ая го ого".split())


@lru_cache(maxsize=4096)
def _district(region: Region, adjective: str, kind: str) -> Municipality | None:
    """``region.district(adjective, kind)``, cached: an adjective the pack does not know is compared
    with every district name for typos (an edit distance in Python), and the same words recur."""
    return region.district(adjective, kind)


def _ordinal(text: str, gender: str) -> str:
    """'7-му', 'masc' -> '7-й'."""
    return text.split("-", 1)[0] + {"masc": "-й", "femn": "-я", "neut": "-е"}.get(gender, "-й")


@lru_cache(maxsize=20_000)
def _lower_name_ok_strict(word: str, gender: str) -> bool:
    """A lowercase word after a type word in a mixed-case message: an agreeing adjective or a proper name."""
    genders = _adjective(word)
    if genders:
        return gender in genders
    parses = morph.parse(word.lower())
    return bool(parses) and parses[0].tag.POS == "NOUN" and any(g in parses[0].tag for g in ("Surn", "Name", "Geox"))


@lru_cache(maxsize=20_000)
def _unknown_word(word: str) -> bool:
    """Not an ordinary dictionary word: unknown to pymorphy or a geographic name ("будище")."""
    low = word.lower()
    if not low.isalpha():
        return False
    parses = morph.parse(low)
    return not morph.analyzer().word_is_known(low) or any("Geox" in p.tag for p in parses[:2])


@lru_cache(maxsize=20_000)
def _name_like(word: str) -> bool:
    """A lower-case word that is most likely a name: unknown to the dictionary, or a surname/place name."""
    if _unknown_word(word):
        return True
    parses = morph.parse(word.lower())
    return bool(parses) and any(g in parses[0].tag for g in ("Surn", "Geox"))


@lru_cache(maxsize=20_000)
def _common_noun(word: str) -> bool:
    """A common noun (no name, surname or place name reading among the likely parses): "ЯМЫ", "Победы"."""
    parses = [p for p in morph.parse(word.lower()) if p.score >= 0.1] or list(morph.parse(word.lower()))[:1]
    return bool(parses) and all(p.tag.POS == "NOUN" and not any(g in p.tag for g in ("Surn", "Name", "Geox", "Patr"))
                                for p in parses)


@lru_cache(maxsize=20_000)
def _nominative(word: str) -> str:
    """Nominative of a noun or adjective, keeping its number ("Лугах" -> "Луга", "Ивановки" -> "Ивановка")."""
    for p in morph.parse(word.lower()):
        if p.tag.POS in ("NOUN", "ADJF"):
            form = p.inflect({"nomn"} if p.tag.number == "plur" else {"nomn", "sing"})
            if form is not None:
                return _cap(form.word)
    return _cap(word)


@lru_cache(maxsize=20_000)
def _lower_name_ok(word: str) -> bool:
    """In an all-lowercase message: can ``word`` be a name (an adjective or a proper/oblique noun)?"""
    parses = morph.parse(word.lower())
    if not parses:
        return False
    tag = parses[0].tag
    if tag.POS == "ADJF":
        return True
    return tag.POS == "NOUN" and ("Surn" in tag or "Name" in tag or "Geox" in tag or tag.case == "gent")


def _cap(word: str) -> str:
    """Capitalize each hyphen part: 'северо-западный' -> 'Северо-Западный'; keep 'КЗТЗ', '1-я'."""
    if word.isupper() and len(word) > 1:
        return word
    return "-".join(p[:1].upper() + p[1:] for p in word.split("-"))


@lru_cache(maxsize=20_000)
def _adjective(word: str) -> tuple[str, ...] | None:
    """Genders (and 'plur') an adjective form can have, or None if ``word`` is not a full adjective."""
    low = word.lower().replace("ё", "е")
    if not low.endswith(_ADJ_ENDINGS) or not low[0].isalpha():
        return None
    genders = set()
    for p in morph.parse(low):
        tag = p.tag
        if tag.POS == "ADJF" and "Apro" not in tag and "Anum" not in tag:
            genders.add(str(tag.gender) if tag.gender else "plur")
        elif tag.POS == "NOUN" and p.score > 0.3 and "Surn" not in tag and "Geox" not in tag:
            return None  # mostly a noun ("проезд", "Заря")
    return tuple(sorted(g for g in genders if g)) or None


@lru_cache(maxsize=20_000)
def _inflect_adjective(word: str, gender: str) -> str | None:
    """Nominative singular of an adjective in ``gender`` ('Союзной', 'femn' -> 'Союзная')."""
    low = word.lower()
    for p in morph.parse(low):
        if p.tag.POS == "ADJF" and (p.tag.gender == gender or p.tag.number == "plur" or gender == "plur"):
            form = p.inflect({"nomn", "sing", gender} if gender != "plur" else {"nomn", "plur"})
            if form is not None:
                return _cap(form.word)
    return None


@lru_cache(maxsize=20_000)
def _noun_nominative(word: str) -> str:
    """Nominative of a place-name noun ('Льгова' -> 'Льгов'); the word itself if unsure."""
    low = word.lower()
    for p in morph.parse(low):
        if p.tag.POS == "NOUN" and "Geox" in p.tag:
            form = p.inflect({"nomn"})
            if form is not None:
                return _cap(form.word)
    return _cap(word)


@lru_cache(maxsize=20_000)
def _street_noun(word: str, marker: str) -> str:
    """A one-noun street name in the marker's oblique case goes to the nominative ('улице Пучковке')."""
    cases = {str(p.tag.case) for p in morph.parse(marker) if p.tag.POS == "NOUN"} - {"nomn", "gent"}
    if not cases or not word[:1].isupper():
        return _cap(word)
    for p in morph.parse(word.lower()):
        if p.tag.POS == "NOUN" and str(p.tag.case) in cases and p.tag.number == "sing" and "Surn" not in p.tag and "Name" not in p.tag:
            form = p.inflect({"nomn"})
            if form is not None:
                return _cap(form.word)
    return _cap(word)


def _canon_name(words: list[str], gender: str, inflect_nouns: bool) -> str:
    """Canonical name words: adjectives agreeing with the type word go to the nominative."""
    if len(words) == 1:
        w = words[0]
        genders = _adjective(w)
        if genders and (gender in genders or "plur" in genders):
            return _inflect_adjective(w, gender) or _cap(w)
        if gender == "femn" and w.lower().endswith(("ой", "ей", "ую")):  # "улице Литейной" (also a noun "литейная")
            adj = _inflect_adjective(w, gender)
            if adj is not None:
                return adj
        return _noun_nominative(w) if inflect_nouns else _cap(w)
    # adjective + noun in an oblique case agreeing with each other: "в деревне Старом Бузце"
    if inflect_nouns and len(words) == 2 and _adjective(words[0]):
        adj_parses = [p for p in morph.parse(words[0].lower()) if p.tag.POS == "ADJF"]
        noun_parses = [p for p in morph.parse(words[1].lower()) if p.tag.POS == "NOUN"]
        for a in adj_parses:
            for n in noun_parses:
                if a.tag.case == n.tag.case and a.tag.case not in ("nomn", "gent") and a.tag.gender == n.tag.gender:
                    na, nn = a.inflect({"nomn", "sing"}), n.inflect({"nomn", "sing"})
                    if na and nn:
                        return f"{_cap(na.word)} {_cap(nn.word)}"
    return " ".join(w if w[:1].isdigit() or w in ("лет", "летия") else _cap(w) for w in words)


# ---------------------------------------------------------------------------
# The scanner
# ---------------------------------------------------------------------------

_FIRST = itemgetter(0)  # a token's text; a (never empty) text's first character


class _Scan:
    """State of one scan (one message). Not shared between calls."""

    __slots__ = ("doc", "toks", "low", "cap", "n", "lower_doc", "region", "out", "used")

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
        if i + 1 < self.n and self.low[i + 1] in _POST and t.kind == "word" and _adjective(t.text):
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
        if low in _NOT_NAME or low in _MARKERS or low in _POST:
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
            return _lower_name_ok(t.text)
        return _lower_name_ok_strict(t.text, gender)  # "ул. хуторская" in a mixed-case message

    def ordinal_suffix(self, i: int) -> bool:
        """Is number token i glued to an ordinal ending ("1ое", "2-й")?"""
        if not (i + 1 < self.n and self.toks[i + 1].kind == "word" and self.low[i + 1].lstrip("-") in _ORDINAL_ENDINGS):
            return False
        # glued "1ое", or spaced "3 я Первомайская" before a capitalized name
        return self.adjacent(i, i + 1) or (i + 2 < self.n and self.is_word(i + 2) and self.is_cap(i + 2))

    def take_name(self, i: int, strong: bool, gender: str = "", max_words: int = 4) -> int:
        """End (exclusive) of the name starting at token i, or i if none."""
        j = i
        lowercase_name = False
        while j < self.n and j - i < max_words:
            if (j > i and (self.toks[j].kind == "number" or self.low[j][:1].isdigit()) and j + 1 < self.n
                    and self.is_word(j + 1) and self.toks[j + 1].lemma in _NUMBERED_UNITS):
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
            if j > i and t.isupper() and len(t) > 2 and _common_noun(t) and not _adjective(t):
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

    # -- recognizers -------------------------------------------------------
    def house_at(self, i: int, marked: bool) -> tuple[int, str] | None:
        """A house number starting at token i: (end, normal)."""
        if i >= self.n:
            return None
        if self.low[i] == "№":
            i += 1
            if i >= self.n:
                return None
        t = self.toks[i]
        if t.kind not in ("number", "word") or not t.text[:1].isdigit() or not _HOUSE_RE.fullmatch(t.text):
            return None
        if t.kind == "number" and self.ordinal_suffix(i):
            return None
        if "-" in t.text and t.text.split("-", 1)[1].lower() in _ORDINAL_ENDINGS | {"ой", "ей", "м", "му", "ом"}:
            return None  # "9-й", "2-ой" are ordinals
        num = t.text.upper()
        end = i + 1
        if not marked:
            digits = re.match(r"\d+", num)
            if digits is None or int(digits.group()) > 999:
                return None
        # letter glued to the number: "19Д" tokenized as "19" "Д"
        if (end < self.n and self.adjacent(end - 1, end) and self.toks[end].kind == "word" and len(self.toks[end].text) == 1
                and _LETTER_RE.fullmatch(self.toks[end].text) and not num[-1:].isalpha()):
            num += self.toks[end].text.upper()
            end += 1
            if (end + 1 < self.n and self.low[end] == "/" and self.adjacent(end - 1, end) and self.adjacent(end, end + 1)
                    and self.toks[end + 1].kind == "number"):
                num += "/" + self.toks[end + 1].text  # "37б/2"
                end += 2
        elif (end < self.n and not self.adjacent(end - 1, end) and self.toks[end].kind == "word"
              and self.low[end] in _SPACED_LETTERS and not num[-1:].isalpha()
              and (end + 1 >= self.n or self.low[end + 1] != "." and (self.low[end] != "а" or not self.is_word(end + 1)))):
            num += self.toks[end].text.upper()  # "15 а", "16 б"
            end += 1
        elif (end + 1 < self.n and self.low[end] in ("/", "-") and self.adjacent(end - 1, end) and self.adjacent(end, end + 1)
              and self.toks[end + 1].kind == "number"):
            num += self.low[end] + self.toks[end + 1].text
            end += 2
        if end < self.n and self.low[end] in _UNITS and num.isdigit() and not (marked and self.low[end] in _HOUSE_PARTS):
            return None  # "5 подъезд", "10 лет"; not "7/1 подъезд 1"
        normal = f"дом {num}"
        # корпус / строение / литера
        k = end
        if k < self.n and self.low[k] == ",":
            k += 1
        if k < self.n and self.low[k] in _CORPUS:
            part = _CORPUS[self.low[k]]
            k2 = self.skip_dot(k + 1)
            if k2 < self.n and (self.toks[k2].kind == "number" or (part != "корпус" and len(self.toks[k2].text) == 1)):
                if not (self.low[k] == "к" and self.toks[k2].kind != "number"):
                    normal += f" {part} {self.toks[k2].text.upper()}"
                    end = k2 + 1
        return end, normal

    def starts(self) -> list[int]:
        """Tokens where a recognizer of :meth:`scan` can start: numbers and "№", and the words that
        pass the entry test of some recognizer (the tests at the top of marker, post_marker,
        house_marker, landmark, crossing and unmarked, repeated here in one loop for speed; keep
        them in step: tests/test_places_shortcuts.py compares with a scan of every token).
        The scan skips every other token (most words)."""
        low, cap, n = self.low, self.cap, self.n
        street_keys, lower_doc = self.region.street_keys, self.lower_doc
        out = []
        for i, t in enumerate(self.toks):
            if t.kind == "word":
                w = low[i]
                if (cap[i] or lower_doc or w in _START_WORDS or t.lemma in _LANDMARKS
                        or i + 1 < n and low[i + 1] in _BEFORE_POST
                        or i > 0 and (low[i - 1] in _ADDRESS_WORDS or low[i - 1] == ":")
                        or street_keys(t.lemma)):
                    out.append(i)
            elif t.kind == "number" or low[i] == "№":
                out.append(i)
        return out

    def scan(self) -> None:
        toks, low, n = self.toks, self.low, self.n
        i = 0  # tokens before i are done
        for k in self.starts():
            if k < i or self.used[k]:
                continue
            i = k
            w = low[i]
            if toks[i].kind != "word" or w[:1].isdigit():
                nxt = self.number_house(i)
                if nxt is not None:
                    i = nxt
                    continue
            # each recognizer is tried only on the words that can start it (see starts())
            nxt = self.marker(i, w) if w in _MARKERS else None
            if nxt is None and i + 1 < n and low[i + 1] in _BEFORE_POST:
                nxt = self.post_marker(i, w)
            if nxt is None and w in _HOUSE:
                nxt = self.house_marker(i, w)
            if nxt is None and toks[i].lemma in _LANDMARKS:
                nxt = self.landmark(i)
            if nxt is None and w in _CROSSING:
                nxt = self.crossing(i)
            if nxt is None:
                nxt = self.unmarked(i, w)
            i = nxt if nxt is not None and nxt > i else i + 1

    def number_house(self, i: int) -> int | None:
        """'у 31 дома', 'в 11 доме': a number before the word 'дом' after a preposition."""
        if (i + 1 < self.n and self.low[i + 1] in ("дома", "доме", "дом", "дому", "домом") and self.low[i].isdigit()
                and int(self.low[i]) <= 999 and i > 0 and self.low[i - 1] in ("у", "в", "во", "около", "возле", "напротив", "к", "от", "до", "за")):
            self.emit(i, i + 2, "house", f"дом {self.toks[i].text}")
            return i + 2
        return None

    def landmark(self, i: int) -> int | None:
        """'школы № 54', 'гимназии 4', 'дет.саду 85', 'детского сада №91' (a number of up to 3 digits)."""
        canon = _LANDMARKS[self.toks[i].lemma]
        a = i
        if canon == "детский сад" and self.toks[i].lemma == "сад":
            k = i - 1 if i > 0 and self.low[i - 1] != "." else i - 2
            if k < 0 or not self.low[k].startswith("дет"):
                return None  # a garden, not a kindergarten
            a = k
        j = i + 1
        while j < self.n and self.low[j] in ("№", "№№", "n"):
            j += 1
        if j >= self.n or self.toks[j].kind != "number" or not self.low[j].isdigit() or len(self.low[j]) > 3:
            return None
        if j + 1 < self.n and self.low[j + 1] in _UNITS:
            return None
        self.emit(a, j + 1, "landmark", f"{canon} № {int(self.low[j])}")
        return j + 1

    def crossing(self, i: int) -> int | None:
        """'на пересечении Гагарина и Пушкина', 'на углу Ленина и Мирной' (names without a type word)."""
        j = i + 1
        if j < self.n and self.low[j] in ("улиц", "улицы", "ул"):
            return None  # typed: the markers handle it
        found = []
        while j < self.n and len(found) < 2:
            if not (self.is_word(j) and self.is_cap(j)) or self.low[j] in _MARKERS or self.low[j] in _NOT_NAME:
                break
            end = self.take_name(j, False)
            if end == j:
                break
            found.append((j, end))
            j = end
            if j < self.n and self.low[j] in ("и", ",") and len(found) < 2:
                j += 1
            else:
                break
        if len(found) != 2:
            return None
        if found[1][1] < self.n and self.low[found[1][1]] in _STREET:
            found.pop()  # "углу Мыльникова и Майского б-ра": the type word's own rule takes the second name
        for a, b in found:
            self.emit(a, b, "street", f"улица {self.street_name(a, b)}")
        return found[-1][1]

    def street_name(self, a: int, b: int) -> str:
        """Canonical name of an untyped street [a, b): a feminine adjective goes to the nominative."""
        words = self.words(a, b)
        if len(words) == 1 and (genders := _adjective(words[0])) and "femn" in genders:
            return _inflect_adjective(words[0], "femn") or _cap(words[0])
        return " ".join(x if x[:1].isdigit() else _cap(x) for x in words)

    def noun_phrase_goes_on(self, j: int) -> bool:
        """Token j is a lower-case noun or adjective: the name before it modifies it ("Курские электрические сети")."""
        return (j < self.n and self.is_word(j) and not self.is_cap(j)
                and any(p.tag.POS in ("NOUN", "ADJF") for p in morph.parse(self.low[j])[:1]))

    def list_name(self, i: int) -> bool:
        """Is token i the next name of a street list: a capitalized surname in the genitive («Чернышевского»)?"""
        if not (self.is_word(i) and self.is_cap(i)) or self.low[i] in _NOT_NAME or self.low[i] in _MARKERS:
            return False
        if i + 1 < self.n and (self.low[i + 1] in _STREET or self.toks[i + 1].kind == "word" and self.is_cap(i + 1)):
            return False  # "ул. Ленина и Мирной улицы" is the type word's; "и Иван Петров" a person
        if i + 1 < self.n and self.is_word(i + 1) and self.low[i + 1] not in ("и", "или", "д", "дом"):
            return False  # a list item ends at punctuation, "и", a number: "ул. Ленина, Петрова сказала" is a person
        if self.region.streets_named(self.toks[i].text):
            return True
        parses = morph.parse(self.low[i])
        return bool(parses) and parses[0].tag.case == "gent" and "Surn" in parses[0].tag

    def known_street(self, i: int) -> tuple[int, str] | None:
        """A street of the pack written without a type word, starting at token i: (end, normal)."""
        t = self.toks[i]
        if t.kind != "word":
            return None
        keys = self.region.street_keys(t.lemma)
        if not keys and self.low[i].endswith(("ой", "ей", "ую")) and self.is_cap(i):  # "на Литейной": a noun's lemma
            adj = _inflect_adjective(t.text, "femn")
            keys = self.region.street_keys(morph.lemma(adj)) if adj else ()
            keys = tuple(k for k in keys if len(k) == 1)
        if not keys or (not self.is_cap(i) and not self.lower_doc and not _name_like(self.low[i])):
            return None  # lower case only for words no dictionary knows as common ones ("на дериглазова")
        for key in keys:
            if len(key[0]) == 1 and not (i + 1 < self.n and self.low[i + 1] == "."):
                continue  # "К. Маркса" needs its dot
            j, k = i + 1, 1
            while k < len(key) and j < self.n:
                if self.low[j] in (".", "-") and j > i:
                    j += 1
                    continue
                lem = self.toks[j].lemma
                if lem != key[k] and not (lem[:1].isdigit() and lem.split("-")[0] == key[k].split("-")[0]):
                    break
                j += 1
                k += 1
            if k == len(key):
                st = self.region.streets_named(" ".join(key))
                st = st or self.region.streets_named(self.doc.clean[t.start:self.toks[j - 1].stop])
                if not st:
                    continue
                return j, f"{st[0].type} {st[0].name}"
        return None

    def marker(self, i: int, w: str) -> int | None:
        """'ул. Союзная', 'д. Старый Бузец', 'г. Курск', 'СНТ «Березка»'."""
        info = _MARKERS.get(w)
        if info is None:
            return None
        kind, canon, gender, strong = info
        j = i + 1
        dotted = j < self.n and self.low[j] == "."
        if w in ("г", "гг") and i > 0 and self.toks[i - 1].kind == "number":
            return None  # "07.06.2021г.Филиал": the year, not a city
        if (len(w) == 1 and i >= 2 and self.low[i - 1] == "." and len(self.low[i - 2]) == 1 and self.is_word(i - 2)
                and self.adjacent(i - 2, i - 1)):
            return None  # the second letter of "и т.д.", "А.Д. Петров"
        if kind != "street" and j + dotted < self.n and self.toks[j + dotted].kind == "number" and not self.ordinal_suffix(j + dotted):
            if not self.low[j + dotted].isdigit() or w in ("п", "пос", "с"):
                return None  # "п. 6.2.4 ГОСТ", "с. 15"
        sentence_end = dotted and w not in _ABBREVIATIONS  # "улице. Без ..." ends a sentence
        if dotted and not sentence_end:
            if (len(w) == 1 and self.is_cap(i) and j + 2 < self.n and len(self.toks[j + 1].text) == 1
                    and self.low[j + 2] == "."):
                return None  # initials "С. Н. Иванов"
            j += 1
        if w in _NEEDS_DOT and not dotted:
            # bare "п", "х", "д", "г": only before a gazetteer name of the right kind ("п Кшенский");
            # a bare "с" is the preposition
            if w == "с" or j >= self.n or not self.is_word(j):
                return None
            gz = self.gazetteer(j)
            if gz is None or (gz[1] == "city") != (kind == "city"):
                return None
        if j < self.n and self.toks[i].stop != self.toks[j].start and self.doc.clean[self.toks[i].stop:self.toks[j].start].count("\n"):
            return None
        if w == "д" and j < self.n and (self.toks[j].kind == "number" and not self.ordinal_suffix(j) or self.low[j] == "№"):
            return None  # "д. 5" is a house
        if kind == "street" and w in ("пр",) and j < self.n and self.toks[j].kind == "number":
            return None
        # quoted names: СНТ «Березка», СНТ `Березка`
        quote = None
        if j < self.n and self.low[j] in ("«", '"', "`", "'", "“", "„"):
            quote = j
            j += 1
        if w in ("г", "город", "гор", "города", "городе", "городу", "городом"):
            gz = self.gazetteer(j, need_cap=False) if j < self.n else None
            if gz is not None:
                end, gkind, canonical, _ = gz
                self.emit(i, end, "city", f"город {canonical}")
                return end
        elif kind == "settlement" and canon != "микрорайон" and j < self.n:
            gz = self.gazetteer(j, need_cap=False)
            if gz is not None:
                end, gkind, canonical, _ = gz
                stype = self.region.settlement_type(canonical) if gkind == "settlement" else None
                if gkind == "city":
                    self.emit(i, end, "city", f"город {canonical}")
                else:
                    self.emit(i, end, "settlement", f"{canon if canon != 'микрорайон' or not stype else stype} {canonical}")
                return end
        end = j if sentence_end else self.take_name(j, strong or w in _NEEDS_DOT and dotted, gender)
        if (end == j and not sentence_end and kind == "street" and j + 1 < self.n and self.is_word(j)
                and self.low[j] not in _NOT_NAME and self.low[j] not in _MARKERS and self.house_at(j + 1, marked=False)):
            end = j + 1  # "пр.победы 25": a lower-case name with a house number after it
        if (end == j and not sentence_end and kind == "settlement" and dotted and len(w) == 1 and j < self.n
                and self.is_word(j) and self.low[j] not in _NOT_NAME and _unknown_word(self.low[j])):
            end = j + 1  # "с.будище": an unknown lower-case word after a dotted settlement abbreviation
        if end == j:
            # "Союзной улице": the name precedes the type word
            lower_ok = i + 1 < self.n and self.house_at(i + 1, marked=False) is not None  # "магистральный проезд 16б"
            initial = i == 1 or i > 1 and self.low[i - 2] in (".", "!", "?", "\n")  # "Отвратительный проезд ..."
            if (kind == "street" and i > 0 and not self.used[i - 1] and self.is_word(i - 1)
                    and (self.is_cap(i - 1) and (not initial or self.region.streets_named(self.toks[i - 1].text)) or lower_ok)):
                genders = _adjective(toks_text := self.toks[i - 1].text)
                if genders and gender in genders and self.low[i - 1] not in _NOT_NAME:
                    name = _inflect_adjective(toks_text, gender) or _cap(toks_text)
                    a = i - 1
                    if a > 0 and not self.used[a - 1] and self.low[a - 1][:1].isdigit() and "-" in self.low[a - 1]:
                        a -= 1  # "7-му Промышленному переулку"
                        name = f"{_ordinal(self.low[a], gender)} {name}"
                    self.emit(a, i + 1, "street", f"{canon} {name}")
                    house = self.house_at(i + 1, marked=False)
                    if house is not None:
                        self.emit(i + 1, house[0], "house", house[1])
                        return self.more_houses(house[0])
                    return i + 1
            # "по 40-му переулку", "2-й проезд": an ordinal alone names a lane
            if (kind == "street" and canon in ("переулок", "проезд", "тупик") and i > 0 and not self.used[i - 1]
                    and self.low[i - 1][:1].isdigit() and "-" in self.low[i - 1]
                    and self.low[i - 1].split("-", 1)[1] in _ORDINAL_ENDINGS | {"ой", "му", "м", "ом"}):
                self.emit(i - 1, i + 1, "street", f"{canon} {_ordinal(self.low[i - 1], gender)}")
                return i + 1
            return None
        if quote is not None and end < self.n and self.low[end] in ("»", '"', "`", "'", "”", "“"):
            end_span = end + 1
        else:
            end_span = end
        words = self.words(j, end)
        if kind == "city":
            if len(words) == 1:
                name = _noun_nominative(words[0])
            else:
                name = " ".join(_cap(x) for x in words)
            if w in ("г", "гор") and j - i == 1:
                return None
            self.emit(i, end_span, "city", f"город {name}")
            return end_span
        inflect_nouns = kind == "settlement" and len(w) > 3 and w not in ("деревня", "село", "поселок", "хутор", "слобода", "микрорайон")
        name = _canon_name(words, gender, inflect_nouns)
        if kind == "street" and len(words) == 1 and w not in _ABBREVIATIONS and name == _cap(words[0]):
            name = _street_noun(words[0], w)  # "по улице Пучковке" -> "Пучковка"
        if canon == "СНТ":
            name = " ".join(words)
        self.emit(i, end_span, kind, f"{canon} {name}")
        if w in _PLURAL_STREET:  # "между улицами Пионеров и Нижняя Луговая"
            k = end_span
            while k + 1 < self.n and self.low[k] in ("и", ",") and self.is_word(k + 1) and self.is_cap(k + 1):
                e = self.take_name(k + 1, False)
                if e == k + 1:
                    break
                self.emit(k + 1, e, "street", f"улица {self.street_name(k + 1, e)}")
                k = e
            return k
        # a list of names after a singular type word: "на ул.Глинко, Чернышевского"
        if kind == "street" and end_span + 1 < self.n and self.low[end_span] in (",", "и") and self.list_name(end_span + 1):
            e = self.take_name(end_span + 1, False, max_words=2)
            self.emit(end_span + 1, e, "street", f"{canon} {self.street_name(end_span + 1, e)}")
            return e
        # a house number right after a street: "ул. Ленина 5", "ул. Ленина, д. 5"
        if kind == "street":
            k = end_span
            if k < self.n and self.low[k] == ",":
                k += 1
            if k < self.n and self.low[k] in _HOUSE:
                return k
            house = self.house_at(k, marked=False)
            if house is not None:
                self.emit(k, house[0], "house", house[1])
                return self.more_houses(house[0])
        return end_span

    def post_marker(self, i: int, w: str) -> int | None:
        """'Курский район', 'Сеймского округа', 'Курской обл.'."""
        # the type word follows the adjective (optionally "муниципального"/"городского")
        j = i + 1
        if j < self.n and self.low[j] in _POST_QUALIFIERS:
            j += 1
        if j >= self.n or self.low[j] not in _POST:
            return None
        what = _POST[self.low[j]]
        genders = _adjective(self.toks[i].text)
        if not genders or self.toks[i].is_stop or w in _NOT_NAME:
            return None
        end = self.skip_dot(j + 1) if self.low[j] in ("обл", "р-н", "окр") else j + 1
        text = self.toks[i].text
        if what == "region":
            if not self.is_cap(i) and not self.lower_doc:
                return None
            name = _inflect_adjective(text, "femn") or _cap(text)
            self.emit(i, end, "region", f"{name} область")
            return end
        okrug = _district(self.region, text, "city_okrug")
        district = _district(self.region, text, "district")
        if what == "okrug":
            if okrug is None:
                if district is None:
                    return None
                self.emit(i, end, "district", district.name)  # "Льговский муниципальный округ"
                return end
            self.emit(i, end, "city_okrug", okrug.name)
            return end
        if district is not None:
            self.emit(i, end, "district", district.name)
        elif okrug is not None:  # "Сеймский район" of Kursk
            self.emit(i, end, "city_okrug", okrug.name)
        elif self.is_cap(i) or self.lower_doc:
            name = _inflect_adjective(text, "masc") or _cap(text)
            self.emit(i, end, "district", f"{name} район")
        else:
            return None
        return end

    def house_marker(self, i: int, w: str) -> int | None:
        """'д. 19Д', 'дом № 24', 'дома 5 корп. 2'."""
        if w not in _HOUSE or (w == "№" and not (i > 0 and self.used[i - 1])):
            return None  # a bare "№" only right after a street: "ул. Ленина №10-а"
        j = self.skip_dot(i + 1)
        house = self.house_at(j, marked=True)
        if house is None:
            return None
        if w in ("д",) and self.toks[j].kind != "number" and self.low[j] != "№" and not self.toks[j].text[:1].isdigit():
            return None
        self.emit(i, house[0], "house", house[1])
        return self.more_houses(house[0])

    def more_houses(self, k: int) -> int:
        """Further house numbers of a list: "дома №7, №10", "50, 50а, 50б", "домов 6, 8 и 10"."""
        while k + 1 < self.n and self.low[k] in (",", "и"):
            j = k + 1
            if j < self.n and self.low[j] in ("д", "дом"):
                j = self.skip_dot(j + 1)
            house = self.house_at(j, marked=False)
            if house is None or (self.toks[j].kind != "number" and self.low[j] != "№" and not self.low[j][:1].isdigit()):
                break
            self.emit(k + 1, house[0], "house", house[1])
            k = house[0]
        return k

    def unmarked(self, i: int, w: str) -> int | None:
        """Names without a type word: gazetteer places ('в Курске'), 'Орловская 12', 'на Союзной'."""
        t = self.toks[i]
        prev = self.low[i - 1] if i > 0 else ""
        if t.kind != "word" or not (self.cap[i] or self.lower_doc or prev in _ADDRESS_WORDS or prev == ":"
                                    or self.region.street_keys(t.lemma)):
            return None  # a lower-case word of a mixed-case message names a place only as a pack street or an address
        gz = self.gazetteer(i)
        if gz is not None and gz[0] < self.n and _STREET.get(self.low[gz[0]], ("",))[0] == "street":
            gz = None  # "Майского бульвара", "Полевой улице": the name of a street, not the village
        if gz is not None and gz[0] < self.n and self.low[gz[0]] in ("обл", "области", "область", "обл."):
            gz = None  # "Курск обл водоканал": the region, not the city
        if gz is not None:
            end, gkind, canonical, strict = gz
            if strict:
                if prev not in _PREP_PLACE or not self.is_cap(i):
                    return None
            # "Курчатов" as a surname after a first name: skip
            if i > 0 and self.is_word(i - 1) and self.is_cap(i - 1) and any("Name" in p.tag for p in morph.parse(self.low[i - 1])[:1]):
                return None
            if gkind == "city":
                self.emit(i, end, "city", f"город {canonical}")
            else:
                stype = self.region.settlement_type(canonical) or "посёлок"
                self.emit(i, end, "settlement", f"{stype} {canonical}")
            return end
        street = self.known_street(i)
        if street is not None:
            end, normal = street
            k = end + 1 if end < self.n and self.low[end] == "," else end
            house = self.house_at(k, marked=False) if k < self.n and self.toks[k].kind == "number" else None
            listed = (bool(self.out) and self.out[-1][2] == "street" and self.out[-1][1] in (i - 1, i - 2) and prev in ("и", ",")
                      and not self.noun_phrase_goes_on(end))
            one_common = end == i + 1 and _common_noun(t.text)
            noun_next = end == i + 1 and end < self.n and self.is_word(end) and not self.is_cap(end) and any(
                p.tag.POS == "NOUN" for p in morph.parse(self.low[end])[:1])  # "на Советской площади"
            if house is not None or (self.low[end:end + 1] and self.low[end] in _HOUSE and self.house_at(self.skip_dot(end + 1), True)):
                self.emit(i, end, "street", normal)
                if house is not None:
                    self.emit(k, house[0], "house", house[1])
                    return self.more_houses(house[0])
                return end
            if (prev in _STREET_PREP or prev in _ADDRESS_WORDS or prev == ":" or listed) and not one_common and not noun_next:
                self.emit(i, end, "street", normal)
                return end
        if ((prev in _ADDRESS_WORDS or prev == ":" and i > 1 and self.low[i - 2] in _ADDRESS_WORDS)
                and (self.is_cap(i) or i + 1 < self.n and self.toks[i + 1].kind == "number") and t.kind == "word"
                and w not in _NOT_NAME and w not in _MARKERS and w not in _HOUSE):
            end = self.take_name(i, False, max_words=3)
            k = end + 1 if end < self.n and self.low[end] == "," else end
            if end > i and k < self.n and (self.house_at(k, marked=False) and self.toks[k].kind == "number"
                                           or self.low[k] in ("д", "дом")):
                self.emit(i, end, "street", f"улица {self.street_name(i, end)}")  # "по адресу Клыкова д 4"
                house = self.house_at(k, marked=False)
                if house is not None:
                    self.emit(k, house[0], "house", house[1])
                    return self.more_houses(house[0])
                return end
        if prev in ("в", "во", "до", "из", "под", "около", "возле", "за") and self.is_cap(i) and not t.text.isupper():
            village = self.village(i)
            if village is not None:
                return village
        if not self.is_cap(i) and not self.lower_doc or t.is_stop:
            return None
        # a feminine adjective as a street: "Орловская 12", "Союзная, 27а" (a number after it) or
        # "на Союзной" (see below); the cheap tests first, the adjective's analysis last
        k = i + 1
        if k < self.n and self.low[k] == ",":
            k += 1
        text_low = t.text.lower()
        before_number = text_low.endswith(("ая", "яя")) and k < self.n and self.toks[k].kind == "number"
        after_na = i > 0 and self.low[i - 1] in ("на", "по") and self.is_cap(i) and text_low.endswith(("ой", "ей"))
        if not (before_number or after_na):
            return None
        genders = _adjective(t.text)
        if not genders or "femn" not in genders:
            return None
        if before_number:
            house = self.house_at(k, marked=False)
            if house is not None:
                name = _inflect_adjective(t.text, "femn") or _cap(t.text)
                self.emit(i, i + 1, "street", f"улица {name}")
                self.emit(k, house[0], "house", house[1])
                return house[0]
        # "на Союзной" / "по Союзной": a feminine adjective with no noun after it
        if after_na:
            if t.lemma.startswith(self.region.region_adjective.lower()[:4] or "\0"):
                return None
            nxt = i + 1
            if nxt < self.n and self.toks[nxt].kind == "word":
                nparses = morph.parse(self.low[nxt])
                if any(p.tag.POS in ("NOUN", "ADJF") for p in nparses[:2]) or self.is_cap(nxt):
                    return None
            # sentence-initial capital after "на" is impossible, so the capital marks a name
            name = _inflect_adjective(t.text, "femn")
            if name:
                self.emit(i, i + 1, "street", f"улица {name}")
                return i + 1
        return None

    def village(self, i: int) -> int | None:
        """A settlement the pack does not know, after a place preposition: 'до Ивановки', 'в Верхних Лугах'."""
        t = self.toks[i]
        if t.kind != "word" or "-" in t.text and t.text[:1].isdigit():
            return None
        nxt = i + 1
        two = (nxt < self.n and self.is_word(nxt) and self.is_cap(nxt) and self.adjacent_words(i, nxt)
               and _adjective(t.text) and not _adjective(self.toks[nxt].text) and not self.toks[nxt].text.isupper()
               and self.toks[nxt].lemma not in _NOT_VILLAGE and self.low[nxt] not in _POST and self.low[nxt] not in _MARKERS)
        if two:
            if any("Surn" in p.tag or "Name" in p.tag for p in morph.parse(self.low[nxt])[:1]):
                return None
            self.emit(i, nxt + 1, "settlement", f"населённый пункт {_nominative(t.text)} {_nominative(self.toks[nxt].text)}")
            return nxt + 1
        lemma = t.lemma
        if len(lemma) < 5 or not lemma.endswith(_VILLAGE_SUFFIXES[:7]) or lemma in _NOT_VILLAGE:
            return None
        if nxt < self.n and self.is_word(nxt) and self.is_cap(nxt):
            return None  # "в Ивановке Петровой ..." or an organisation name: not sure
        parses = morph.parse(self.low[i])
        if parses and any(g in parses[0].tag for g in ("Surn", "Name", "Patr")):
            return None
        if parses and parses[0].tag.POS not in ("NOUN", None) and "Geox" not in parses[0].tag:
            return None
        self.emit(i, i + 1, "settlement", f"населённый пункт {_nominative(t.text)}")
        return i + 1

    def adjacent_words(self, i: int, j: int) -> bool:
        """Tokens i and j are separated by spaces only (no newline, no punctuation)."""
        gap = self.doc.clean[self.toks[i].stop:self.toks[j].start]
        return j == i + 1 and gap.strip() == "" and "\n" not in gap

    def result(self) -> list[Location]:
        doc = self.doc
        locs = []
        for a, b, kind, normal in sorted(self.out):
            cs, ce = self.toks[a].start, self.toks[b - 1].stop
            start, end = doc.span_to_original(cs, ce)
            locs.append(Location(kind, doc.clean[cs:ce], normal, start, end))
        return locs


def _region(region: Region | str | None) -> Region:
    return load_region("kursk" if region is None else region)


def extract_locations(doc_or_text: str | Normalized, region: Region | str | None = None) -> list[Location]:
    """Locations mentioned in one message, in text order.

    Parameters
    ----------
    doc_or_text : str or Normalized
        The raw message (normalized here) or an already normalized one.
    region : Region or str, optional
        Gazetteer for names written without a type word ("в Курске", "Коренево");
        default the shipped Kursk pack.

    Raises
    ------
    InvalidInput
        If ``doc_or_text`` is neither a ``str`` nor a :class:`Normalized`.

    Examples
    --------
    >>> [l.normal for l in extract_locations("в д. Духовец Курского р-на")]
    ['деревня Духовец', 'Курский район']
    """
    if isinstance(doc_or_text, Normalized):
        doc = doc_or_text
    elif isinstance(doc_or_text, str):
        doc = normalize(doc_or_text)
    else:
        raise InvalidInput(f"expected a message as str or Normalized, got {describe(doc_or_text)}")
    scan = _Scan(doc, _region(region))
    scan.scan()
    return scan.result()


def extract_locations_many(texts: Iterable[str | Normalized], region: Region | str | None = None) -> list[list[Location]]:
    """:func:`extract_locations` for many messages (the region pack is loaded once)."""
    if isinstance(texts, (str, bytes, Normalized)):
        raise InvalidInput(f"expected an iterable of messages, got {describe(texts)}")
    reg = _region(region)
    return [extract_locations(t, reg) for t in texts]
