"""The regions and cities of Russia, and the detector of messages about another region.

* :data:`SUBJECTS`: the 89 federal subjects with their official names and the short or
  informal names people write («Татарстан», «Подмосковье», «Кузбасс», «Питер»);
* ``regions/russia.json``: those subjects (with city.csv's spelling of each) and their cities (with the
  district or urban okrug a town lies in), built by
  ``python -m curnlp.places.russia build`` from ``city.csv`` of hflabs/city (CC BY-SA 4.0;
  the file says where it comes from and carries the licence);
* :func:`detect_other_region`: whether a normalized message is about a place in a region
  other than the home region pack's, with the evidence and its offsets.

The detector only reports a place where the problem is: «в Белгороде», «г. Белгород,
ул. Щорса», «Шебекино Белгородской области», «Воронеж, ул. Плехановская». Passing mentions
do not count: roads and routes («трасса Курск — Белгород», «рейс на Москву»), directions
(«уехал в Москву», «из Воронежа»), comparisons («как в Москве»), adjectives («московское
время», «ул. Московская», «Воронежское шоссе»), streets and people named after a city
(«ул. Кирова», «Орлов»), organization names («Сбербанк г. Москва»). A city name that is
also a common word («Мирный», «Шахты», «Луга») needs a type word («г.», «город»); a name
the home pack knows («Железногорск» is in Kursk and Krasnoyarsk krai) is the home place,
unless another region is named right after it («Железногорск Красноярского края»); when a
home place is mentioned anywhere, the message is taken as the home region's.
"""
from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .packs import name_key

__all__ = ["Subject", "SUBJECTS", "OtherRegion", "RussiaIndex", "detect_other_region", "russia",
           "build", "DATA_FILE", "default_city_csv"]

#: The shipped derived file (built by :func:`build`).
DATA_FILE = Path(__file__).resolve().parent / "regions" / "russia.json"
FORMAT = "curnlp-russia/1"


@dataclass(frozen=True, slots=True)
class Subject:
    """A federal subject: official name, kind, the ``region`` value of city.csv, other names."""

    name: str
    kind: str                       # republic, krai, oblast, federal_city, autonomous_oblast, autonomous_okrug
    csv_region: str | None          # the `region` column of city.csv (None: not in it, e.g. DNR)
    aliases: tuple[str, ...] = ()   # short or informal names matched like the official one

    def to_dict(self) -> dict:
        """A JSON-serializable dict."""
        return {"name": self.name, "kind": self.kind, "aliases": list(self.aliases)}


def _s(name: str, kind: str, csv_region: str | None, *aliases: str) -> Subject:
    return Subject(name, kind, csv_region, aliases)


