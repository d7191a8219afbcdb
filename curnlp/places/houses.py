"""House numbers: «д. 19Д», «дом № 24 корп. 2», «37б/2», «15 а», lists «дома 6, 8 и 10».

A number is a house number only where the grammar around it says so (a type word «д.»/«дом»,
a street just before it, «у 31 дома»): a bare number is as often a quantity («5 подъезд»,
«10 лет»), which :data:`~curnlp.places.lexicon.UNITS` rules out.
"""
from __future__ import annotations

import re

from .lexicon import HOUSE, ORDINAL_ENDINGS, UNITS
from .scan import TokenScan

_CORPUS = {"корп": "корпус", "корпус": "корпус", "к": "корпус", "стр": "строение", "строение": "строение",
           "лит": "литера", "литер": "литера", "литера": "литера"}
_HOUSE_RE = re.compile(r"\d{1,4}(?:[/-]\d{1,4})?(?:-?[а-яА-ЯёЁa-zA-Z])?(?:/\d{1,4})?")
# a house letter written apart from its number ("15 а", "16 б"); not the one-letter words и к о с у я
# (nor «а» before a word, nor a lowercase «в» before a word or number: «1/3 в 3 подъезде»)
_SPACED_LETTERS = frozenset("абвгдежзлмнпрт")
# after a marked house number these words do not make it a quantity: "д 30 подъезд 2"
_HOUSE_PARTS = frozenset("подъезд подъезда подъезде подъезду этаж этажа этаже кв квартира".split())
_LETTER_RE = re.compile(r"[а-яА-ЯёЁa-zA-Z]")


class HouseScan(TokenScan):
    """The house-number grammar on top of the token helpers."""

    __slots__ = ()

    def house_at(self, i: int, marked: bool) -> tuple[int, str] | None:
        """A house number starting at token i: (end, normal)."""
        if i >= self.n:
            return None
        if self.low[i] in ("№", "номер", "n", "nn", "№№"):  # «дома номер 38», «домов NN 78-80»
            i += 1
            if i >= self.n:
                return None
        t = self.toks[i]
        if t.kind not in ("number", "word") or not t.text[:1].isdigit() or not _HOUSE_RE.fullmatch(t.text):
            return None
        if t.kind == "number" and self.ordinal_suffix(i):
            return None
        if "-" in t.text and t.text.split("-", 1)[1].lower() in ORDINAL_ENDINGS | {"ой", "ей", "м", "му", "ом"}:
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
              and (end + 1 >= self.n or self.low[end + 1] != "." and (self.low[end] != "а" or not self.is_word(end + 1))
                   and (self.toks[end].text != "в" or self.toks[end + 1].kind not in ("word", "number")))):
            num += self.toks[end].text.upper()  # "15 а", "16 б"
            end += 1
        elif (end + 1 < self.n and self.low[end] in ("/", "-") and self.adjacent(end - 1, end) and self.adjacent(end, end + 1)
              and self.toks[end + 1].kind == "number"):
            num += self.low[end] + self.toks[end + 1].text
            end += 2
        if end < self.n and self.low[end] in UNITS and num.isdigit() and not (marked and self.low[end] in _HOUSE_PARTS):
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

    def number_house(self, i: int) -> int | None:
        """'у 31 дома', 'в 11 доме': a number before the word 'дом' after a preposition."""
        if (i + 1 < self.n and self.low[i + 1] in ("дома", "доме", "дом", "дому", "домом") and self.low[i].isdigit()
                and int(self.low[i]) <= 999 and i > 0 and self.low[i - 1] in ("у", "в", "во", "около", "возле", "напротив", "к", "от", "до", "за")):
            self.emit(i, i + 2, "house", f"дом {self.toks[i].text}")
            return i + 2
        return None

    def house_marker(self, i: int, w: str) -> int | None:
        """'д. 19Д', 'дом № 24', 'дома 5 корп. 2'."""
        if w not in HOUSE or (w == "№" and not (i > 0 and self.used[i - 1])):
            return None  # a bare "№" only right after a street: "ул. Ленина №10-а"
        j = self.skip_dot(i + 1)
        if j + 1 < self.n and self.low[j] == ":" and self.toks[j + 1].kind == "number":
            j += 1  # «к домам : 12б, 12г»
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
