"""The place stage on its own: :func:`locate` finds the places of a message and the
municipality they resolve to, with no classifier and no model bundle."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput, describe
from ..normalize import Normalized, normalize
from .locations import Location, extract_locations
from .municipality import MunicipalityMatch, resolve_municipality
from .packs import Region, load_region

__all__ = ["Place", "locate", "place_of"]


@dataclass(frozen=True, slots=True)
class Place:
    """Where a message is about.

    ``region`` is the pack's region name («Курская область») when a place of the pack was found
    (a municipality resolved), else None; ``municipality`` the resolved municipality with its
    confidence and evidence, or None; ``locations`` every place mention, with offsets into the
    ORIGINAL text.
    """

    region: str | None
    municipality: MunicipalityMatch | None
    locations: tuple[Location, ...]

    def to_dict(self) -> dict:
        """A JSON-serializable dict."""
        return {"region": self.region,
                "municipality": self.municipality.to_dict() if self.municipality else None,
                "locations": [loc.to_dict() for loc in self.locations]}


def place_of(locations: list[Location] | tuple[Location, ...], region: Region) -> Place:
    """A :class:`Place` from already extracted locations (used by the router)."""
    match = resolve_municipality(locations, region)
    return Place(region=region.region_name if match is not None else None, municipality=match,
                 locations=tuple(locations))


def locate(text: str | Normalized, region: Region | str | None = None) -> Place:
    """Places mentioned in a message and the municipality responsible for them.

    >>> p = locate("Яма у дома 5 по ул. Литейной, г. Льгов")
    >>> p.municipality.name, [l.kind for l in p.locations]
    ('Льгов', ['house', 'street', 'city'])

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
    return place_of(extract_locations(doc, reg), reg)
