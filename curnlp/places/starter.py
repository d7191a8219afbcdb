"""Starting packs: a region pack for any subject of Russia, made from ``regions/russia.json``.

Five regions ship a curated pack; every other subject starts from what ``russia.json`` (derived
from city.csv of hflabs/city, CC BY-SA 4.0) knows of it: its capital, its towns, and the district
or urban okrug each town lies in. :func:`starting_pack` turns that into a pack dict of format
``curnlp-region/1``; :func:`curnlp.places.pack_for` loads it as a :class:`~curnlp.places.Region`.

What such a pack has, and what it lacks (also written into its ``provenance``):

* municipalities: the capital (``urban_okrug``, the default for messages that name only streets),
  each town directly under the region (``urban_okrug``), each district that has a town in city.csv
  (``district``, adjective from its name: «Канашский район» → «Канашский») with its towns (``city``),
  towns inside another town's urban okrug (Moscow oblast);
* administrations: generic strings («Администрация города Канаш», «Администрация Козловского
  района»), not the agencies' real names;
* no villages, no streets, no inner districts of the capital, no district without a town in
  city.csv, and the municipal structure of 2021 (later reforms are not in city.csv).

A region's archive adds them: ``learn_pack(archive, base=pack_for(NAME), agency=COLUMN)`` mines
its streets and villages, adds the districts its agencies name («Администрация Канашского
муниципального округа») and takes the administrations' real names (see ``docs/new_region.md``).

This module reads only the shipped ``russia.json`` (never city.csv) and makes plain dicts; it
imports no other module of :mod:`curnlp.places`, so :mod:`curnlp.places.packs` can use it.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Mapping

__all__ = ["SOURCE_PREFIX", "subject_named", "subject_names", "starting_pack"]

#: The file ``python -m curnlp.places.russia build`` writes (``curnlp.places.russia.DATA_FILE``;
#: not imported from there: russia imports packs, which imports this module).
_RUSSIA_JSON = Path(__file__).resolve().parent / "regions" / "russia.json"
#: ``Region.source`` of a starting pack: this prefix and the subject's official name. It starts
#: like a shipped pack's source («curnlp.places:»): a model trained with it names the subject
#: and loads it back with ``load_region``, nothing is embedded.
SOURCE_PREFIX = "curnlp.places:regions/russia.json#"

_LICENCE = ("Derived from regions/russia.json of curnlp, itself derived from city.csv of hflabs/city "
            "(https://github.com/hflabs/city, commit ae661bf, 2021-10-11; data from DaData), licensed under "
            "Creative Commons Attribution-ShareAlike 4.0 (https://creativecommons.org/licenses/by-sa/4.0/). "
            "This pack, as a derived work, is distributed under the same licence.")
_HAS = ("the capital, the towns of city.csv (2021) with the district or urban okrug each lies in, "
        "the subject's official and short names")
_LACKS = ("villages, streets, microdistricts and inner districts of the capital; districts with no town "
          "in city.csv; municipal reforms after 2021; the real names of the administrations")
_ADD = ("learn_pack(ARCHIVE, base=pack_for(NAME), agency=COLUMN) mines streets and villages from the "
        "region's archive (an agency or municipality column ties each to its municipality), adds the "
        "districts its agencies name and takes their real administration names; review the written pack "
        "and fix the rest by hand (docs/new_region.md)")
_ADMINISTRATIONS = ("generic: «Администрация города X», «Администрация X-ского района»; a region's archive "
                    "(learn_pack) or a person gives the real names")

# words that name the kind of a subject, and the abbreviations city.csv and people write for them
_ABBREVIATIONS = {"обл": ("область",), "респ": ("республика",), "ао": ("автономный", "округ"),
                  "аобл": ("автономная", "область"), "кр": ("край",), "г": (), "город": ()}
_KIND_WORDS = frozenset(("область", "республика", "край", "автономный", "автономная", "округ"))
_PUNCTUATION = str.maketrans({ch: " " for ch in "—–−/().,«»\"'"})
_CASES = ("gent", "datv", "accs", "ablt", "loct")
_FIXED_PARTS = frozenset(("Усть", "Спас"))


def _words(name: str) -> frozenset[str]:
    """A subject name as a set of words: case, ё, punctuation, order and abbreviations folded
    («Респ Саха /Якутия/» and «Республика Саха (Якутия)» give the same set)."""
    out: list[str] = []
    for word in name.lower().replace("ё", "е").translate(_PUNCTUATION).split():
        word = word.strip("-")
        if word:
            out.extend(_ABBREVIATIONS.get(word, (word,)))
    return frozenset(out)


class _Subjects:
    """The subjects of russia.json, by the word sets of every name they are written with."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.by_name: dict[str, dict] = {}
        full: dict[frozenset[str], set[str]] = {}
        core: dict[frozenset[str], set[str]] = {}
        for subject in data["subjects"]:
            official = subject["name"]
            self.by_name[official] = subject
            forms = [official, *official.split(" — "), *subject.get("aliases", ()), subject.get("csv_name", "")]
            for form in filter(None, forms):
                words = _words(form)
                full.setdefault(words, set()).add(official)
                if words - _KIND_WORDS:
                    core.setdefault(words - _KIND_WORDS, set()).add(official)
        self.full = full
        self.core = core

    def find(self, name: str) -> dict | None:
        words = _words(name)
        for table, key in ((self.full, words), (self.core, words - _KIND_WORDS)):
            found = table.get(key, ())
            if len(found) == 1:
                return self.by_name[next(iter(found))]
        return None


