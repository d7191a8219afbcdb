#!/usr/bin/env python3
"""Build the region packs ``curnlp/places/regions/{ryazan,irkutsk,volgograd,arkhangelsk}.json``.

Each pack is made from two inputs:

* the hand-curated facts in ``corpora/regions/<name>.json`` (written by the team: municipal
  districts/okrugs with their centres and status, urban okrugs, inner districts of the capital,
  administrations, notable villages, the municipal reforms and the sources they come from);
* the towns of that region in ``city.csv`` of the russia-cities dataset (hflabs/city, CC BY-SA 4.0),
  read by path: ``--city-csv``, else ``$CURNLP_CITY_CSV``, else ``../shared/data/russia-cities/city.csv``
  relative to the repository root. Every town of the region becomes a municipality of kind ``city``
  inside its district (or is checked against the curated urban okrugs).

The builder refuses to write a pack that contradicts the city list (a town whose district in
``city.csv`` differs from the curated one) and validates every pack with the curnlp loader.

Usage::

    python scripts/build_region_packs.py                 # all four packs
    python scripts/build_region_packs.py ryazan --check  # exit 1 if the shipped pack is out of date
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CURATED = ROOT / "corpora" / "regions"
PACKS = ROOT / "curnlp" / "places" / "regions"
REGIONS = ("ryazan", "irkutsk", "volgograd", "arkhangelsk")
DEFAULT_CITY_CSV = ROOT.parent / "shared" / "data" / "russia-cities" / "city.csv"
CITY_CSV_NOTICE = (
    "Towns (municipalities of kind 'city' marked \"from\": \"city.csv\") are derived from city.csv of the "
    "russia-cities dataset (https://github.com/hflabs/city, commit ae661bf, 2021-10-11; data from DaData), "
    "licensed under Creative Commons Attribution-ShareAlike 4.0 (https://creativecommons.org/licenses/by-sa/4.0/). "
    "This pack, as a derived work, is distributed under the same licence. Changes: towns filtered by region, "
    "assigned to the municipal district of the curated facts, later municipal reforms applied.")
# settlement types the pack format knows; other types map onto one of them (the real type is kept)
TYPE_MAP = {"станица": "село", "рабочий посёлок": "посёлок", "пгт": "посёлок"}
_FIXED_PARTS = frozenset({"Усть", "Спас"})
CASES = ("gent", "datv", "accs", "ablt", "loct")


class BuildError(ValueError):
    """The curated facts and the city list disagree, or the curated file is malformed."""


def city_csv_path(arg: str | None) -> Path:
    """The city list: the option, else $CURNLP_CITY_CSV, else ../shared/... relative to the repo root."""
    return Path(arg or os.environ.get("CURNLP_CITY_CSV") or DEFAULT_CITY_CSV)


def read_towns(path: Path, region_title: str) -> list[dict]:
    """The rows of city.csv for one region ("Рязанская область" -> region column "Рязанская")."""
    short = region_title.split()[0]
    with path.open(encoding="utf-8", newline="") as fh:
        return [row for row in csv.DictReader(fh) if row["region"] == short]


def _oktmo_urban_okrug(oktmo: str) -> bool:
    """OKTMO codes RR7xx... are urban okrugs (RR6xx municipal districts, RR5xx municipal okrugs)."""
    return len(oktmo) >= 5 and oktmo[2] == "7"


def fold(text: str) -> str:
    return text.replace("ё", "е").replace("Ё", "Е").strip()


def genitive_adjective(adj: str) -> str:
    """'Шацкий' -> 'Шацкого', 'Александро-Невский' -> 'Александро-Невского'."""
    for end in ("ский", "цкий", "ний", "кий", "ий", "ый", "ой"):
        if adj.endswith(end):
            return adj[: -len(end)] + {"ний": "него"}.get(end, end[:-2] + "ого")
    return adj


def district_administration(adj: str, status: str) -> str:
    kind = "муниципального округа" if status == "округ" else "муниципального района"
    return f"Администрация {genitive_adjective(adj)} {kind}"


@lru_cache(maxsize=None)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def _inflect_word(word: str, case: str) -> str:
    if not word or not word[0].isupper():
        return word  # "на" of Калач-на-Дону
    parses = _morph().parse(word.lower())
    best = next((p for p in parses if "Geox" in p.tag), None) or next(
        (p for p in parses if p.tag.case == "nomn" and p.tag.POS in ("NOUN", "ADJF")), None)
    if best is None:
        return word
    form = best.inflect({case})
    if form is None:
        return word
    out = form.word
    return out[:1].upper() + out[1:] if not word.isupper() else out.upper()


def oblique_variants(name: str) -> list[str]:
    """Case forms of a place name whose curnlp matching key differs from the nominative's.

    The matcher compares lemmas, which fold most case forms by themselves ("Ряжске" -> "ряжск");
    the forms it would miss ("Калаче-на-Дону", "Светлом Яре", "Шилове") become pack variants.
    """
    from curnlp.places import name_key

    base = name_key(name)
    found: list[str] = []
    if name.endswith(("ий", "ый", "ой", "ая", "яя", "ое", "ее")) and " " not in name and "-" not in name:
        return found  # adjective names ("Лесной", "Новоаннинский"): lemmas already fold their cases
    forms = []
    for case in CASES:
        words = []
        for word in name.split(" "):
            parts = word.split("-")
            if len(parts) > 1 and parts[1] == "на":  # only the first part declines: Калаче-на-Дону
                parts = [_inflect_word(parts[0], case), *parts[1:]]
            else:
                # "Усть-", "Спас-", "Дашково-" do not decline: Усть-Куте, Дашково-Песочне
                parts = [p if i < len(parts) - 1 and (p in _FIXED_PARTS or p.endswith("о")) else _inflect_word(p, case)
                         for i, p in enumerate(parts)]
            words.append("-".join(parts))
        forms.append(" ".join(words))
    low = name.lower()
    if " " not in name and "-" not in name and low.endswith(("ово", "ево", "ино", "ыно")):
        forms.append(name[:-1] + "е")  # "в Шилове" beside the indeclinable "в Шилово"
    elif " " not in name and "-" not in name and low.endswith(("а", "я")):
        forms += [name[:-1] + "е", name[:-1] + ("и" if low[-2] in "жчшщкгх" or low.endswith("я") else "ы")]  # Солотче, Солотчи
    for form in forms:
        key = name_key(form)
        if key and key != base and form != name and form not in found:
            found.append(form)
    return found


def _settlement(spec: str, municipality: str, **extra) -> dict:
    """'посёлок Лесной!' -> a settlement entry ('!' = strict: the name is also a common word)."""
    strict = spec.endswith("!")
    spec = spec.rstrip("!")
    stype, name = spec.split(" ", 1)
    out = {"name": name, "type": TYPE_MAP.get(stype, stype), "municipality": municipality}
    if stype in TYPE_MAP:
        out["settlement_type"] = stype
    variants = oblique_variants(name)
    if variants:
        out["variants"] = variants
    if strict:
        out["strict"] = True
    out.update(extra)
    return out


def build(name: str, city_csv: Path) -> dict:
    """The pack for region ``name`` as a dict (raises BuildError on a contradiction)."""
    cur = json.loads((CURATED / f"{name}.json").read_text(encoding="utf-8"))
    towns_csv = read_towns(city_csv, cur["title"])
    if not towns_csv:
        raise BuildError(f"{name}: no towns of {cur['title']} in {city_csv}")
    munis: list[dict] = []
    settlements: list[dict] = []

    cap = dict(cur["capital"])
    cap["default_for_streets"] = True
    munis.append(cap)
    for ok in cur["city_okrugs"]:
        mid = f"{cap['id']}-{ok['adjective']}"
        munis.append({"id": mid, "name": ok["name"], "kind": "city_okrug", "parent": cap["id"],
                      "adjective": ok["adjective"], "administration": ok["administration"]})
        for place in ok.get("places", []):
            settlements.append(_settlement(f"микрорайон {place}", mid))

    districts = {}
    for d in cur["districts"]:
        adj = d["adjective"]
        entry = {"id": adj, "name": f"{adj} район", "kind": "district", "adjective": adj,
                 "administration": d.get("administration") or district_administration(adj, d["status"]),
                 "centre": d["centre"],
                 "status": "муниципальный округ" if d["status"] == "округ" else "муниципальный район"}
        districts[fold(adj)] = entry
        munis.append(entry)

    urban = {}
    for u in cur["urban_okrugs"]:
        entry = {"id": u["id"], "name": u["name"], "kind": "urban_okrug", "administration": u["administration"]}
        for key in ("adjective", "strict", "note"):
            if key in u:
                entry[key] = u[key]
        variants = list(u.get("variants", []))
        for v in [u["name"], *variants]:
            variants += [x for x in oblique_variants(v) if x not in variants]
        if variants:
            entry["variants"] = variants
        urban[fold(u["id"])] = entry
        munis.append(entry)

    # towns of city.csv: each is a municipality of kind "city" inside its district
    seen_csv = set()
    town_overrides = cur.get("towns", {})
    for row in sorted(towns_csv, key=lambda r: r["city"]):
        town = row["city"]
        seen_csv.add(town)
        if fold(town) == fold(cap["name"]):
            continue
        if fold(town) in urban:
            if row["area"] and not _oktmo_urban_okrug(row["oktmo"]):
                raise BuildError(f"{name}: {town} is a curated urban okrug but city.csv puts it in district {row['area']}")
            urban[fold(town)].update({"from": "city.csv", "oktmo": row["oktmo"]})
            continue
        over = town_overrides.get(town, {})
        csv_district = fold(row["area"]) if row["area"] else None
        cur_district = fold(over["district"]) if "district" in over else None
        if csv_district and cur_district and csv_district != cur_district:
            raise BuildError(f"{name}: {town}: city.csv says district {row['area']}, curated facts say {over['district']}")
        if _oktmo_urban_okrug(row["oktmo"]) and "note" not in over:
            raise BuildError(f"{name}: {town} is an urban okrug in city.csv (OKTMO {row['oktmo']}); curate it as one "
                             f"or document the reform in 'towns' (district + note)")
        dkey = cur_district or csv_district
        if dkey is None:
            raise BuildError(f"{name}: {town} has no district in city.csv and none in the curated 'towns' "
                             f"(and is not a curated urban okrug)")
        if dkey not in districts:
            raise BuildError(f"{name}: {town}: district {dkey!r} is not among the curated districts")
        district = districts[dkey]
        if "administration" in over:
            admin = over["administration"]
        elif district["status"] == "муниципальный округ":
            admin = district["administration"]  # one-level okrug: the town has no administration of its own
        else:
            admin = f"Администрация городского поселения город {town}"
        tid = town if town not in {m["id"] for m in munis} else f"{town} (город)"  # Новоаннинский: town and district
        entry = {"id": tid, "name": town, "kind": "city", "parent": district["id"], "administration": admin,
                 "from": "city.csv", "oktmo": row["oktmo"]}
        if "note" in over:
            entry["note"] = over["note"]
        if over.get("strict"):
            entry["strict"] = True  # "рыбное хозяйство", "гражданин Михайлов"
        variants = oblique_variants(town)
        if variants:
            entry["variants"] = variants
        munis.append(entry)
    missing = [t for t in town_overrides if t not in seen_csv]
    if missing:
        raise BuildError(f"{name}: curated towns not in city.csv: {missing}")

    towns_in = {fold(m["name"]): m for m in munis if m["kind"] == "city"}
    for d in cur["districts"]:  # a district's centre town must lie in that district
        town = towns_in.get(fold(d["centre"]))
        if town is not None and town["parent"] != d["adjective"]:
            raise BuildError(f"{name}: {d['centre']} is the centre of the {d['adjective']} district, "
                             f"but city.csv puts it in {town['parent']}")
    town_names = {fold(m["name"]) for m in munis if m["kind"] in ("city", "urban_okrug")} | {fold(cap["name"])}
    for d in cur["districts"]:
        if fold(d["centre"]) in town_names:
            if d["centre_type"] != "город":
                raise BuildError(f"{name}: centre {d['centre']} is a town in city.csv, curated type {d['centre_type']}")
            continue
        if d["centre_type"] == "город":
            raise BuildError(f"{name}: centre {d['centre']} of {d['adjective']} is a 'город' missing from city.csv")
        spec = f"{d['centre_type']} {d['centre']}" + ("!" if d.get("centre_strict") else "")
        settlements.append(_settlement(spec, d["adjective"], district_centre=True))
    ids = {m["id"] for m in munis}
    for muni, specs in cur.get("settlements", {}).items():
        if muni not in ids:
            raise BuildError(f"{name}: settlements under unknown municipality {muni!r}")
        settlements += [_settlement(s, muni) for s in specs]
    for muni, places in cur.get("microdistricts", {}).items():
        if muni not in ids:
            raise BuildError(f"{name}: microdistricts under unknown municipality {muni!r}")
        settlements += [_settlement(f"микрорайон {p}", muni) for p in places]

    digest = hashlib.sha256(city_csv.read_bytes()).hexdigest()
    return {
        "format": "curnlp-region/1",
        "name": cur["name"],
        "title": cur["title"],
        "region": cur["region"],
        "provenance": {
            "built_by": "scripts/build_region_packs.py",
            "curated_facts": f"corpora/regions/{name}.json",
            "as_of": cur["as_of"],
            "sources": cur["sources"],
            "reforms": cur["reforms"],
            "names": "Districts are named by the administrative district (\"X район\"), whatever their municipal "
                     "status; 'status' and 'administration' give the municipal form (муниципальный район / округ).",
            "town_administrations": "Towns of a municipal okrug take the okrug's administration; towns of a "
                                    "two-level municipal district take their urban settlement's administration "
                                    "(curated name where given, else the generic form 'Администрация городского "
                                    "поселения город X').",
            "city_csv": {"file": "russia-cities/city.csv", "sha256": digest, "rows": len(towns_csv),
                         "data_as_of": "2021"},
        },
        "licence": {"city_csv_part": "CC BY-SA 4.0", "notice": CITY_CSV_NOTICE},
        "municipalities": munis,
        "settlements": settlements,
    }


def render(pack: dict) -> str:
    return json.dumps(pack, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("regions", nargs="*", default=list(REGIONS), help=f"packs to build (default: {' '.join(REGIONS)})")
    ap.add_argument("--city-csv", help="path of city.csv (default: $CURNLP_CITY_CSV or ../shared/data/russia-cities/city.csv)")
    ap.add_argument("--out", type=Path, default=PACKS, help="output directory (default: curnlp/places/regions)")
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if a pack differs from the build")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from curnlp.places.packs import _parse_pack

    path = city_csv_path(args.city_csv)
    if not path.is_file():
        print(f"city list not found: {path} (use --city-csv or $CURNLP_CITY_CSV)", file=sys.stderr)
        return 2
    stale = 0
    for name in args.regions:
        try:
            text = render(build(name, path))
        except BuildError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        region = _parse_pack(text, f"{name}.json")  # the loader's own validation
        target = args.out / f"{name}.json"
        n_m, n_s = len(region.municipalities), len(region.settlements)
        if args.check:
            same = target.is_file() and target.read_text(encoding="utf-8") == text
            stale += not same
            print(f"{name}: {'up to date' if same else 'OUT OF DATE'} ({n_m} municipalities, {n_s} settlements)")
        else:
            target.write_text(text, encoding="utf-8")
            print(f"{name}: wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target} "
                  f"({n_m} municipalities, {n_s} settlements)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
