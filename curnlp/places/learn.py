"""A region pack learned from an archive of messages: :func:`learn_pack`.

The miner reads typed mentions only («ул. Союзная», «д. Духовец», «в селе Клюква … Курского
района»): a type word makes the kind certain, so the extractor's gazetteer is not needed to
find them. Each mention is paired with the municipality of its message:

* the municipality the TEXT names (an explicit district/okrug, a town, a settlement the base
  pack knows), resolved with :func:`~curnlp.places.municipality.resolve_municipality`;
* else the municipality of the responsible agency, when the archive has an agency column and
  the agency is a territorial one («Администрация Льговского района», «Комитет … города Курска»).

A message whose text and agency disagree is skipped. An entry is written when it was seen at
least ``min_count`` times and one municipality holds at least ``min_share`` of its mentions
(streets below the share are still written, with ``"municipality": null``: a known street
name, no municipality). A settlement mentioned together with its district in the same message
counts twice (the district is stated, not inferred). Inner okrugs count for their city; the
посёлки («пос. Северный») of a city agency go to the city (its villages do not). «К. Маркса» and «Карла
Маркса» share their votes.

From a starting pack (:func:`~curnlp.places.pack_for`, which knows only the districts that have a
town) the miner also adds the districts the agencies name («Администрация Канашского муниципального
округа» → «Канашский район», administration as written; ``"source": "mined"``) before mining, and
replaces a generic administration name («Администрация города Шумерля») by the agency the archive
writes for that municipality when seen ``min_count`` times.

The result is a pack dict (format ``curnlp-region/1``): the base pack's curated entries, then
the mined ones marked ``"source": "mined"`` with their ``"count"``, for a person to review.
"""
from __future__ import annotations

import csv
import json
import os
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import CorpusError, InvalidInput, describe
from .lexicon import SETTLEMENT, STREET
from .locations import extract_locations
from .municipality import resolve_municipality
from .packs import FORMAT, Region, load_region, name_key
from .starter import SOURCE_PREFIX, starting_pack, subject_named

__all__ = ["learn_pack", "write_pack"]

_STREET_TYPES = {v[1] for v in STREET.values()}
_RURAL_TYPES = ("село", "деревня", "посёлок", "хутор", "слобода")
_CITY_OF = re.compile(r"(?:города|г\.)\s*([А-ЯЁ][а-яё-]+)")
# «Администрация Канашского муниципального округа», «Администрация Ядринского района»
_DISTRICT_AGENCY = re.compile(r"Администрация\s+([А-ЯЁ][а-яё-]+(?:ского|цкого))\s+(?:муниципального\s+)?(?:района|округа)")


def _marker(text: str) -> str | None:
    """The type word a mention starts with («ул.», «деревни»), lower-case, or None."""
    first = re.split(r"[\s.]", text.strip(), maxsplit=1)[0].lower().replace("ё", "е")
    return first if first in STREET or first in SETTLEMENT else None


def _agency_municipality(region: Region, agency: str) -> str | None:
    """The municipality id a territorial agency works for, or None (regional bodies, others)."""
    if not agency:
        return None
    m = region.by_administration(agency)
    if m is None:
        found = _CITY_OF.search(agency)  # "Комитет дорожного хозяйства города Курска"
        if found and "област" not in agency.lower():
            m = region.city(found.group(1))
    return m.id if m is not None else None


def _root(region: Region, mid: str) -> str:
    """Inner okrugs count for their city."""
    m = region.municipalities[mid]
    return m.parent if m.kind == "city_okrug" and m.parent else mid


def _related(region: Region, a: str, b: str) -> bool:
    if a == b:
        return True
    ma, mb = region.municipalities[a], region.municipalities[b]
    return ma.parent == b or mb.parent == a


def _read_archive(archive: Any, text: str, agency: str | None) -> Iterable[tuple[str, str]]:
    if isinstance(archive, (str, os.PathLike)):
        path = Path(archive)
        if not path.is_file():
            raise CorpusError(f"archive {str(path)!r} does not exist")
        csv.field_size_limit(10**9)
        with open(path, encoding="utf-8-sig", newline="") as f:
            sample = f.read(65536)
            f.seek(0)
            try:
                dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            reader = csv.DictReader(f, dialect=dialect)
            if reader.fieldnames is None or text not in reader.fieldnames:
                raise CorpusError(f"archive {str(path)!r} has no column {text!r} (columns: {reader.fieldnames})")
            if agency is not None and agency not in reader.fieldnames:
                raise CorpusError(f"archive {str(path)!r} has no column {agency!r}")
            for row in reader:
                yield row[text] or "", (row[agency] or "") if agency else ""
        return
    if isinstance(archive, (bytes, Mapping)) or not isinstance(archive, Iterable):
        raise InvalidInput(f"expected a CSV path or an iterable of messages, got {describe(archive)}")
    for item in archive:
        if isinstance(item, str):
            yield item, ""
        elif isinstance(item, tuple) and len(item) == 2 and all(isinstance(x, str) for x in item):
            yield item
        else:
            raise InvalidInput(f"expected messages as str or (text, agency) pairs, got {describe(item)}")


