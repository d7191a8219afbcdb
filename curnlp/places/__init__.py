"""Stage 2b: places. Locations in a message (region, district, city, inner okrug,
settlement, street, house) found with a region pack's gazetteer, and the municipality
they resolve to.

* :mod:`curnlp.places.packs`: region packs (JSON files in ``regions/``) and their loader;
  :func:`pack_for`, a starting pack for any subject of Russia (made by :mod:`curnlp.places.starter`);
* :mod:`curnlp.places.locations`: the token scan that finds locations (its parts: ``lexicon``,
  ``names``, ``scan``, ``houses``, ``recognizers``);
* :mod:`curnlp.places.municipality`: the resolver from locations to a municipality;
* :mod:`curnlp.places.russia`: the regions and cities of Russia; :func:`detect_other_region`;
* :mod:`curnlp.places.locate`: :func:`locate`, the whole place stage without a classifier;
* :mod:`curnlp.places.learn`: :func:`learn_pack`, a pack mined from an archive.

Data flows one way: starter ← packs ← locations (lexicon, names, scan, houses, recognizers)
← municipality, russia ← locate (learn uses them all).
"""
from __future__ import annotations

from .locations import KINDS, Location, extract_locations, extract_locations_many
from .municipality import MunicipalityMatch, resolve_municipality
from .packs import FORMAT, Municipality, Region, RegionPackError, Settlement, Street, load_region, name_key, pack_for
from .russia import OtherRegion, detect_other_region
from .locate import Place, locate, place_of
from .learn import learn_pack, write_pack

__all__ = [
    "Location", "KINDS", "extract_locations", "extract_locations_many",
    "MunicipalityMatch", "resolve_municipality",
    "Region", "Municipality", "Settlement", "Street", "RegionPackError", "load_region", "pack_for", "name_key", "FORMAT",
    "Place", "locate", "place_of", "learn_pack", "write_pack", "OtherRegion", "detect_other_region",
]