#: The 89 federal subjects of the Russian Federation (Constitution, art. 65, as of 2022).
SUBJECTS: tuple[Subject, ...] = (
    # republics (24)
    _s("Республика Адыгея", "republic", "Адыгея", "Адыгея"),
    _s("Республика Алтай", "republic", "Алтай", "Горный Алтай"),
    _s("Республика Башкортостан", "republic", "Башкортостан", "Башкортостан", "Башкирия"),
    _s("Республика Бурятия", "republic", "Бурятия", "Бурятия"),
    _s("Республика Дагестан", "republic", "Дагестан", "Дагестан"),
    _s("Донецкая Народная Республика", "republic", None, "ДНР"),
    _s("Республика Ингушетия", "republic", "Ингушетия", "Ингушетия"),
    _s("Кабардино-Балкарская Республика", "republic", "Кабардино-Балкарская", "Кабардино-Балкария", "КБР"),
    _s("Республика Калмыкия", "republic", "Калмыкия", "Калмыкия"),
    _s("Карачаево-Черкесская Республика", "republic", "Карачаево-Черкесская", "Карачаево-Черкесия", "КЧР"),
    _s("Республика Карелия", "republic", "Карелия", "Карелия"),
    _s("Республика Коми", "republic", "Коми"),
    _s("Республика Крым", "republic", "Крым", "Крым"),
    _s("Луганская Народная Республика", "republic", None, "ЛНР"),
    _s("Республика Марий Эл", "republic", "Марий Эл", "Марий Эл"),
    _s("Республика Мордовия", "republic", "Мордовия", "Мордовия"),
    _s("Республика Саха (Якутия)", "republic", "Саха /Якутия/", "Якутия", "Республика Саха", "Республика Якутия"),
    _s("Республика Северная Осетия — Алания", "republic", "Северная Осетия - Алания", "Северная Осетия",
       "Республика Северная Осетия", "Осетия"),
    _s("Республика Татарстан", "republic", "Татарстан", "Татарстан", "Татария"),
    _s("Республика Тыва", "republic", "Тыва", "Тыва", "Тува"),
    _s("Удмуртская Республика", "republic", "Удмуртская", "Удмуртия"),
    _s("Республика Хакасия", "republic", "Хакасия", "Хакасия"),
    _s("Чеченская Республика", "republic", "Чеченская", "Чечня"),
    _s("Чувашская Республика — Чувашия", "republic", "Чувашская Республика", "Чувашская Республика", "Чувашия"),
    # krais (9)
    _s("Алтайский край", "krai", "Алтайский"),
    _s("Забайкальский край", "krai", "Забайкальский", "Забайкалье"),
    _s("Камчатский край", "krai", "Камчатский", "Камчатка"),
    _s("Краснодарский край", "krai", "Краснодарский", "Кубань"),
    _s("Красноярский край", "krai", "Красноярский"),
    _s("Пермский край", "krai", "Пермский", "Прикамье"),
    _s("Приморский край", "krai", "Приморский", "Приморье"),
    _s("Ставропольский край", "krai", "Ставропольский", "Ставрополье"),
    _s("Хабаровский край", "krai", "Хабаровский"),
    # oblasts (48)
    *(_s(f"{adj} область", "oblast", adj, *extra) for adj, *extra in (
        ("Амурская", "Приамурье"), ("Архангельская",), ("Астраханская",), ("Белгородская", "Белгородчина"),
        ("Брянская", "Брянщина"), ("Владимирская",), ("Волгоградская",), ("Вологодская", "Вологодчина"),
        ("Воронежская",), ("Ивановская",), ("Иркутская",), ("Калининградская",), ("Калужская",),
        ("Кировская",), ("Костромская",), ("Курганская",), ("Курская",), ("Ленинградская", "Ленобласть"),
        ("Липецкая",), ("Магаданская",), ("Московская", "Подмосковье"), ("Мурманская",),
        ("Нижегородская",), ("Новгородская",), ("Новосибирская",), ("Омская",), ("Оренбургская",),
        ("Орловская", "Орловщина"), ("Пензенская",), ("Псковская", "Псковщина"), ("Ростовская",),
        ("Рязанская", "Рязанщина"), ("Самарская",), ("Саратовская",), ("Сахалинская", "Сахалин"),
        ("Свердловская",), ("Смоленская", "Смоленщина"), ("Тамбовская", "Тамбовщина"), ("Тверская",),
        ("Томская",), ("Тульская",), ("Тюменская",), ("Ульяновская",), ("Челябинская",), ("Ярославская",))),
    _s("Запорожская область", "oblast", None),
    _s("Херсонская область", "oblast", None, "Херсонщина"),
    _s("Кемеровская область — Кузбасс", "oblast", "Кемеровская область - Кузбасс", "Кемеровская область",
       "Кузбасс"),
    # cities of federal significance (3)
    _s("Москва", "federal_city", "Москва", "Мск"),
    _s("Санкт-Петербург", "federal_city", "Санкт-Петербург", "Петербург", "Питер", "СПб", "Санкт Петербург"),
    _s("Севастополь", "federal_city", "Севастополь"),
    # autonomous oblast (1) and okrugs (4)
    _s("Еврейская автономная область", "autonomous_oblast", "Еврейская", "ЕАО"),
    _s("Ненецкий автономный округ", "autonomous_okrug", "Ненецкий", "НАО"),
    _s("Ханты-Мансийский автономный округ — Югра", "autonomous_okrug", "Ханты-Мансийский Автономный округ - Югра",
       "Ханты-Мансийский автономный округ", "ХМАО", "Югра"),
    _s("Чукотский автономный округ", "autonomous_okrug", "Чукотский", "Чукотка"),
    _s("Ямало-Ненецкий автономный округ", "autonomous_okrug", "Ямало-Ненецкий", "ЯНАО", "Ямал"),
)

# Short words written for the region nouns («Белгородская обл.», «Респ. Коми», «ХМАО»)
_NOUN_ABBR = {"область": ("обл",), "край": ("кр",), "республика": ("респ",), "автономный округ": ("ао",)}

#: Region adjectives whose «... район» is also a district of a city elsewhere
_DISTRICT_AMBIGUOUS = frozenset({"Московская", "Ленинградская", "Приморский", "Пермский", "Алтайский",
                                 "Красноярский", "Хабаровский", "Ставропольский"})