def learn_pack(archive: Any, base: Region | str = "kursk", *, text: str = "Текст Сообщения",
               agency: str | None = "Ответственное лицо", min_count: int = 2, min_share: float = 0.8,
               command: str | None = None) -> dict:
    """Mine streets and settlements from an archive into a region pack dict for review.

    Parameters
    ----------
    archive : path or iterable
        A CSV file (delimiter sniffed) with a ``text`` column (and an ``agency`` column), or an
        iterable of texts or ``(text, agency)`` pairs.
    base : Region or str
        The pack to extend; its curated entries are kept as they are, its mined ones are
        dropped and mined afresh.
    agency : str or None
        Column of the responsible agency (``None``: use the texts alone).
    min_count, min_share : int, float
        An entry needs ``min_count`` mentions, and a municipality needs ``min_share`` of them.
    command : str, optional
        The command that made the pack, stored in its ``provenance``.

    Raises
    ------
    CorpusError
        The archive is missing or lacks a column.
    InvalidInput
        Arguments of the wrong type or out of range.
    """
    if not isinstance(min_count, int) or min_count < 1:
        raise InvalidInput(f"min_count must be a positive int, got {min_count!r}")
    if not isinstance(min_share, (int, float)) or not 0.5 < min_share <= 1:
        raise InvalidInput(f"min_share must be in (0.5, 1], got {min_share!r}")
    region = load_region(base)
    raw_base = _base_data(region)
    rows = list(_read_archive(archive, text, agency))
    starting = region.source.startswith(SOURCE_PREFIX)
    if starting:  # a starting pack knows only the districts with a town: add those its agencies name
        raw_base["municipalities"] = [*raw_base["municipalities"], *_agency_districts(region, rows, min_count)]
    # extraction with the curated part only, so that mined entries never feed themselves
    curated = _curated_region(raw_base)
    streets: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    street_names: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    settlements: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    settlement_names: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    messages = used = 0
    agencies: dict[str, Counter] = defaultdict(Counter)
    for msg, label in rows:
        messages += 1
        if starting and label:
            mid = _agency_municipality(curated, label)
            if mid is not None:
                agencies[mid][label] += 1
        locs = extract_locations(msg, curated)
        typed = [loc for loc in locs if loc.kind in ("street", "settlement") and _marker(loc.text)]
        if not typed:
            continue
        placey = [loc for loc in locs if loc.kind in ("district", "city_okrug", "city", "settlement")]
        match = resolve_municipality(placey, curated) if placey else None
        text_muni = next((m.id for m in curated.municipalities.values() if match and m.name == match.name), None)
        label_muni = _agency_municipality(curated, label)
        if text_muni and label_muni and not _related(curated, text_muni, label_muni):
            continue  # text and agency disagree: skip
        muni = text_muni or label_muni
        districts = {loc.normal for loc in locs if loc.kind == "district"}
        used += 1
        for loc in typed:
            if loc.kind == "street":
                kind, _, name = loc.normal.partition(" ")
                key = name_key(name)
                if kind not in _STREET_TYPES or not _good_name(name, key):
                    continue
                street_names[key][(kind, name)] += 1
                streets[key][_root(curated, muni) if muni else None] += 1
            else:
                stype, _, name = loc.normal.partition(" ")
                key = name_key(name)
                if stype not in _RURAL_TYPES or not _good_name(name, key):
                    continue
                if curated.settlements_named(name) or curated.city(name):
                    continue
                m = curated.municipalities.get(_root(curated, muni)) if muni else None
                if m is None or (m.kind in ("city", "urban_okrug") and stype != "посёлок"):
                    settlements[key][None] += 1  # no municipality known, or a village of a city agency: no vote
                    continue
                muni = m.id
                settlement_names[key][(stype, name)] += 1
                settlements[key][muni] += 2 if len(districts) == 1 and text_muni == muni else 1

    _merge_initials(streets)
    mined_streets = []
    for key, votes in streets.items():
        total = sum(votes.values())
        if total < min_count:
            continue
        muni, n = max(((m, c) for m, c in votes.items() if m is not None), key=lambda x: x[1], default=(None, 0))
        if n < min_count or n / total < min_share:
            muni = None
        kind, name = street_names[key].most_common(1)[0][0]
        mined_streets.append({"name": name, "type": kind, "municipality": muni, "source": "mined", "count": total})
    known_streets = {name_key(s["name"]) for s in raw_base.get("streets", [])}
    mined_streets = [s for s in mined_streets if name_key(s["name"]) not in known_streets]
    mined_settlements = []
    for key, votes in settlements.items():
        total = sum(votes.values())
        muni, n = max(((m, c) for m, c in votes.items() if m is not None), key=lambda x: x[1], default=(None, 0))
        if muni is None or n < min_count or n / total < min_share:
            continue
        stype, name = settlement_names[key].most_common(1)[0][0]
        mined_settlements.append({"name": name, "type": stype, "municipality": muni, "source": "mined", "count": total})

    pack = dict(raw_base)
    renamed = _real_administrations(pack, agencies, min_count) if starting else 0
    pack["settlements"] = [*raw_base.get("settlements", []),
                           *sorted(mined_settlements, key=lambda s: (s["municipality"], s["name"]))]
    pack["streets"] = [*raw_base.get("streets", []),
                       *sorted(mined_streets, key=lambda s: (-s["count"], s["name"]))]
    pack["provenance"] = {
        "mined_by": "curnlp.places.learn_pack",
        "command": command,
        "archive": Path(archive).name if isinstance(archive, (str, os.PathLike)) else None,
        "messages": messages, "messages_with_typed_mentions": used,
        "min_count": min_count, "min_share": min_share,
        "mined": {"streets": len(mined_streets), "settlements": len(mined_settlements),
                  "districts": sum(m.get("source") == "mined" for m in pack["municipalities"]),
                  "administrations": renamed},
        "note": "Entries with \"source\": \"mined\" were found in the archive by curnlp's own code; "
                "only the names and counts are stored, no message text. Review them before shipping.",
    }
    return pack