_lock = threading.Lock()
_subjects: list[_Subjects] = []


def _index() -> _Subjects:
    if not _subjects:
        with _lock:
            if not _subjects:
                with open(_RUSSIA_JSON, encoding="utf-8") as fh:
                    _subjects.append(_Subjects(json.load(fh)))
    return _subjects[0]


def subject_named(name: str) -> dict | None:
    """The russia.json entry of the subject ``name`` names, or None.

    Accepts the official name («Чувашская Республика — Чувашия»), a short or informal one
    («Чувашия», «Чувашская Республика», «Кузбасс»), city.csv's spellings («Чувашская Республика -
    Чувашия», «Респ Адыгея», «Курская обл», «Саха /Якутия/»), in any letter case and word order.
    """
    return _index().find(name) if isinstance(name, str) and name.strip() else None


def subject_names() -> tuple[str, ...]:
    """Official names of all 89 subjects, in the order of russia.json."""
    return tuple(_index().by_name)


def _genitive_adjective(adj: str) -> str:
    """'Канашский' -> 'Канашского', 'Мариинско-Посадский' -> 'Мариинско-Посадского'."""
    for end, gen in (("ний", "него"), ("ий", "ого"), ("ый", "ого"), ("ой", "ого")):
        if adj.endswith(end):
            return adj[: -len(end)] + gen
    return adj


def _inflect_word(word: str, case: str) -> str:
    from ..morph import parse

    if not word or not word[0].isupper():
        return word  # "на" of Ростов-на-Дону
    parses = parse(word.lower())
    best = next((p for p in parses if "Geox" in p.tag), None) or next(
        (p for p in parses if p.tag.case == "nomn" and p.tag.POS in ("NOUN", "ADJF")), None)
    form = best.inflect({case}) if best is not None else None
    if form is None:
        return word
    return form.word.upper() if word.isupper() else form.word[:1].upper() + form.word[1:]


def _case_forms(name: str) -> list[str]:
    """Case forms of a town's name that the lemma of its words may not fold back («Калаче-на-Дону»,
    «Светлом Яре», «в Шилове» beside the undeclined «в Шилово»). Adjective names («Мирный») are left
    out: their lemmas fold every case form."""
    if name.endswith(("ий", "ый", "ой", "ая", "яя", "ое", "ее")) and " " not in name and "-" not in name:
        return []
    forms = []
    for case in _CASES:
        words = []
        for word in name.split(" "):
            parts = word.split("-")
            if len(parts) > 1 and parts[1] == "на":  # only the first part declines
                parts = [_inflect_word(parts[0], case), *parts[1:]]
            else:  # «Усть-», «Спас-», «Дашково-» do not decline
                parts = [p if i < len(parts) - 1 and (p in _FIXED_PARTS or p.endswith("о")) else _inflect_word(p, case)
                         for i, p in enumerate(parts)]
            words.append("-".join(parts))
        forms.append(" ".join(words))
    if " " not in name and "-" not in name and name.lower().endswith(("ово", "ево", "ино", "ыно")):
        forms.append(name[:-1] + "е")
    return [f for f in dict.fromkeys(forms) if f != name]


