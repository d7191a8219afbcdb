"""The recognizers of the location scan: each one starts at a token and emits the locations it finds.

* :meth:`PlaceScan.marker`: a type word before a name («ул. Союзная», «д. Старый Бузец», «г. Курск»);
* :meth:`PlaceScan.post_marker`: a type word after an adjective («Курский район», «Сеймского округа»);
* :meth:`PlaceScan.unmarked`: names without a type word, from the region pack's gazetteer and streets
  («в Курске», «на Союзной», «Орловская 12»), or villages the pack does not know («до Ивановки»);
* :meth:`PlaceScan.landmark`, :meth:`PlaceScan.crossing`: «школа № 54», «на пересечении Гагарина и Пушкина».

Each returns the token after what it consumed, or None when it does not apply; which one runs
on which token is decided by :class:`curnlp.places.locations._Scan`.
"""
from __future__ import annotations

from .. import morph
from .houses import HouseScan
from .lexicon import (ABBREVIATIONS, ADDRESS_WORDS, CROSSING, HOUSE, HOUSE_BEFORE_NAME, INSTITUTION_QUALIFIERS, INSTITUTIONS, LANDMARKS, MARKERS, MONTHS, RANKS, NEEDS_DOT, NOT_NAME, NOT_VILLAGE,
                      ORDINAL_ENDINGS, PLURAL_STREET, POST, POST_QUALIFIERS, PREP_PLACE, STREET, STREET_PREP, TOWARD, UNITS,
                      VILLAGE_SUFFIXES)
from .names import (adjective_genders, canon_name, cap_name, common_noun, inflect_adjective, name_like, nominative,
                    noun_nominative, ordinal_name, street_noun, unknown_word)
from .packs import district_named
from .russia import russia


def _dictionary_adjective(word: str) -> bool:
    """A word the dictionary knows whose likeliest reading is an adjective («институтской»), not a surname."""
    parses = morph.parse(word)
    return bool(parses) and parses[0].tag.POS == "ADJF" and morph.analyzer().word_is_known(word)


#: what joins the streets of a list or a crossing: «Глинко, Чернышевского», «Карла Маркса - Ломакина», «Маяковского/Октябрьская»
LIST_SEPARATORS = frozenset((",", "и", "-", "–", "—", "/"))