def _agency_districts(region: Region, rows: list[tuple[str, str]], min_count: int) -> list[dict]:
    """Districts that agencies of the archive name («Администрация Канашского муниципального
    округа») and the pack lacks, with the agency as written as their administration (the most
    frequent spelling); marked ``"source": "mined"`` for review."""
    from ..morph import parse

    spellings: dict[str, Counter] = defaultdict(Counter)
    for _, label in rows:
        found = _DISTRICT_AGENCY.search(label) if label else None
        if found is None or "област" in label.lower():
            continue
        adj_parse = next((p for p in parse(found.group(1).lower()) if p.tag.POS == "ADJF"), None)
        if adj_parse is None:
            continue
        adjective = adj_parse.normal_form.capitalize()
        if region.district(adjective) is None and f"{adjective} район" not in region.municipalities:
            spellings[adjective][label.strip()] += 1
    return [{"id": f"{adj} район", "name": f"{adj} район", "kind": "district", "adjective": adj,
             "administration": labels.most_common(1)[0][0], "source": "mined", "count": sum(labels.values())}
            for adj, labels in sorted(spellings.items()) if sum(labels.values()) >= min_count]


def _real_administrations(pack: dict, agencies: Mapping[str, Counter], min_count: int) -> int:
    """A starting pack's generic administration names («Администрация города Канаш») replaced by
    the agency the archive writes for that municipality, when seen ``min_count`` times; how many."""
    renamed = 0
    for m in pack["municipalities"]:
        seen = agencies.get(m["id"])
        if m.get("source") == "mined" or not seen:
            continue
        label, n = seen.most_common(1)[0]
        if n >= min_count and label != m["administration"]:
            m["administration"] = label
            renamed += 1
    return renamed


def _merge_initials(streets: dict[tuple[str, ...], Counter]) -> None:
    """«К. Маркса» and «Карла Маркса» are one street: each gets the votes of both (when the match is unique)."""
    full = [k for k in streets if len(k[0]) > 1]
    for key in [k for k in streets if len(k) > 1 and len(k[0]) == 1]:
        match = [k for k in full if k[1:] == key[1:] and k[0].startswith(key[0])]
        if len(match) == 1:
            merged = streets[key] + streets[match[0]]
            streets[key] = streets[match[0]] = merged


def _good_name(name: str, key: tuple[str, ...]) -> bool:
    letters = sum(ch.isalpha() for ch in name)
    return bool(key) and letters >= 3 and len(key) <= 4


def _base_data(region: Region) -> dict:
    """The base pack's JSON with mined entries removed."""
    src = region.source
    if src.startswith(SOURCE_PREFIX):  # a starting pack (pack_for): made again, it is not a file
        data = starting_pack(subject_named(src[len(SOURCE_PREFIX):]))
        data.pop("provenance", None)
        return data
    if src.startswith("curnlp.places:"):
        from importlib import resources
        raw = resources.files("curnlp.places").joinpath(src.split(":", 1)[1]).read_text(encoding="utf-8")
    else:
        raw = Path(src).read_text(encoding="utf-8")
    data = json.loads(raw)
    data.pop("provenance", None)
    data["settlements"] = [s for s in data.get("settlements", []) if s.get("source", "curated") == "curated"]
    data["streets"] = [s for s in data.get("streets", []) if s.get("source", "curated") == "curated"]
    return data


def _curated_region(data: dict) -> Region:
    from .packs import _parse_pack
    return _parse_pack(json.dumps(data, ensure_ascii=False), f"{data.get('name', 'pack')} (curated part)")


def write_pack(pack: Mapping, path: str | os.PathLike) -> Path:
    """Write a pack dict as indented UTF-8 JSON (checked by parsing it first); returns the path."""
    from .packs import _parse_pack
    if pack.get("format") != FORMAT:
        raise InvalidInput(f"not a {FORMAT} pack")
    text = json.dumps(pack, ensure_ascii=False, indent=1) + "\n"
    _parse_pack(text, str(path))
    out = Path(path)
    out.write_text(text, encoding="utf-8")
    return out