def _town(name: str, kind: str, city: Mapping[str, Any], parent: str | None = None) -> dict:
    entry: dict[str, Any] = {"id": name, "name": name, "kind": kind, "administration": f"Администрация города {name}"}
    if parent is not None:
        entry["parent"] = parent
    variants = _case_forms(name)
    if variants:
        entry["variants"] = variants
    if city.get("common"):
        entry["strict"] = True  # «Орёл», «Шахты»: a common word, the town only after «г.» or «в»
    return entry


def _stem_shared(adjective: str, town: str) -> bool:
    """Is ``town`` the district's namesake centre («Козловский» / «Козловка», «Ядринский» / «Ядрин»)?"""
    a, t = adjective.lower().replace("ё", "е"), town.lower().replace("ё", "е").replace(" ", "-")
    n = 0
    while n < min(len(a), len(t)) and a[n] == t[n]:
        n += 1
    return n >= min(5, len(t) - 1)


def starting_pack(subject: Mapping[str, Any]) -> dict:
    """The pack dict (``curnlp-region/1``) of a russia.json subject entry (see :func:`subject_named`).

    Raises ``ValueError`` for a subject russia.json has no town of (city.csv of 2021 does not hold
    the four subjects admitted in 2022).
    """
    official = subject["name"]
    cities = list(subject.get("cities", ()))
    if subject.get("kind") == "federal_city":
        cities = [{"name": official, "capital": True}]  # the subject is its own city
    if not cities:
        raise ValueError(f"russia.json has no town of {official!r} (city.csv of 2021 does not hold it): "
                         f"write its pack by hand (curnlp/places/regions/README.md)")
    first = official.split()[0]
    adjective = first if first.endswith(("ая", "ий", "ый", "ой")) else ""
    munis: list[dict] = []
    districts: dict[str, dict] = {}
    towns: dict[str, dict] = {}
    capital = next((c for c in cities if c.get("capital")), None)
    # the capital first, then towns under the region, then districts with their towns
    ordered = sorted(cities, key=lambda c: (not c.get("capital"), "district" in c or "okrug" in c))
    for city in ordered:
        name = city["name"]
        if name in towns:
            continue  # one town per name (city.csv has no duplicates within a region)
        if "district" in city:
            dname = city["district"]
            district = districts.get(dname)
            if district is None:
                adj = dname.rsplit(" ", 1)[0]
                district = {"id": dname, "name": dname, "kind": "district", "adjective": adj,
                            "administration": f"Администрация {_genitive_adjective(adj)} района"}
                districts[dname] = district
                munis.append(district)
            if "centre" not in district and _stem_shared(district["adjective"], name):
                district["centre"] = name
            entry = _town(name, "city", city, parent=dname)
        elif "okrug" in city and city["okrug"] in towns:
            entry = _town(name, "city", city, parent=city["okrug"])
        else:
            entry = _town(name, "city" if subject.get("kind") == "federal_city" else "urban_okrug", city)
        if city is capital:
            entry["default_for_streets"] = True
        towns[name] = entry
        munis.append(entry)
    return {
        "format": "curnlp-region/1",
        "name": official,
        "title": f"{official} (стартовый пакет из russia.json)",
        "region": {"name": official, "adjective": adjective,
                   "administration": f"Органы государственной власти: {official}"},
        "provenance": {
            "built_by": "curnlp.places.pack_for",
            "from": "curnlp/places/regions/russia.json (city.csv of hflabs/city, data as of 2021)",
            "has": _HAS, "lacks": _LACKS, "how_to_add": _ADD, "administrations": _ADMINISTRATIONS,
            "capital": capital["name"] if capital else None,
            "towns": len(towns), "districts": len(districts),
        },
        "licence": {"city_csv_part": "CC BY-SA 4.0", "notice": _LICENCE},
        "municipalities": munis,
        "settlements": [],
        "streets": [],
    }