#: Cities that are also better known by a short name (the short name points to the city).
_CITY_SHORT = {"Ростов-на-Дону": ("Ростов",), "Петропавловск-Камчатский": ("Петропавловск",),
               "Комсомольск-на-Амуре": ("Комсомольск",), "Нижний Новгород": ("Н. Новгород",),
               "Южно-Сахалинск": ("Южный Сахалинск",)}


# ---------------------------------------------------------------------------------------
# Building the shipped file from city.csv
# ---------------------------------------------------------------------------------------

def default_city_csv() -> Path:
    """``$CURNLP_CITY_CSV``, else ``../shared/data/russia-cities/city.csv`` next to the repository."""
    env = os.environ.get("CURNLP_CITY_CSV")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "russia-cities" / "city.csv"


def _city_name(row: Mapping[str, str]) -> str:
    """The city's name: the ``city`` column, else ``settlement``, else the last part of ``address``."""
    if row.get("city"):
        return row["city"]
    if row.get("settlement"):
        return row["settlement"]
    last = row["address"].split(",")[-1].strip()
    return last[2:].strip() if last.startswith("г ") else last


#: Capitals that city.csv does not mark (capital_marker 0 on the capital's row).
_CAPITALS = {"Республика Крым": "Симферополь"}
#: How city.csv's address writes a region of each ``region_type`` (used when the file has no
#: address of that region with the region in it: only its capital, written «г Горно-Алтайск»).
_CSV_REGION_FORMS = {"Респ": "Респ {}", "обл": "{} обл", "край": "{} край", "АО": "{} АО", "Аобл": "{} Аобл",
                     "г": "г {}"}


def _csv_name(row: Mapping[str, str]) -> tuple[str, bool]:
    """The region as city.csv's address writes it («Курская обл», «Респ Адыгея», «Чувашская Республика -
    Чувашия») and True; or, for a capital's row («г Горно-Алтайск»), the form built from the region's
    type and False."""
    first = row["address"].split(",")[0].strip()
    if "," in row["address"] and not first.startswith("г "):
        return first, True
    form = _CSV_REGION_FORMS.get(row["region_type"])
    return (form.format(row["region"]) if form else ""), False


def _one_csv_name(names: set[tuple[str, bool]]) -> dict:
    """``{"csv_name": ...}``: the form of the addresses (the rows of a region agree on one), else the
    form built from the region's type; {} for a subject city.csv does not hold."""
    written = sorted(n for n, from_address in names if n and from_address)
    built = sorted(n for n, from_address in names if n and not from_address)
    return {"csv_name": (written or built)[0]} if written or built else {}


def _area(row: Mapping[str, str], name: str) -> dict:
    """Where a town lies below the region: ``{"district": "Козловский район"}`` (a district, «улус» in
    Yakutia) or ``{"okrug": "Наро-Фоминск"}`` (a town inside the urban okrug of another town); {} for a
    town directly under the region (an urban okrug in most regions)."""
    area, kind = row.get("area", "").strip(), row.get("area_type", "").strip()
    if not area or area == name:
        return {}
    if kind == "р-н":
        return {"district": f"{area} район"}
    if kind == "у":
        return {"district": f"{area} улус"}
    if kind == "г":
        return {"okrug": area}
    return {}


_ADJ_ENDINGS = ("ый", "ий", "ой", "ое", "ее", "ая", "яя")


def _common_word(name: str) -> str | None:
    """What a one-word city name is first of all when not a place: ``"adj"`` for an adjective
    («Мирный», «Грозный», «Белый»: only «г. Мирный» / «город Мирный» names the city), ``"word"``
    for a common noun, first name or surname («Шахты», «Зима», «Владимир», «Чехов»: named by
    «в Шахтах», «г. Шахты», not by a capital letter at the start of a message), else None."""
    from ..morph import parse

    if " " in name or "-" in name:
        return None
    parses = parse(name.lower())
    if not parses or "Geox" in parses[0].tag:
        return None
    return "adj" if name.lower().endswith(_ADJ_ENDINGS) else "word"


