"""Region packs: a gazetteer of municipalities and settlements with the administration
responsible for each (the resolver that uses them is :mod:`curnlp.places.municipality`).

A pack is one JSON file (format ``curnlp-region/1``, documented in ``regions/README.md`` next to
this module). ``load_region("kursk")`` loads the pack shipped with curnlp;
``load_region("/path/to/pack.json")`` loads a user's own pack; any other name of a subject of
Russia (``load_region("Чувашская Республика")``) loads its starting pack, :func:`pack_for`
(made by :mod:`curnlp.places.starter` from ``regions/russia.json``). Packs are parsed once and
cached; a loaded :class:`Region` is immutable and safe to share between threads.

Errors: a missing, unreadable or malformed pack raises :class:`RegionPackError`, a
subclass of :class:`curnlp.errors.CorpusError` (hence also of ``ValueError``); arguments
of the wrong type raise :class:`curnlp.errors.InvalidInput`.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import CorpusError, InvalidInput, describe
from . import starter

__all__ = [
    "Region", "Municipality", "Settlement", "Street", "RegionPackError", "load_region", "pack_for", "name_key",
    "FORMAT",
]

#: The pack format this version reads.
FORMAT = "curnlp-region/1"
MUNICIPALITY_KINDS = ("city", "city_okrug", "urban_okrug", "district")
SETTLEMENT_TYPES = ("город", "село", "деревня", "посёлок", "хутор", "слобода", "микрорайон", "СНТ")
STREET_TYPES = ("улица", "проспект", "переулок", "проезд", "шоссе", "бульвар", "площадь", "набережная", "тупик")
#: where a pack entry comes from: written by a person, or mined from an archive by learn_pack
ENTRY_SOURCES = ("curated", "mined")



class RegionPackError(CorpusError):
    """A region pack is missing, unreadable or malformed (also a ``ValueError``)."""


@lru_cache(maxsize=20_000)
def name_key(name: str) -> tuple[str, ...]:
    """Matching key of a place name: the curnlp lemmas of its words (case, ё, inflection folded).

    >>> name_key("Курске") == name_key("Курск")
    True
    """
    if name.isalpha():  # one word of letters is one token: its lemma, without normalizing (pack loading)
        from ..morph import lemma
        return (lemma(name),)
    from ..normalize import normalize  # local: keeps import of curnlp.places light

    return tuple(t.lemma for t in normalize(name).tokens if t.kind in ("word", "number"))


@dataclass(frozen=True, slots=True)
class Municipality:
    """A unit with its own administration: a city, an inner city okrug, an urban okrug or a district."""

    id: str
    name: str
    kind: str
    administration: str
    parent: str | None = None       # id of the enclosing municipality (okrug -> city, town -> district)
    adjective: str | None = None    # "Курский" for "Курский район", "Сеймский" for "Сеймский округ"
    centre: str | None = None       # name of a district's administrative centre
    variants: tuple[str, ...] = ()  # names of the place itself ("Курск") for unmarked matching
    strict: bool = False            # match the name only after a type word ("г.", "город")
    default_for_streets: bool = False
    #: numbered landmarks that only this municipality has: {"школа": 15} = a school numbered 15 or more
    numbered_landmarks: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Settlement:
    """A settlement or microdistrict and the municipality (id) responsible for it."""

    name: str
    type: str
    municipality: str
    variants: tuple[str, ...] = ()
    strict: bool = False
    district_centre: bool = False
    source: str = "curated"
    count: int = 0


@dataclass(frozen=True, slots=True)
class Street:
    """A street of the region: ``municipality`` is the id responsible for it, or None when the
    name is shared by several municipalities (still known as a street for extraction)."""

    name: str
    type: str
    municipality: str | None
    source: str = "curated"
    count: int = 0


@dataclass(frozen=True, eq=False)
class Region:
    """A loaded region pack with its lookup indexes (read-only after construction)."""

    name: str
    title: str
    region_name: str
    region_adjective: str
    administration: str
    municipalities: Mapping[str, Municipality]
    settlements: tuple[Settlement, ...]
    source: str
    #: human-readable names of topic-group codes (``"0"`` -> ``"Дороги и дорожное хозяйство"``)
    groups: Mapping[str, str] = field(default_factory=dict)
    streets: tuple[Street, ...] = ()
    #: how the pack was made and what it lacks (the pack's free-form ``provenance`` object)
    provenance: Mapping[str, Any] = field(repr=False, default_factory=dict)
    # indexes (built in load)
    _by_adjective: Mapping[tuple[str, str], str] = field(repr=False, default_factory=dict)
    _cities: Mapping[tuple[str, ...], tuple[str, ...]] = field(repr=False, default_factory=dict)
    _settlements: Mapping[tuple[str, ...], tuple[Settlement, ...]] = field(repr=False, default_factory=dict)
    _surface: Mapping[str, tuple[tuple[tuple[str, ...], str, str, bool], ...]] = field(repr=False, default_factory=dict)
    _admins: Mapping[tuple[str, ...], str] = field(repr=False, default_factory=dict)
    _streets: Mapping[tuple[str, ...], tuple[Street, ...]] = field(repr=False, default_factory=dict)
    _street_surface: Mapping[str, tuple[tuple[str, ...], ...]] = field(repr=False, default_factory=dict)

    # -- lookups -------------------------------------------------------------
    def district(self, adjective: str, kind: str = "district", typos: bool = True) -> Municipality | None:
        """The district (``kind='district'``) or inner okrug (``'city_okrug'``) named by an adjective
        (with ``typos``, a long adjective within two letters of one: «Зотухинского»)."""
        key = name_key(adjective)
        if not key:
            return None
        mid = self._by_adjective.get((kind, key[0]))
        if mid is None and typos and len(key[0]) >= 9:  # typos: "Зотухинского", "Железногооский"
            close = [m for (k, lem), m in self._by_adjective.items() if k == kind and _within_two_edits(lem, key[0])]
            mid = close[0] if len(close) == 1 else None
        return self.municipalities[mid] if mid else None

    def city(self, name: str) -> Municipality | None:
        """The city / urban okrug / town municipality called ``name`` (any case form)."""
        ids = self._cities.get(name_key(name))
        return self.municipalities[ids[0]] if ids else None

    def city_like(self, name: str) -> Municipality | None:
        """:meth:`city`, else the one town whose one-word name is within two letters of a long
        ``name`` (8 letters or more: «Новочебоксарк», «Железногоск»); None when none or several."""
        found = self.city(name)
        key = name_key(name)
        if found is not None or len(key) != 1 or len(key[0]) < 8:
            return found
        close = {ids[0] for k, ids in self._cities.items() if len(k) == 1 and _within_two_edits(k[0], key[0])}
        return self.municipalities[close.pop()] if len(close) == 1 else None

    def settlements_named(self, name: str) -> tuple[Settlement, ...]:
        """Settlements called ``name`` (several when the name repeats across districts)."""
        return self._settlements.get(name_key(name), ())

    def surface_names(self, first_lemma: str) -> tuple[tuple[tuple[str, ...], str, str, bool], ...]:
        """Gazetteer names starting with ``first_lemma`` as (key, kind, canonical, strict), longest first.

        ``kind`` is ``city`` or ``settlement``; used by the extractor for names without a type word.
        """
        return self._surface.get(first_lemma, ())

    def streets_named(self, name: str) -> tuple[Street, ...]:
        """Streets of the pack called ``name`` (any case form, without the type word)."""
        return self._streets.get(name_key(name), ())

    def streets_like(self, name: str) -> tuple[Street, ...]:
        """:meth:`streets_named`, else the streets whose name differs by a typo: «50-лет Октября» is
        «50 лет Октября»; one word of 6 letters or more may differ by one letter but not the first
        («Липкнехта», «Дзержинкого»; two letters from 12), the other words must agree. The resolver's lookup; the
        extractor finds names by :meth:`street_keys`, exactly."""
        return streets_like(self, name)

    def street_keys(self, first_lemma: str) -> tuple[tuple[str, ...], ...]:
        """Keys of street names starting with ``first_lemma``, longest first (for the extractor)."""
        return self._street_surface.get(first_lemma, ())

    def by_administration(self, agency: str) -> Municipality | None:
        """The municipality whose administration is ``agency`` ("Администрация г. Обояни" works too)."""
        return self.municipalities.get(self._admins.get(_admin_key(agency), ""))

    def settlement_type(self, name: str) -> str | None:
        """The type ("село", "посёлок", ...) of a known settlement, else None."""
        found = self.settlements_named(name)
        return found[0].type if found else None


@lru_cache(maxsize=4096)
def district_named(region: Region, adjective: str, kind: str) -> Municipality | None:
    """``region.district(adjective, kind)``, cached: an adjective the pack does not know is compared
    with every district name for typos (an edit distance in Python), and the same words recur."""
    return region.district(adjective, kind)


@lru_cache(maxsize=4096)
def streets_like(region: Region, name: str) -> tuple[Street, ...]:
    """:meth:`Region.streets_like`, cached (a street name recurs, and a miss compares it with every street)."""
    key = name_key(name)
    key = tuple(part for word in key  # «50-лет» is «50 лет»; «3-я» stays one word
                for part in (word.split("-", 1) if word[:1].isdigit() and word.partition("-")[2] in ("год", "лет", "летие") else (word,)))
    found = region._streets.get(key, ())
    if found or not key:
        return found
    close: list[Street] = []
    for other, streets in region._streets.items():
        if len(other) != len(key) or other == key:
            continue
        typo = [(a, b) for a, b in zip(key, other) if a != b]
        if (len(typo) == 1 and len(typo[0][0]) >= 6 and typo[0][0][0] == typo[0][1][0]
                and _within_two_edits(*typo[0], 1 if len(typo[0][0]) < 12 else 2)):
            close.extend(streets)
    return tuple(close)


def _within_two_edits(a: str, b: str, edits: int = 2) -> bool:
    """Levenshtein distance of a and b is at most ``edits`` (2 by default)."""
    if abs(len(a) - len(b)) > edits:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1] <= edits


def _admin_key(agency: str) -> tuple[str, ...]:
    key = name_key(agency.replace("г.", "город ").replace("`", " "))
    return tuple(w for w in key if w not in ("администрация", "город", "г"))


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------

#: the shipped packs (``curnlp/places/regions/*.json``)
_PACKS = resources.files("curnlp.places").joinpath("regions")
_cache: dict[Any, Region] = {}
_starting: dict[str, Region] = {}  # pack_for's packs by official subject name (at most 89)
_cache_lock = threading.Lock()


def load_region(name_or_path: str | os.PathLike = "kursk") -> Region:
    """Load a region pack by name (shipped with curnlp, e.g. ``"kursk"``) or from a JSON file path;
    any other name of a subject of Russia gives its starting pack (:func:`pack_for`).

    Packs are cached per name (per path and modification time for files).

    Raises
    ------
    InvalidInput
        ``name_or_path`` is not a str or path.
    RegionPackError
        No such pack or subject, unreadable JSON or a pack that breaks the format.
    """
    if isinstance(name_or_path, Region):
        return name_or_path
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise InvalidInput(f"expected a region name or a path, got {describe(name_or_path)}")
    raw = os.fspath(name_or_path)
    is_path = isinstance(name_or_path, os.PathLike) or raw.endswith(".json") or os.sep in raw or "/" in raw
    if is_path:
        path = Path(raw)
        try:
            key: Any = ("path", str(path.resolve()), path.stat().st_mtime_ns)
        except OSError as exc:
            if isinstance(name_or_path, str) and not raw.endswith(".json") and starter.subject_named(raw):
                return _starting_region(raw)  # «Респ Саха /Якутия/» is a name, not a path
            raise RegionPackError(f"cannot read region pack {raw!r}: {exc}") from exc
    else:
        key = ("name", raw)
    region = _cache.get(key)
    if region is not None:
        return region
    if not is_path and not (raw.isidentifier() and _PACKS.joinpath(f"{raw}.json").is_file()):
        return _starting_region(raw)
    with _cache_lock:
        region = _cache.get(key)
        if region is None:
            if is_path:
                try:
                    text = Path(raw).read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise RegionPackError(f"cannot read region pack {raw!r}: {exc}") from exc
                source = raw
            else:
                text = _PACKS.joinpath(f"{raw}.json").read_text(encoding="utf-8")
                source = f"curnlp.places:regions/{raw}.json"
            region = _parse_pack(text, source)
            _cache[key] = region
    return region


def _starting_region(raw: str) -> Region:
    """:func:`pack_for` for a name that is neither a shipped pack nor a file. Not kept in ``_cache``
    under the name as written (any number of spellings): pack_for keeps one pack per subject."""
    if starter.subject_named(raw) is None:
        shipped = sorted(p.name[:-5] for p in _PACKS.iterdir() if p.name.endswith(".json") and p.name != "russia.json")
        raise RegionPackError(f"unknown region pack {raw!r}: not a shipped pack ({', '.join(shipped)}), "
                              f"a pack file or a subject of Russia")
    return pack_for(raw)


def pack_for(subject: str) -> Region:
    """A starting pack for any subject of Russia: its capital, its towns with their districts or
    urban okrugs, and its names (for the check of messages about other regions).

    ``subject`` is the official name («Чувашская Республика — Чувашия»), a short one («Чувашия»,
    «Чувашская Республика») or city.csv's spelling («Чувашская Республика - Чувашия», «Респ
    Адыгея», «Курская обл»). The pack is made from ``regions/russia.json`` (derived from city.csv,
    CC BY-SA 4.0) by :func:`curnlp.places.starter.starting_pack`; it is usable wherever a pack is:
    ``locate(text, region=pack_for(...))``, ``train(region=...)``, ``learn_pack(base=...)``, and by
    its name with ``load_region`` and the CLI's ``--region``. A subject with a curated pack
    («kursk») gets its starting pack here too: load the curated one by its pack name.

    It LACKS villages, streets, microdistricts, inner districts of the capital, districts without a
    town in city.csv, reforms after 2021, and real administration names (they are generic:
    «Администрация города Канаш»); ``Region.provenance`` says so too. To add them, mine the region's
    archive with its agency or municipality column: ``learn_pack(archive, base=pack_for(NAME),
    agency=COLUMN)`` (it also adds the districts the agencies name and their real administration
    names), review, save with ``write_pack`` (``docs/new_region.md``).

    >>> reg = pack_for("Чувашия")
    >>> reg.region_name, reg.city("Канаше").kind, reg.city("Козловка").parent
    ('Чувашская Республика — Чувашия', 'urban_okrug', 'Козловский район')

    Raises
    ------
    InvalidInput
        ``subject`` is not a str.
    RegionPackError
        ``subject`` names no subject of Russia, or one with no town in russia.json (the four
        subjects admitted in 2022, not in city.csv of 2021).
    """
    if not isinstance(subject, str):
        raise InvalidInput(f"expected the name of a subject of Russia, got {describe(subject)}")
    entry = starter.subject_named(subject)
    if entry is None:
        raise RegionPackError(f"{subject!r} names no subject of Russia (official, short or city.csv name)")
    official = entry["name"]
    region = _starting.get(official)
    if region is None:
        with _cache_lock:
            region = _starting.get(official)
            if region is None:
                try:
                    data = starter.starting_pack(entry)
                except ValueError as exc:
                    raise RegionPackError(str(exc)) from exc
                region = _parse_pack(json.dumps(data, ensure_ascii=False), starter.SOURCE_PREFIX + official)
                _starting[official] = region
    return region


def _req(obj: Mapping, key: str, where: str, typ: type = str) -> Any:
    value = obj.get(key)
    if not isinstance(value, typ) or (typ is str and not value.strip()):
        raise RegionPackError(f"{where}: field {key!r} must be a non-empty {typ.__name__}, got {value!r}")
    return value


def _str_list(obj: Mapping, key: str, where: str) -> tuple[str, ...]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise RegionPackError(f"{where}: field {key!r} must be a list of non-empty strings")
    return tuple(value)


def _parse_pack(text: str, source: str) -> Region:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegionPackError(f"{source}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise RegionPackError(f"{source}: the pack must be a JSON object")
    if data.get("format") != FORMAT:
        raise RegionPackError(f"{source}: expected \"format\": {FORMAT!r}, got {data.get('format')!r}")
    name = _req(data, "name", source)
    region_obj = data.get("region")
    if not isinstance(region_obj, dict):
        raise RegionPackError(f"{source}: field 'region' must be an object")
    munis: dict[str, Municipality] = {}
    raw_munis = data.get("municipalities")
    if not isinstance(raw_munis, list) or not raw_munis:
        raise RegionPackError(f"{source}: field 'municipalities' must be a non-empty list")
    for i, m in enumerate(raw_munis):
        where = f"{source}: municipalities[{i}]"
        if not isinstance(m, dict):
            raise RegionPackError(f"{where} must be an object")
        mid = _req(m, "id", where)
        if mid in munis:
            raise RegionPackError(f"{where}: duplicate id {mid!r}")
        kind = _req(m, "kind", where)
        if kind not in MUNICIPALITY_KINDS:
            raise RegionPackError(f"{where}: kind {kind!r} is not one of {MUNICIPALITY_KINDS}")
        adjective = m.get("adjective")
        if kind in ("district", "city_okrug") and not (isinstance(adjective, str) and adjective.strip()):
            raise RegionPackError(f"{where}: a {kind} needs an 'adjective' (e.g. 'Курский')")
        munis[mid] = Municipality(
            id=mid, name=_req(m, "name", where), kind=kind, administration=_req(m, "administration", where),
            parent=m.get("parent"), adjective=adjective, centre=m.get("centre"),
            variants=_str_list(m, "variants", where), strict=bool(m.get("strict", False)),
            default_for_streets=bool(m.get("default_for_streets", False)),
            numbered_landmarks=_landmarks(m, where))
    for m in munis.values():
        if m.parent is not None and m.parent not in munis:
            raise RegionPackError(f"{source}: municipality {m.id!r} has unknown parent {m.parent!r}")
    settlements = []
    for where, s in _objects(data, "settlements", source):
        stype = _typed(s, where, SETTLEMENT_TYPES)
        muni = _req(s, "municipality", where)
        if muni not in munis:
            raise RegionPackError(f"{where}: unknown municipality {muni!r}")
        settlements.append(Settlement(
            name=_req(s, "name", where), type=stype, municipality=muni, variants=_str_list(s, "variants", where),
            strict=bool(s.get("strict", False)), district_centre=bool(s.get("district_centre", False)),
            source=_source(s, where), count=_count(s, where)))
    streets = []
    for where, s in _objects(data, "streets", source):
        stype = _typed(s, where, STREET_TYPES)
        muni = s.get("municipality")
        if muni is not None and muni not in munis:
            raise RegionPackError(f"{where}: unknown municipality {muni!r}")
        streets.append(Street(name=_req(s, "name", where), type=stype, municipality=muni,
                              source=_source(s, where), count=_count(s, where)))

    by_adj: dict[tuple[str, str], str] = {}
    cities: dict[tuple[str, ...], list[str]] = {}
    sets: dict[tuple[str, ...], list[Settlement]] = {}
    surface: dict[str, list[tuple[tuple[str, ...], str, str, bool]]] = {}
    admins: dict[tuple[str, ...], str] = {}

    def add_surface(key: tuple[str, ...], kind: str, canonical: str, strict: bool) -> None:
        if key:
            entry = (key, kind, canonical, strict)
            bucket = surface.setdefault(key[0], [])
            if entry not in bucket:
                bucket.append(entry)

    for m in munis.values():
        admins.setdefault(_admin_key(m.administration), m.id)
        if m.adjective:
            akey = name_key(m.adjective)
            if akey:
                by_adj[(m.kind if m.kind == "city_okrug" else "district", akey[0])] = m.id
        if m.kind in ("city", "urban_okrug"):
            for variant in {m.name, *m.variants}:
                key = name_key(variant)
                cities.setdefault(key, []).append(m.id)
                add_surface(key, "city", m.name, m.strict)
    for s in settlements:
        for variant in {s.name, *s.variants}:
            key = name_key(variant)
            sets.setdefault(key, []).append(s)
            add_surface(key, "settlement", s.name, s.strict)
    street_index: dict[tuple[str, ...], list[Street]] = {}
    street_surface: dict[str, set[tuple[str, ...]]] = {}
    for st in streets:
        key = name_key(st.name)
        if key:
            street_index.setdefault(key, []).append(st)
            street_surface.setdefault(key[0], set()).add(key)
    region_adj = region_obj.get("adjective", "")
    groups = data.get("groups", {})
    if not isinstance(groups, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                               for k, v in groups.items()):
        raise RegionPackError(f"{source}: field 'groups' must map group codes to non-empty names")
    return Region(
        groups=dict(groups),
        name=name, title=str(data.get("title", name)), region_name=_req(region_obj, "name", f"{source}: region"),
        region_adjective=region_adj if isinstance(region_adj, str) else "",
        administration=str(region_obj.get("administration", "")), municipalities=munis,
        settlements=tuple(settlements), source=source, _by_adjective=by_adj,
        _cities={k: tuple(v) for k, v in cities.items()},
        _settlements={k: tuple(v) for k, v in sets.items()},
        _surface={k: tuple(sorted(v, key=lambda e: -len(e[0]))) for k, v in surface.items()},
        _admins=admins, streets=tuple(streets),
        provenance=dict(data["provenance"]) if isinstance(data.get("provenance"), dict) else {},
        _streets={k: tuple(v) for k, v in street_index.items()},
        _street_surface={k: tuple(sorted(v, key=lambda e: (-len(e), e))) for k, v in street_surface.items()})


def _objects(data: Mapping, key: str, source: str) -> Iterable[tuple[str, Mapping]]:
    """(where, object) for each item of an optional list of objects ``data[key]``."""
    raw = data.get(key, [])
    if not isinstance(raw, list):
        raise RegionPackError(f"{source}: field {key!r} must be a list")
    for i, obj in enumerate(raw):
        where = f"{source}: {key}[{i}]"
        if not isinstance(obj, dict):
            raise RegionPackError(f"{where} must be an object")
        yield where, obj


def _typed(obj: Mapping, where: str, types: tuple[str, ...]) -> str:
    value = _req(obj, "type", where)
    if value not in types:
        raise RegionPackError(f"{where}: type {value!r} is not one of {types}")
    return value


def _landmarks(obj: Mapping, where: str) -> dict[str, int]:
    value = obj.get("numbered_landmarks", {})
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
                                              and v > 0 for k, v in value.items()):
        raise RegionPackError(f"{where}: 'numbered_landmarks' must map a landmark kind to a positive int")
    return dict(value)


def _source(obj: Mapping, where: str) -> str:
    value = obj.get("source", "curated")
    if value not in ENTRY_SOURCES:
        raise RegionPackError(f"{where}: source {value!r} is not one of {ENTRY_SOURCES}")
    return value


def _count(obj: Mapping, where: str) -> int:
    value = obj.get("count", 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RegionPackError(f"{where}: count must be a non-negative integer, got {value!r}")
    return value