class PlaceScan(HouseScan):
    """Streets, settlements, cities, districts, landmarks and crossings."""

    __slots__ = ()

    def landmark(self, i: int) -> int | None:
        """'школы № 54', 'гимназии 4', 'дет.саду 85', 'детского сада №91' (a number of up to 3 digits)."""
        canon = LANDMARKS[self.toks[i].lemma]
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
        if j + 1 < self.n and self.low[j + 1] in UNITS:
            return None
        self.emit(a, j + 1, "landmark", f"{canon} № {int(self.low[j])}")
        return j + 1

    def institution(self, i: int) -> int | None:
        """«в Горшеченской больнице», «Обоянская ЦРБ», «Курчатовской городской поликлиники»: an institution
        named by the adjective of a district of the pack is a landmark of that district (of its centre
        town when the town is a municipality of its own and the institution is the town's: «городской»).
        The region's own adjective needs «районной» or «ЦРБ» («Курская областная больница» is the region's)."""
        j, qualifiers = i + 1, set()
        while j < self.n and j - i <= 3 and self.toks[j].lemma in INSTITUTION_QUALIFIERS:
            qualifiers.add(self.toks[j].lemma)
            j += 1
        if j >= self.n or self.toks[j].lemma not in INSTITUTIONS or not adjective_genders(self.toks[i].text):
            return None
        what = INSTITUTIONS[self.toks[j].lemma]
        district = self.region.district(self.toks[i].text, "district", typos=False)  # «Сугровской школы» is no typo
        if district is None:
            return None
        if (district.adjective or "")[:5].lower() == self.region.region_adjective[:5].lower() and not (
                "районный" in qualifiers or what == "ЦРБ"):
            return None
        target = district
        if ("городской" in qualifiers or what == "городская больница") and district.centre:
            town = self.region.city(district.centre)
            target = town if town is not None and town.kind != "district" else district
        self.emit(i, j + 1, "landmark", f"{what} ({target.name})")
        return j + 1

    def crossing(self, i: int) -> int | None:
        """'на пересечении Гагарина и Пушкина', 'на углу Ленина и Мирной' (names without a type word)."""
        j = i + 1
        if j < self.n and self.low[j] in ("улиц", "улицы", "ул"):
            return None  # typed: the markers handle it
        found = []
        while j < self.n and len(found) < 2:
            if not (self.is_word(j) and self.is_cap(j)) or self.low[j] in MARKERS or self.low[j] in NOT_NAME:
                break
            end = self.take_name(j, False)
            if end == j:
                break
            found.append((j, end))
            j = end
            if j < self.n and self.low[j] in LIST_SEPARATORS and len(found) < 2:
                j += 1
            else:
                break
        if len(found) != 2:
            return None
        if found[1][1] < self.n and self.low[found[1][1]] in STREET:
            found.pop()  # "углу Мыльникова и Майского б-ра": the type word's own rule takes the second name
        for a, b in found:
            self.emit(a, b, "street", f"улица {self.street_name(a, b)}")
        return found[-1][1]

    def street_name_more(self, j: int, end: int, w: str) -> int:
        """The end of a street name after «улица» that :meth:`take_name` cut short: «Набережная» as the
        name («ул. Набережная», «ул Нижняя Набережная»); in a mixed-case message a lowercase name
        that starts with a rank or a date («улице генерала григорова», «ул. 8 марта») or, after
        the abbreviation «ул.» only, a noun in the genitive («ул. пионеров», «ул. дружбы»)."""
        low, n = self.low, self.n
        if end < n and low[end].startswith("набережн") and (end == j or self.adjacent_words(end - 1, end)
                                                              or low[end - 1] == "."):
            return end + 1
        if end != j or j + 1 > n:
            return end
        known = self.known_street(j, lower_ok=True)  # «за улицей дружбы»: a pack street, lowercase
        if known is not None:
            return known[0]
        if (j + 1 < n and self.toks[j].kind == "number" and low[j].isdigit() and low[j + 1] in MONTHS
                and self.adjacent_words(j, j + 1)):
            return j + 2
        if (low[j] in RANKS and j + 1 < n and self.is_word(j + 1) and self.adjacent_words(j, j + 1)
                and name_like(low[j + 1])):
            return j + 2
        if w == "ул" and self.is_word(j) and not self.toks[j].is_stop and low[j] not in NOT_NAME and low[j] not in MARKERS:
            parses = morph.parse(low[j])
            if parses and parses[0].tag.POS == "NOUN" and parses[0].tag.case == "gent":
                return j + 1
        return end

    def street_name(self, a: int, b: int) -> str:
        """Canonical name of an untyped street [a, b): a feminine adjective goes to the nominative."""
        words = self.words(a, b)
        if len(words) == 1 and (genders := adjective_genders(words[0])) and "femn" in genders:
            return inflect_adjective(words[0], "femn") or cap_name(words[0])
        return " ".join(x if x[:1].isdigit() else cap_name(x) for x in words)

    def noun_phrase_goes_on(self, j: int) -> bool:
        """Token j is a lower-case noun or adjective: the name before it modifies it ("Курские электрические сети")."""
        return (j < self.n and self.is_word(j) and not self.is_cap(j)
                and any(p.tag.POS in ("NOUN", "ADJF") for p in morph.parse(self.low[j])[:1]))

    def houses_after(self, k: int) -> int:
        """The house numbers right after a street name ending at token k, if any; the token after them."""
        house = self.house_at(k, marked=False) if k < self.n and self.toks[k].kind == "number" else None
        if house is None:
            return k
        self.emit(k, house[0], "house", house[1])
        return self.more_houses(house[0])

    def agreeing_noun_next(self, i: int, pos: tuple[str, ...] = ("NOUN", "ADJF"), depth: int = 2) -> bool:
        """Is token i followed by a lowercase noun or adjective in an oblique case, the noun its adjective
        goes with («на Советской площади», «до красной дубравы»)? A nominative starts a new clause
        («на Союзной яма»)."""
        j = i + 1
        return (j < self.n and self.is_word(j) and not self.is_cap(j)
                and any(p.tag.POS in pos and p.tag.case != "nomn" for p in morph.parse(self.low[j])[:depth]))

    def street_list(self, k: int, canon: str) -> int:
        """Further streets of a list starting at token k (a separator): «, Чернышевского и Уфимцева»."""
        while k + 1 < self.n and self.low[k] in LIST_SEPARATORS and self.list_name(k + 1):
            e = self.take_name(k + 1, False, max_words=2)
            self.emit(k + 1, e, "street", f"{canon} {self.street_name(k + 1, e)}")
            k = e
        return k

    def list_name(self, i: int) -> bool:
        """Is token i the next name of a street list after a typed street («ул.Глинко, Чернышевского»,
        «ул. Анциферовка, Какуринка, Заречка»)? A capitalized word ending at punctuation, «и» or a
        number that reads as a street name: a street of the pack, a surname in the genitive, an
        adjective («Мирной»), a word no dictionary knows, or a noun in «-ка» («Заречка»); never a
        town or village of the pack, an organisation or a first name («ул. Ленина, Иван»)."""
        if not (self.is_word(i) and self.is_cap(i)) or self.low[i] in NOT_NAME or self.low[i] in MARKERS:
            return False
        if i + 1 < self.n and (self.low[i + 1] in STREET or self.toks[i + 1].kind == "word" and self.is_cap(i + 1)):
            return False  # "ул. Ленина и Мирной улицы" is the type word's; "и Иван Петров" a person
        if i + 1 < self.n and self.is_word(i + 1) and self.low[i + 1] not in ("и", "или", "д", "дом"):
            return False  # a list item ends at punctuation, "и", a number: "ул. Ленина, Петрова сказала" is a person
        if self.region.streets_named(self.toks[i].text):
            return True
        if self.gazetteer(i) is not None or self.toks[i].lemma in NOT_VILLAGE or self.toks[i].text.isupper():
            return False  # a town, an organisation, an abbreviation («пр. Победы, ГМЦ»)
        low = self.low[i]
        parses = morph.parse(low)[:4]
        if not parses or "Name" in parses[0].tag or "Patr" in parses[0].tag:
            return False
        if any(p.tag.case == "gent" and "Surn" in p.tag for p in parses):
            return True
        if any(p.tag.POS == "ADJF" and p.tag.gender == "femn" for p in parses[:2]):
            return True
        return unknown_word(low) or low.endswith("ка") and parses[0].tag.POS == "NOUN" and parses[0].tag.case == "nomn"

    def known_street(self, i: int, lower_ok: bool = False) -> tuple[int, str] | None:
        """A street of the pack written without a type word, starting at token i: (end, normal).
        ``lower_ok``: the context makes a lowercase word a street's name («на перекрёстке краснополянской»)."""
        t = self.toks[i]
        if t.kind != "word" and not (t.kind == "number" and "-" in t.text):
            return None
        lemma, first = t.lemma, 1
        head, _, tail = lemma.partition("-")
        if head.isdigit() and tail in ("год", "лет"):  # «до 50-лет Октября»: one token, two words of the key
            keys, first = tuple(k for k in self.region.street_keys(head) if len(k) > 2 and k[1] == tail), 2
        else:
            keys = self.region.street_keys(lemma)
        if not keys and self.low[i].endswith(("ой", "ей", "ую")) and self.is_cap(i):  # "на Литейной": a noun's lemma
            adj = inflect_adjective(t.text, "femn")
            keys = self.region.street_keys(morph.lemma(adj)) if adj else ()
            keys = tuple(k for k in keys if len(k) == 1)
        if not keys or (t.kind == "word" and not self.is_cap(i) and not self.lower_doc and not lower_ok
                        and not name_like(self.low[i])):
            return None  # lower case only for words no dictionary knows as common ones ("на дериглазова")
        for key in keys:
            if len(key[0]) == 1 and not (i + 1 < self.n and self.low[i + 1] == "."):
                continue  # "К. Маркса" needs its dot
            j, k = i + 1, first
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
        info = MARKERS.get(w)
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
        sentence_end = dotted and w not in ABBREVIATIONS  # "улице. Без ..." ends a sentence
        if dotted and not sentence_end:
            if (len(w) == 1 and self.is_cap(i) and j + 2 < self.n and len(self.toks[j + 1].text) == 1
                    and self.low[j + 2] == "."):
                return None  # initials "С. Н. Иванов"
            j += 1
        if w in NEEDS_DOT and not dotted:
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
        if kind == "street" and j < self.n and self.low[j] in ("им", "имени"):
            j = self.skip_dot(j + 1)  # «проспекта им. Дериглазова»
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
        end = j if sentence_end else self.take_name(j, strong or w in NEEDS_DOT and dotted, gender)
        if kind == "street" and not sentence_end and canon == "улица":
            end = self.street_name_more(j, end, w)
        if (end == j and not sentence_end and kind == "street" and j + 1 < self.n and self.is_word(j)
                and self.low[j] not in NOT_NAME and self.low[j] not in MARKERS and self.house_at(j + 1, marked=False)):
            end = j + 1  # "пр.победы 25": a lower-case name with a house number after it
        if (end == j and not sentence_end and kind == "settlement" and dotted and len(w) == 1 and j < self.n
                and self.is_word(j) and self.low[j] not in NOT_NAME and unknown_word(self.low[j])):
            end = j + 1  # "с.будище": an unknown lower-case word after a dotted settlement abbreviation
        if end == j:
            # "Союзной улице": the name precedes the type word
            after = i + 2 if i + 2 < self.n and self.low[i + 1] == "," else i + 1
            lower_ok = (after < self.n and self.house_at(after, marked=False) is not None  # "магистральный проезд 16б"
                        or i > 1 and self.low[i - 2][:1].isdigit() and "-" in self.low[i - 2])  # "7-го промышленного переулка"
            initial = i == 1 or i > 1 and self.low[i - 2] in (".", "!", "?", "\n")  # "Отвратительный проезд ..."
            if ((kind == "street" or canon == "микрорайон") and i > 0 and not self.used[i - 1] and self.is_word(i - 1)
                    and (self.is_cap(i - 1) and (not initial or self.region.streets_named(self.toks[i - 1].text)) or lower_ok)):
                genders = adjective_genders(toks_text := self.toks[i - 1].text)
                if genders and gender in genders and self.low[i - 1] not in NOT_NAME:
                    name = inflect_adjective(toks_text, gender) or cap_name(toks_text)
                    a = i - 1
                    if (a > 0 and not self.used[a - 1] and self.low[a - 1][:1].isdigit()
                            and ("-" in self.low[a - 1] or self.low[a - 1][-1:].isalpha())):
                        a -= 1  # "7-му Промышленному переулку", "3й Краснополянский переулок"
                        name = f"{ordinal_name(self.low[a], gender)} {name}"
                    self.emit(a, i + 1, kind, f"{canon} {name}")  # «Союзной улице», «Северо-Западный микрорайон»
                    house = self.house_at(after, marked=False)
                    if house is not None:
                        self.emit(after, house[0], "house", house[1])
                        return self.more_houses(house[0])
                    return i + 1
            # "по 40-му переулку", "2-й проезд": an ordinal alone names a lane
            if (kind == "street" and canon in ("переулок", "проезд", "тупик") and i > 0 and not self.used[i - 1]
                    and self.low[i - 1][:1].isdigit() and "-" in self.low[i - 1]
                    and self.low[i - 1].split("-", 1)[1] in ORDINAL_ENDINGS | {"ой", "му", "м", "ом"}):
                self.emit(i - 1, i + 1, "street", f"{canon} {ordinal_name(self.low[i - 1], gender)}")
                return i + 1
            return None
        if quote is not None and end < self.n and self.low[end] in ("»", '"', "`", "'", "”", "“"):
            end_span = end + 1
        else:
            end_span = end
        words = self.words(j, end)
        if kind == "city":
            if len(words) == 1:
                name = noun_nominative(words[0])
            else:
                name = " ".join(cap_name(x) for x in words)
            if w in ("г", "гор") and j - i == 1:
                return None
            self.emit(i, end_span, "city", f"город {name}")
            return end_span
        inflect_nouns = kind == "settlement" and len(w) > 3 and w not in ("деревня", "село", "поселок", "хутор", "слобода", "микрорайон")
        name = canon_name(words, gender, inflect_nouns)
        if kind == "street" and len(words) == 1 and w not in ABBREVIATIONS and name == cap_name(words[0]):
            name = street_noun(words[0], w)  # "по улице Пучковке" -> "Пучковка"
        if canon == "СНТ":
            name = " ".join(words)
        self.emit(i, end_span, kind, f"{canon} {name}")
        if w in PLURAL_STREET:  # "между улицами Пионеров и Нижняя Луговая", "между домами улиц Союзная 51 и Союзная 53"
            k = self.houses_after(end_span)
            while k + 1 < self.n and self.low[k] in LIST_SEPARATORS and self.is_word(k + 1) and self.is_cap(k + 1):
                e = self.take_name(k + 1, False)
                if e == k + 1:
                    break
                e = self.street_name_more(k + 1, e, w)
                self.emit(k + 1, e, "street", f"улица {self.street_name(k + 1, e)}")
                k = self.houses_after(e)
            return k
        # a list of names after a singular type word: "на ул.Глинко, Чернышевского", "ул. Анциферовка, Какуринка, Заречка"
        if kind == "street" and end_span + 1 < self.n and self.low[end_span] in LIST_SEPARATORS and self.list_name(end_span + 1):
            return self.street_list(end_span, canon)
        # a house number right after a street: "ул. Ленина 5", "ул. Ленина, д. 5"
        if kind == "street":
            k = end_span
            if k < self.n and self.low[k] == ",":
                k += 1
            if k < self.n and self.low[k] in HOUSE:
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
        if j < self.n and self.low[j] in POST_QUALIFIERS:
            j += 1
        if j >= self.n or self.low[j] not in POST:
            return None
        what = POST[self.low[j]]
        genders = adjective_genders(self.toks[i].text)
        if not genders or self.toks[i].is_stop or w in NOT_NAME:
            return None
        end = self.skip_dot(j + 1) if self.low[j] in ("обл", "р-н", "окр") else j + 1
        text = self.toks[i].text
        if what == "region":
            if not self.is_cap(i) and not self.lower_doc:
                return None
            name = inflect_adjective(text, "femn") or cap_name(text)
            self.emit(i, end, "region", f"{name} область")
            return end
        okrug = district_named(self.region, text, "city_okrug")
        district = district_named(self.region, text, "district")
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
            name = inflect_adjective(text, "masc") or cap_name(text)
            self.emit(i, end, "district", f"{name} район")
        else:
            return None
        return end

    def unmarked(self, i: int, w: str) -> int | None:
        """Names without a type word: gazetteer places ('в Курске'), 'Орловская 12', 'на Союзной'."""
        t = self.toks[i]
        prev = self.low[i - 1] if i > 0 else ""
        if t.kind != "word" or not (self.cap[i] or self.lower_doc or prev in ADDRESS_WORDS or prev == ":"
                                    or self.region.street_keys(t.lemma)
                                    or prev in PREP_PLACE and self.region.surface_names(t.lemma)):
            return None  # a lower-case word of a mixed-case message names a place only as a pack street or an address
        if "-" in t.text and self.cap[i] and not t.text[:1].isdigit() and self.gazetteer(i) is None:
            nxt = self.route(i)  # «Курск-Теткино»; not «Усолье-Сибирское», a town of the pack
            if nxt is not None:
                return nxt
        lower_town = not (self.cap[i] or self.lower_doc) and prev in PREP_PLACE and name_like(w)
        if lower_town:  # «в братске по ул. Мира»: a town of the pack, lowercase, after a preposition
            gz = self.gazetteer(i, need_cap=False)
            gz = gz if gz is not None and gz[1] == "city" else None
        else:
            gz = self.gazetteer(i)
        if (gz is not None and gz[0] < self.n and STREET.get(self.low[gz[0]], ("",))[0] == "street"
                and not self.place_before_street(i, gz[0])):
            gz = None  # "Майского бульвара", "Полевой улице": the name of a street, not the village
        if gz is not None and gz[0] < self.n and self.low[gz[0]] in ("обл", "области", "область", "обл."):
            gz = None  # "Курск обл водоканал": the region, not the city
        if gz is not None and gz[3] and not lower_town and (prev not in PREP_PLACE or not self.is_cap(i)):
            gz = None  # a strict name («Парковая») is a place only after a preposition; else maybe a street
        if gz is not None:
            end, gkind, canonical, strict = gz
            # "Курчатов" as a surname after a first name: skip
            if i > 0 and self.is_word(i - 1) and self.is_cap(i - 1) and any("Name" in p.tag for p in morph.parse(self.low[i - 1])[:1]):
                return None
            if gkind == "city":
                self.emit(i, end, "city", f"город {canonical}")
            else:
                stype = self.region.settlement_type(canonical) or "посёлок"
                self.emit(i, end, "settlement", f"{stype} {canonical}")
            return end
        # a lowercase pack street: the next item of a street list («краснополянской и дружбы»), or a
        # feminine adjective standing alone after a preposition («с обоянской всё течёт»; not «по новой»)
        lower_ok = not self.is_cap(i) and (
            prev in ("и", ",", "-") and bool(self.out) and self.out[-1][2] == "street" and self.out[-1][1] == i - 1
            or (prev in STREET_PREP or prev in CROSSING) and t.lemma != "новый" and "femn" in (adjective_genders(t.text) or ())
            and not self.agreeing_noun_next(i))
        street = self.known_street(i, lower_ok)
        if street is not None:
            end, normal = street
            k = end + 1 if end < self.n and self.low[end] == "," else end
            house = self.house_at(k, marked=False) if k < self.n and self.toks[k].kind == "number" else None
            listed = (bool(self.out) and self.out[-1][2] == "street" and self.out[-1][1] in (i - 1, i - 2) and prev in ("и", ",")
                      and not self.noun_phrase_goes_on(end))
            one_common = end == i + 1 and common_noun(t.text) and not listed  # «Ленина и Мира»: a list's item may be a noun
            noun_next = end == i + 1 and end < self.n and self.is_word(end) and (
                not self.is_cap(end) and (self.agreeing_noun_next(i, ("NOUN",), 1) or self.low[end] in MARKERS)  # "на Советской площади"
                or len(self.toks[end].text) > 1 and self.toks[end].text.isupper())  # "на Курской АЭС"
            typed = STREET.get(self.low[end], ("",)) if end < self.n else ("",)
            if typed[0] == "street" and not adjective_genders(t.text) and not self.place_before_street(i, end):
                # the type word after a pack street's noun name, as address lists write it: "Ленина ул., д. 5"
                # (an adjective before a type word is read elsewhere, in the type word's gender)
                stop = self.skip_dot(end + 1)
                self.emit(i, stop, "street", f"{typed[1]} {normal.split(' ', 1)[1]}" if " " in normal else normal)
                k = stop + 1 if stop < self.n and self.low[stop] == "," else stop
                house = self.house_at(k, marked=False) if k < self.n and self.toks[k].kind == "number" else None
                if house is not None:
                    self.emit(k, house[0], "house", house[1])
                    return self.more_houses(house[0])
                return stop
            if house is not None or (k < self.n and self.low[k] in HOUSE and self.house_at(self.skip_dot(k + 1), True)):
                self.emit(i, end, "street", normal)
                if house is not None:
                    self.emit(k, house[0], "house", house[1])
                    return self.more_houses(house[0])
                return end
            toward = prev in TOWARD and not (self.region.district(t.text, "district", typos=False)  # not «в районе Курском»
                                             or self.region.district(t.text, "city_okrug", typos=False))
            if ((prev in STREET_PREP or prev in ADDRESS_WORDS or toward or prev == ":" or listed or lower_ok)
                    and not one_common and not noun_next):
                self.emit(i, end, "street", normal)
                return self.street_list(end, "улица")  # «а именно: Ленина, Кирова и Октябрьская»
        if ((prev in ADDRESS_WORDS or prev == ":" and i > 1 and self.low[i - 2] in ADDRESS_WORDS)
                and (self.is_cap(i) or i + 1 < self.n and self.toks[i + 1].kind == "number") and t.kind == "word"
                and w not in NOT_NAME and w not in MARKERS and w not in HOUSE):
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
        after_house = prev in (",", "и") and bool(self.out) and self.out[-1][2] == "house" and self.out[-1][1] == i - 1
        if (prev in STREET_PREP or prev in HOUSE_BEFORE_NAME or prev in ADDRESS_WORDS or after_house) and self.is_cap(i):
            nxt = self.street_before_house(i)
            if nxt is not None:
                return nxt
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
        after_na = i > 0 and self.is_cap(i) and (
            self.low[i - 1] in ("на", "по") and text_low.endswith(("ой", "ей"))
            # «выезжая с Институтской на Кавказскую»: a dictionary adjective, not a surname («от Ивановой»)
            or (self.low[i - 1] in ("с", "со", "от", "до") and text_low.endswith(("ой", "ей"))
                or self.low[i - 1] == "на" and text_low.endswith(("ую", "юю"))) and _dictionary_adjective(text_low))
        if not (before_number or after_na):
            return None
        genders = adjective_genders(t.text)
        if not genders or "femn" not in genders:
            return None
        if before_number:
            house = self.house_at(k, marked=False)
            if house is not None:
                name = inflect_adjective(t.text, "femn") or cap_name(t.text)
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
                # «на Советской площади», «с Центральной дирекцией»: the adjective's noun follows it, in its case;
                # a noun in the nominative starts the next clause («на Веспремской трава не скошена»)
                if any(p.tag.POS in ("NOUN", "ADJF") and p.tag.case != "nomn" for p in nparses[:2]) or self.is_cap(nxt):
                    return None
            # sentence-initial capital after "на" is impossible, so the capital marks a name
            name = inflect_adjective(t.text, "femn")
            if name:
                self.emit(i, i + 1, "street", f"улица {name}")
                return i + 1
        return None

    def route(self, i: int) -> int | None:
        """«маршрут Курск-Теткино», «трасса Рыльск-Конышевка»: the towns and villages of a route written as
        one hyphenated word, each a place of its own, when one of them is a town or village of the pack or
        a city of Russia (the resolver does not count them: a route is the region's, see
        :func:`~curnlp.places.municipality.route_stops`)."""
        t = self.toks[i]
        parts = t.text.split("-")
        if not all(len(p) >= 3 and p.isalpha() and p[0].isupper() for p in parts):
            return None
        found, at, known = [], t.start, 0
        for part in parts:
            lemma = morph.lemma(part.lower())
            hit = next((x for x in self.region.surface_names(lemma) if len(x[0]) == 1), None)
            other = None if hit else russia().match((lemma,), 0)
            city = next((x.city for x in other[1] if x.city), None) if other else None  # «Курск-Орёл»: a route names towns
            if hit is not None:
                stype = "город" if hit[1] == "city" else self.region.settlement_type(hit[2]) or "посёлок"
                found.append((at, at + len(part), "city" if hit[1] == "city" else "settlement", f"{stype} {hit[2]}"))
                known += 1
            elif city is not None:
                found.append((at, at + len(part), "city", f"город {city}"))
                known += 1
            elif (len(part) < 4 or part.isupper() or common_noun(part)
                  or any(g in p.tag for p in morph.parse(part.lower())[:1] for g in ("Name", "Surn", "Patr"))):
                return None  # «Ломакина-Карла»: a crossing of streets; «ДЕРИГЛАЗОВА-КЗТЗ», «Сах.завод»: not sure
            else:
                found.append((at, at + len(part), "settlement", f"населённый пункт {nominative(part)}"))
            at += len(part) + 1
        if not known:
            return None
        self.pieces.extend(found)
        self.used[i] = 1
        return i + 1

    def street_before_house(self, i: int) -> int | None:
        """«на Батова 2», «дома Островского 4», «во дворе Семеновской, 79», «(Григорова 42)», «по адресам
        Горняков 4, 6», «ул. Пигорева 22, Пигорева 24»: a name the pack does not know, written without a
        type word after a preposition, a house word, a bracket or another address, is a street when a
        house number follows it. The name reads as a
        street's: a surname in the genitive, an adjective, a word no dictionary knows, a first name
        with a surname («Карла Маркса»), a plural noun after «по адресу» («Горняков»); never a first
        name or patronymic alone («Анне Михайловне 07.02.1942»), an abbreviation or a common word."""
        t, low, n = self.toks[i], self.low, self.n
        if not any(self.toks[k].kind == "number" for k in range(i + 1, min(i + 5, n))):
            return None  # the cheap test first: no number close after the name
        if t.text.isupper() or low[i] in NOT_NAME or low[i] in MARKERS or low[i] in POST or t.is_stop:
            return None
        parses = morph.parse(low[i])[:4]
        if not parses:
            return None
        end = i + 1
        if "Name" in parses[0].tag or "Patr" in parses[0].tag:
            if not (end < n and self.is_word(end) and self.is_cap(end) and self.adjacent_words(i, end)
                    and any("Surn" in p.tag and p.tag.case == "gent" for p in morph.parse(low[end])[:4])):
                return None
            end += 1  # «Карла Маркса», «Розы Люксембург»
        elif not (any("Surn" in p.tag and p.tag.case == "gent" for p in parses)
                  or any(p.tag.POS == "ADJF" and p.tag.gender == "femn" for p in parses[:2])
                  or unknown_word(low[i]) and not any("Geox" in p.tag for p in parses[:1])
                  or low[i - 1] in ADDRESS_WORDS and parses[0].tag.POS == "NOUN" and parses[0].tag.number == "plur"):
            return None
        k = end + 1 if end < n and low[end] == "," else end
        marked = k < n and low[k] in ("д", "дом")
        if marked:
            k = self.skip_dot(k + 1)
        if k >= n or self.toks[k].kind != "number":
            return None
        house = self.house_at(k, marked=marked)
        if house is None:
            return None
        self.emit(i, end, "street", f"улица {self.street_name(i, end)}")
        self.emit(end + (low[end] == ",") if marked else k, house[0], "house", house[1])
        return self.more_houses(house[0])

    def place_before_street(self, i: int, k: int) -> bool:
        """'Курчатов ул. Гайдара', 'в Льгове улица Красная': the gazetteer name [i, k) is a place, not
        the name of the street type word at k, when its words are nouns and the type word has a name
        of its own after it (an adjective before it names the street: 'Майского бульвара')."""
        j = self.skip_dot(k + 1)
        if not (j < self.n and self.is_word(j) and (self.is_cap(j) or self.lower_doc) and self.low[j] not in NOT_NAME):
            return False
        return not any(self.toks[a].kind != "word" or adjective_genders(self.toks[a].text) for a in range(i, k))

    def village(self, i: int) -> int | None:
        """A settlement the pack does not know, after a place preposition: 'до Ивановки', 'в Верхних Лугах'."""
        t = self.toks[i]
        if t.kind != "word" or "-" in t.text and t.text[:1].isdigit():
            return None
        nxt = i + 1
        two = (nxt < self.n and self.is_word(nxt) and self.is_cap(nxt) and self.adjacent_words(i, nxt)
               and adjective_genders(t.text) and not adjective_genders(self.toks[nxt].text) and not self.toks[nxt].text.isupper()
               and self.toks[nxt].lemma not in NOT_VILLAGE and self.low[nxt] not in POST and self.low[nxt] not in MARKERS)
        if two:
            if any("Surn" in p.tag or "Name" in p.tag for p in morph.parse(self.low[nxt])[:1]):
                return None
            self.emit(i, nxt + 1, "settlement", f"населённый пункт {nominative(t.text)} {nominative(self.toks[nxt].text)}")
            return nxt + 1
        lemma = t.lemma
        low = self.low[i]
        if (low.endswith(("ском", "цком")) and self.low[i - 1] in ("в", "во") or low.endswith(("ского", "цкого"))
                and self.low[i - 1] in ("из", "до", "около", "возле")) and len(low) > 7 and unknown_word(low):
            # «в Голубицком»: a village named by a neuter adjective no dictionary knows, standing alone
            if (nxt < self.n and self.is_word(nxt) and (self.is_cap(nxt) or self.low[nxt] in POST or self.low[nxt] in MARKERS)
                    or self.agreeing_noun_next(i) or self.region.district(t.text, "district", typos=False)
                    or self.region.district(t.text, "city_okrug", typos=False)):
                return None
            name = inflect_adjective(t.text, "neut") or cap_name(low[:-2 if low.endswith("ом") else -3] + "ое")
            self.emit(i, i + 1, "settlement", f"населённый пункт {name}")
            return i + 1
        if len(lemma) < 5 or not lemma.endswith(VILLAGE_SUFFIXES[:7]) or lemma in NOT_VILLAGE:
            return None
        if nxt < self.n and self.is_word(nxt) and self.is_cap(nxt):
            return None  # "в Ивановке Петровой ..." or an organisation name: not sure
        parses = morph.parse(self.low[i])
        if parses and any(g in parses[0].tag for g in ("Surn", "Name", "Patr")):
            return None
        if parses and parses[0].tag.POS not in ("NOUN", None) and "Geox" not in parses[0].tag:
            return None
        self.emit(i, i + 1, "settlement", f"населённый пункт {nominative(t.text)}")
        return i + 1