def build(city_csv: str | os.PathLike[str] | None = None, output: str | os.PathLike[str] | None = None,
          *, commit: str = "ae661bf") -> Path:
    """Write ``regions/russia.json`` from :data:`SUBJECTS` and ``city.csv``; returns its path.

    Every city row is attached to its subject by the csv's ``region`` column; a row whose
    region is not in :data:`SUBJECTS` is an error (the table and the data disagree).
    """
    src = Path(city_csv) if city_csv is not None else default_city_csv()
    out = Path(output) if output is not None else DATA_FILE
    raw = src.read_bytes()
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    by_csv = {s.csv_region: s for s in SUBJECTS if s.csv_region}
    cities: dict[str, list[dict]] = {s.name: [] for s in SUBJECTS}
    csv_names: dict[str, set[tuple[str, bool]]] = {s.name: set() for s in SUBJECTS}
    for row in rows:
        subject = by_csv.get(row["region"])
        if subject is None:
            raise ValueError(f"{src}: region {row['region']!r} ({row['address']}) is not in SUBJECTS")
        csv_names[subject.name].add(_csv_name(row))
        name = _city_name(row)
        if name == subject.name:  # Москва, Санкт-Петербург, Севастополь: the subject itself
            continue
        entry: dict = {"name": name, "population": int(row["population"] or 0)}
        if row.get("capital_marker") in ("2", "3") or _CAPITALS.get(subject.name) == name:
            entry["capital"] = True
        area = _area(row, name)
        if area:
            entry.update(area)
        common = _common_word(name)
        if common:
            entry["common"] = common
        if name in _CITY_SHORT:
            entry["variants"] = list(_CITY_SHORT[name])
        cities[subject.name].append(entry)
    data = {
        "format": FORMAT,
        "source": "hflabs/city, file city.csv, commit ae661bf (2021-10-11), https://github.com/hflabs/city; "
                  "data other than population and foundation year from the DaData service",
        "source_commit": commit,
        "source_sha256": hashlib.sha256(raw).hexdigest(),
        "license": "CC BY-SA 4.0 (Creative Commons Attribution-ShareAlike 4.0 International, "
                   "https://creativecommons.org/licenses/by-sa/4.0/). This file is derived from city.csv of "
                   "hflabs/city (region and city names as the file writes them, population, capital marker, "
                   "the district or urban okrug a town lies in) and is shared under the same licence.",
        "generated_by": "python -m curnlp.places.russia build (curnlp/places/russia.py); subject names and "
                        "aliases are curnlp's own table, as is the capital of a subject whose row in city.csv "
                        "has no capital marker (" + ", ".join(f"{c}: {s}" for s, c in _CAPITALS.items()) + ")",
        "subjects": [{**s.to_dict(), **_one_csv_name(csv_names[s.name]),
                      "cities": sorted(cities[s.name], key=lambda c: -c["population"])}
                     for s in SUBJECTS],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out


# ---------------------------------------------------------------------------------------
# The index: lemma keys of every region and city name
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Name:
    key: tuple[str, ...]
    region: str           # official name of the subject
    city: str | None      # the city's name, None for a region name
    population: int
    common: str | None    # "adj" (named only after «г.»/«город») or "word" (not at a message start)
    explicit: bool        # a region named with its noun («Белгородская область», «Республика Коми»)


class RussiaIndex:
    """Region and city names of Russia by the lemma of their first word (see :func:`russia`)."""

    def __init__(self, data: Mapping) -> None:
        self.source = data.get("source", "")
        self.subjects = tuple(s["name"] for s in data["subjects"])
        names: dict[tuple[str, ...], list[_Name]] = {}

        def add(key: tuple[str, ...], item: _Name) -> None:
            if key:
                names.setdefault(key, []).append(item)

        for subject in data["subjects"]:
            official = subject["name"]
            forms = [official.split(" — ")[0], *subject.get("aliases", ())]
            for form in forms:
                key = name_key(form)
                explicit = any(noun in key for noun in ("область", "край", "республика", "округ"))
                # a city of federal significance is a city too («г. Москва», «в г. Москве»)
                city = official if subject.get("kind") == "federal_city" and not explicit else None
                add(key, _Name(key, official, city, 10 ** 9, None, explicit))
                for noun, abbrs in _NOUN_ABBR.items():
                    nkey = name_key(noun)
                    at = _find(key, nkey)
                    if at >= 0:
                        for abbr in abbrs:
                            add(key[:at] + (abbr,) + key[at + len(nkey):],
                                _Name(key, official, None, 10 ** 9, None, True))
            # «Белгородский район»: the district named like its oblast / krai lies in it
            # (not «Московский район», «Ленинградский район»: city districts elsewhere bear these names)
            first_word = official.split()[0]
            if subject.get("kind") in ("oblast", "krai") and first_word not in _DISTRICT_AMBIGUOUS:
                adj = name_key(first_word)
                for noun in ("район", "р-н"):
                    add(adj + (noun,), _Name(adj + (noun,), official, None, 10 ** 9, None, True))
            for city in subject.get("cities", ()):
                for form in (city["name"], *city.get("variants", ())):
                    key = name_key(form)
                    # the name as written too: its lemma can be another word's («Ковров» -> «ковровый»)
                    keys = {key, tuple(form.lower().replace("ё", "е").split())} if " " not in form else {key}
                    for k in keys:
                        add(k, _Name(k, official, city["name"], city["population"], city.get("common"), False))
        self._by_first: dict[str, list[tuple[tuple[str, ...], list[_Name]]]] = {}
        for key, items in names.items():
            items.sort(key=lambda n: -n.population)  # most populous first (regions before cities)
            self._by_first.setdefault(key[0], []).append((key, items))
        for entries in self._by_first.values():
            entries.sort(key=lambda e: -len(e[0]))
        #: lemmas that start some name (most words start none: the detector matches only these)
        self.first_lemmas = frozenset(self._by_first)

    def match(self, lemmas: Sequence[str], i: int) -> tuple[int, list[_Name]] | None:
        """The longest name starting at lemma ``i``: (number of tokens, candidates), or None.
        A dot between the words of a name is skipped («Н.Новгород», «Н. Новгород»)."""
        n = len(lemmas)
        for key, items in self._by_first.get(lemmas[i], ()):
            k = i
            for part in key:
                if k > i and k < n and lemmas[k] == ".":
                    k += 1
                if k >= n or lemmas[k] != part:
                    break
                k += 1
            else:
                return k - i, items
        return None


def _find(seq: tuple[str, ...], sub: tuple[str, ...]) -> int:
    for i in range(len(seq) - len(sub) + 1):
        if seq[i:i + len(sub)] == sub:
            return i
    return -1


_lock = threading.Lock()
_indexes: dict[str, RussiaIndex] = {}


def russia(path: str | os.PathLike[str] | None = None) -> RussiaIndex:
    """The index of ``regions/russia.json`` (or ``path``), built once per process."""
    where = str(Path(path) if path is not None else DATA_FILE)
    index = _indexes.get(where)
    if index is None:
        with _lock:
            index = _indexes.get(where)
            if index is None:
                with open(where, encoding="utf-8") as fh:
                    index = _indexes[where] = RussiaIndex(json.load(fh))
    return index


# ---------------------------------------------------------------------------------------
# The detector
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OtherRegion:
    """A place of the problem outside the home region.

    ``region`` is the official name of the subject («Белгородская область», «Москва»),
    ``city`` the city named (None when only the region is), ``evidence`` the words as
    written, ``start``/``end`` their offsets in the ORIGINAL message.
    """

    region: str
    city: str | None
    evidence: str
    start: int
    end: int

    def to_dict(self) -> dict:
        """A JSON-serializable dict."""
        return {"region": self.region, "city": self.city, "evidence": self.evidence,
                "start": self.start, "end": self.end}


_CITY_MARKERS = frozenset({"г", "город", "гор", "гп"})
_STREET_MARKERS = frozenset({"ул", "улица", "пр", "пр-т", "проспект", "пер", "переулок", "мкр", "микрорайон",
                             "бульвар", "б-р", "наб", "набережная", "пл", "площадь", "проезд", "шоссе", "ш",
                             "тупик", "д", "дом", "кв", "квартира", "район", "р-н", "село", "с", "деревня",
                             "поселок", "пос", "п", "снт", "жк"})
_PLACE_WORDS = frozenset({"район", "р-н", "округ", "область", "обл", "край"})
_LOCATIVE_PREPS = frozenset({"в", "во", "на"})
_AWAY_PREPS = frozenset({"из", "до", "от", "через", "к", "ко", "с", "со", "под", "за", "про", "о", "об", "по",
                         "между", "для", "после"})
_COMPARISON = frozenset({"как", "чем", "словно", "будто", "подобно", "например", "типа", "вроде", "лучше",
                         "хуже", "хотя"})
_ORG_WORDS = frozenset({"банк", "сбербанк", "сбер", "втб", "ооо", "оао", "зао", "пао", "ао", "филиал", "компания",
                        "почта", "офис", "министерство", "минздрав", "управление", "суд", "прокуратура",
                        "губернатор", "правительство", "администрация", "власть", "мэр", "мэрия", "дума",
                        "житель", "жительница", "представительство", "завод", "фирма", "магазин", "склад",
                        "ип", "рейс", "автобус", "поезд", "электричка", "маршрут", "трасса", "дорога",
                        "направление", "номер", "код", "время", "регистрация", "прописка", "студент",
                        "университет", "институт", "колледж", "клиника", "центр", "федерация", "цур"})
#: verbs of where a person lives or goes, not where the problem is («Живу в Москве, а у мамы в Льгове ...»)
_ELSEWHERE_VERBS = frozenset({"жить", "проживать", "прописать", "прописанный", "зарегистрировать", "родиться",
                              "учиться", "работать", "служить", "переехать", "уехать", "приехать", "отдыхать",
                              "лечиться", "ездить", "поехать", "съездить", "побывать", "бывать"})
#: a city this big is meant by its name even when the name is a common adjective («Волжский, ул. Мира»)
_BIG_CITY = 100_000
_DASHES = frozenset({"-", "—", "–", "−", "/"})
_CLAUSE_END = frozenset({".", "!", "?", ";", "\n"})


def _is_locative(token_text: str, lemma: str) -> bool:
    from ..morph import parse

    for p in parse(token_text.lower()):
        if ("loct" in p.tag or "loc2" in p.tag) and p.normal_form.replace("ё", "е") == lemma:
            return True
    return False


def _indeclinable(token_text: str, lemma: str) -> bool:
    """«в Иваново», «в Людиново»: names in -ово/-ево/-ино/-ыно are often left undeclined."""
    low = token_text.lower().replace("ё", "е")
    return low == lemma and low.endswith(("ово", "ево", "ино", "ыно"))


def _case_is(token_text: str, lemma: str, cases: Iterable[str]) -> bool:
    from ..morph import parse

    return any(p.normal_form.replace("ё", "е") == lemma and any(c in p.tag for c in cases)
               for p in parse(token_text.lower()))


_STREET_ONLY = _STREET_MARKERS - {"район", "р-н", "село", "с", "деревня", "поселок", "пос", "п"}


@functools.lru_cache(maxsize=64)
def _region_key(name: str) -> tuple[str, ...]:
    return name_key(name)


def _home_spans(tokens: Sequence, lemmas: Sequence[str], home) -> list[tuple[int, int, str]]:
    """Token spans (i, j, kind) naming places of the home pack: its cities and settlements,
    its districts («Курского района»), its region («Курской области»)."""
    spans: list[tuple[int, int, str]] = []
    region_key = _region_key(home.region_name)
    n = len(lemmas)
    for i in range(n):
        if tuple(lemmas[i:i + len(region_key)]) == region_key or (
                lemmas[i] == region_key[0] and i + 1 < n and lemmas[i + 1] == "обл"):
            spans.append((i, i + 2, "region"))
            continue
        before = _previous_word(tokens, lemmas, i)
        if before >= 0 and lemmas[before] in _STREET_ONLY:
            continue  # «ул. Курчатова» is a street, not the town Курчатов
        if before >= 0 and lemmas[before] == "из" and not (before > 0 and lemmas[before - 1] in ("писать", "обращаться")):
            continue  # «я из Курска, живу в Москве, в Москве ... яма»: the writer's origin, not the problem's place
        for key, kind, _canonical, strict in home.surface_names(lemmas[i]):
            if tuple(lemmas[i:i + len(key)]) == key:
                if strict and not (i > 0 and (lemmas[i - 1] in _LOCATIVE_PREPS or lemmas[i - 1] in _AWAY_PREPS
                                              or lemmas[i - 1] in _STREET_MARKERS or lemmas[i - 1] in _CITY_MARKERS
                                              or (i > 1 and lemmas[i - 1] == "." and
                                                  lemmas[i - 2] in _STREET_MARKERS | _CITY_MARKERS))):
                    continue
                if not tokens[i].text[:1].isupper() and strict:
                    continue
                spans.append((i, i + len(key), kind))
                break
        if i + 1 < n and lemmas[i + 1] in ("район", "р-н", "округ") and tokens[i].kind == "word" \
                and lemmas[i].endswith(("ский", "цкий", "ской")):
            if home.district(tokens[i].text, "district" if lemmas[i + 1] != "округ" else "city_okrug"):
                spans.append((i, i + 2, "district"))
    return spans


def _previous_word(tokens: Sequence, lemmas: Sequence[str], i: int) -> int:
    """Index of the word before ``i`` skipping a dot after an abbreviation («г.», «ул.»), or -1."""
    j = i - 1
    if j >= 0 and tokens[j].text == ".":
        j -= 1
    return j


def _address_follows(tokens: Sequence, lemmas: Sequence[str], j: int, width: int = 4) -> bool:
    """Whether a street, house, district or region word comes within ``width`` tokens after ``j``."""
    return any(lemmas[k] in _STREET_MARKERS or lemmas[k] in _PLACE_WORDS
               for k in range(j, min(len(tokens), j + width)))


def _located(tokens: Sequence, lemmas: Sequence[str], i: int, j: int, name: _Name, clean: str) -> str | None:
    """Why the mention at tokens ``i:j`` is the place of the problem, or None for a passing one."""
    n = len(tokens)
    prev = _previous_word(tokens, lemmas, i)
    before = {lemmas[k] for k in range(max(0, i - 4), i)}
    address = _address_follows(tokens, lemmas, j)
    if before & _COMPARISON:
        return None
    # where the writer lives or goes is not the problem's place, unless an address follows
    # («Живу в Москве, а у мамы в Льгове ...», but «Проживаю в г. Брянск, ул. Красноармейская 100»)
    if before & _ELSEWHERE_VERBS and not address:
        return None
    # a road or a route: «Курск — Белгород», «Москва-Курск»
    if (i > 0 and tokens[i - 1].text in _DASHES) or (j < n and tokens[j].text in _DASHES):
        return None
    if prev >= 0 and lemmas[prev] in _AWAY_PREPS:
        # «Пишу из Орла, у нас ...»: the writer's place
        if not (lemmas[prev] == "из" and prev > 0 and lemmas[prev - 1] in ("писать", "обращаться")):
            return None
    # a street named after the place («ул. Кирова», «проспект Победы»)
    elif prev >= 0 and lemmas[prev] in _STREET_MARKERS - {"район", "р-н"}:
        return None
    org = bool(before & _ORG_WORDS)
    first = tokens[i]
    if prev >= 0 and lemmas[prev] in _CITY_MARKERS and name.city is not None:
        if org:
            return None
        before_marker = _previous_word(tokens, lemmas, prev)
        if before_marker >= 0 and lemmas[before_marker] in _AWAY_PREPS:
            return None
        if _case_is(first.text, lemmas[i], ("accs",)) and not _case_is(first.text, lemmas[i], ("nomn", "loct", "gent")):
            return None  # «в г. Москву»
        if before_marker >= 0 and lemmas[before_marker] in _LOCATIVE_PREPS:
            marker = tokens[prev].text.lower()
            if marker.startswith("город"):  # «в городе Рязань» / «в городе Рязани», not «в город Рязань»
                if not _is_locative(marker, "город"):
                    return None
            elif not _is_locative(first.text, lemmas[i]) and not address:
                return None  # «в г. Москву», «в г. Рязань»: a direction; «в г. Брянск, ул. ...» is a place
        return "city"
    if prev >= 0 and (lemmas[prev] in _LOCATIVE_PREPS or lemmas[prev] == "из"):
        if org or not (_is_locative(first.text, lemmas[i]) or _indeclinable(first.text, lemmas[i])) \
                and lemmas[prev] != "из":
            return None
        if name.common == "adj":
            return None  # «в Мирном», «в Белом доме»: villages and words share these names
        return "in"
    if org:
        return None
    # a big city's inner district: «Кировский округ Омска», «в Советском районе Омска»
    if name.city is not None and name.population >= _BIG_CITY and prev >= 0 and lemmas[prev] in ("округ", "район") \
            and _case_is(first.text, lemmas[i], ("gent",)):
        return "address"
    # a region named after a place («Шебекино Белгородской области», «Россошь Воронежской обл.»)
    if name.city is None and name.explicit and prev >= 0 and (
            tokens[prev].kind == "number" or lemmas[prev] in _PLACE_WORDS or tokens[prev].text[:1].isupper()):
        if tokens[prev].kind == "word" and lemmas[prev] not in _PLACE_WORDS and \
                not _case_is(first.text, lemmas[i], ("gent",)):
            return None
        return "address"
    # an address: the name opens the message or a clause, and a street, house or district follows
    opens = i == 0 or tokens[i - 1].text in _CLAUSE_END or tokens[i - 1].text in (",", ":", "(") or \
        "\n" in clean[tokens[i - 1].stop:first.start]
    if not opens or not _case_is(first.text, lemmas[i], ("nomn",)):
        return None
    if address and name.common is None:
        return "address"  # «Воронеж ул. Плехановская 5»
    if (name.common == "word" or name.population >= _BIG_CITY) and j + 1 < n and tokens[j].text in (",", ":") \
            and lemmas[j + 1] in _STREET_MARKERS:
        return "address"  # «Находка, ул. Постышева», «Волжский, ул. Мира 50», not «Орлова Мария, ул. ...»
    if name.common is None and i == 0 and j < n and tokens[j].text in (",", ".", ":", "\n"):
        return "address"  # «Смоленск. Нет воды ...»
    if name.common is None and name.population >= _BIG_CITY and i > 0 and tokens[i - 1].text == "," \
            and (j == n or tokens[j].text in _CLAUSE_END):
        return "address"  # a big city closes the address: «ул. Ленина 5, яма у подъезда, Омск»
    return None


def detect_other_region(doc, home=None, *, index: RussiaIndex | None = None) -> OtherRegion | None:
    """The place of the problem when it is outside ``home``, else None.

    Parameters
    ----------
    doc : curnlp.normalize.Normalized
        The normalized message.
    home : curnlp.places.Region or None
        The home region pack. Its places win: a message naming one of them anywhere is
        the home region's. With None, any region found is reported.
    index : RussiaIndex, optional
        The names of Russia (default: the shipped ``regions/russia.json``).
    """
    index = index or russia()
    tokens = doc.tokens
    if not tokens:
        return None
    # only the words that can start a name of the index are matched (a few per message)
    first = index.first_lemmas
    starts = [i for i, t in enumerate(tokens) if t.lemma in first and t.kind == "word"]
    if not starts:
        return None
    lemmas = [t.lemma for t in tokens]
    home_name = home.region_name if home is not None else None
    found: list[tuple[int, int, _Name, str]] = []
    end = 0  # a name ends at token `end`: the next one starts there or later
    for i in starts:
        if i < end:
            continue
        m = index.match(lemmas, i)
        if m is None:
            continue
        length, names = m
        j = i + length
        names = [nm for nm in names if nm.region != home_name]
        # a lowercase city name that is also a common word is the word («шахты», «мирный»)
        if names and names[0].city is not None and names[0].common and not tokens[i].text[:1].isupper():
            names = []
        if names:
            why = _located(tokens, lemmas, i, j, names[0], doc.clean)
            if why is not None:
                found.append((i, j, names[0], why))
        end = j
    if not found:
        return None
    # the home pack's places are looked for only now: most messages name no other region
    home_spans = _home_spans(tokens, lemmas, home) if home is not None else []
    if home_spans:
        # a home place wins, unless it is an ambiguous city named with the other region right after it
        ambiguous = []
        for a, b, kind in home_spans:
            nxt = next((f for f in found if f[0] == b and f[2].city is None and f[2].explicit), None)
            if nxt is not None and kind == "city" and index.match(lemmas, a) is not None:
                ambiguous.append(nxt)
        if len(ambiguous) != len(home_spans):
            return None
        found = ambiguous
    # the first explicit region or city; a region named after a city of it refines nothing
    i, j, name, _why = found[0]
    start, end = doc.span_to_original(tokens[i].start, tokens[j - 1].stop)
    city = name.city
    if city is None:
        # «г. Шебекино Белгородской области»: the city before the region is the one named
        for f in found[1:]:
            if f[2].region == name.region and f[2].city is not None:
                city = f[2].city
                break
    return OtherRegion(region=name.region, city=city, evidence=doc.original[start:end], start=start, end=end)


# ---------------------------------------------------------------------------------------
# Command line: python -m curnlp.places.russia build [--city-csv PATH] [-o FILE]
# ---------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m curnlp.places.russia",
                                     description="build regions/russia.json from city.csv (hflabs/city, CC BY-SA 4.0)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="write the Russia-wide list of regions and cities")
    p.add_argument("--city-csv", default=None, help="city.csv (default: $CURNLP_CITY_CSV or "
                                                    "../shared/data/russia-cities/city.csv next to the repository)")
    p.add_argument("-o", "--output", default=None, help=f"output file (default: {DATA_FILE})")
    args = parser.parse_args(argv)
    out = build(args.city_csv, args.output)
    data = json.loads(out.read_text(encoding="utf-8"))
    n_cities = sum(len(s["cities"]) for s in data["subjects"])
    print(f"{out}: {len(data['subjects'])} subjects, {n_cities} cities", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
