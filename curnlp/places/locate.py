"""The place stage on its own: :func:`locate` finds the places of a message and the
municipality they resolve to, with no classifier and no model bundle."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput, describe
from ..normalize import Normalized, normalize
from .locations import Location, extract_locations
from .municipality import MunicipalityMatch, registered_at, resolve, route_stops, speaks_of_village
from .packs import Region, load_region
from .russia import OtherRegion, detect_other_region

__all__ = ["Place", "locate", "place_of"]


@dataclass(frozen=True, slots=True)
class Place:
    """Where a message is about.

    ``region`` is the official name of the region the problem is in, when known: the pack's
    region («Курская область») whenever a municipality of the pack is resolved, another
    region's («Белгородская область») when ``outside`` is set; else None. ``municipality`` is
    the resolved municipality of the pack with its confidence and evidence (None when the
    problem is outside the region); ``outside`` the other region, city and the words that show
    it; ``locations`` the place mentions of the pack, each once (the first mention of a kind
    and normal form), at most :data:`MAX_LOCATIONS`, with offsets into the ORIGINAL text.
    """

    region: str | None
    municipality: MunicipalityMatch | None
    locations: tuple[Location, ...]
    outside: OtherRegion | None = None

    def to_dict(self) -> dict:
        """A JSON-serializable dict."""
        return {"region": self.region,
                "municipality": self.municipality.to_dict() if self.municipality else None,
                "outside": self.outside.to_dict() if self.outside else None,
                "locations": [loc.to_dict() for loc in self.locations]}


#: Place mentions kept per message: a long text repeats its places (the resolver still weighs every mention).
MAX_LOCATIONS = 100


def place_of(doc: Normalized, region: Region) -> Place:
    """The place stage on a normalized message: locations of ``region``'s pack, the
    municipality they resolve to, and the other region the problem is in, if any
    (:func:`curnlp.places.russia.detect_other_region`; a place of the pack wins)."""
    locations = tuple(extract_locations(doc, region))
    other = detect_other_region(doc, region)
    if other is not None:
        return Place(region=other.region, municipality=None, locations=_distinct(locations), outside=other)
    match = resolve(locations, region, speaks_of_village(doc), registered_at(doc, locations), route_stops(doc, locations))
    return Place(region=region.region_name if match is not None else None, municipality=match,
                 locations=_distinct(locations))


def _distinct(locations: tuple[Location, ...]) -> tuple[Location, ...]:
    """Each place once (its first mention; a house number within the street named before it),
    at most :data:`MAX_LOCATIONS`."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    street = ""
    for loc in locations:
        if loc.kind == "street":
            street = loc.normal
        key = (loc.kind, loc.normal, street if loc.kind == "house" else "")
        if key not in seen:
            seen.add(key)
            out.append(loc)
            if len(out) == MAX_LOCATIONS:
                break
    return tuple(out)


def locate(text: str | Normalized, region: Region | str | None = None) -> Place:
    """Places mentioned in a message and the municipality responsible for them.

    ``region`` is a pack name (``"kursk"``, ``"ryazan"``, ...), a pack file or a
    :class:`Region` (default: Kursk). A message about another region of Russia gets
    ``outside`` and that region's name, and no municipality.

    >>> p = locate("Яма у дома 5 по ул. Литейной, г. Льгов")
    >>> p.municipality.name, [l.kind for l in p.locations]
    ('Льгов', ['house', 'street', 'city'])
    >>> locate("г. Белгород, ул. Щорса 10, нет отопления").region
    'Белгородская область'

    Raises
    ------
    InvalidInput
        ``text`` is neither a str nor a :class:`~curnlp.normalize.Normalized`.
    RegionPackError
        ``region`` names no pack or a broken one.
    """
    if not isinstance(text, (str, Normalized)):
        raise InvalidInput(f"expected a message as str, got {describe(text)}")
    reg = load_region("kursk" if region is None else region)
    doc = text if isinstance(text, Normalized) else normalize(text)
    return place_of(doc, reg)
