"""The resolver: which municipality a message is about, from its extracted locations."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..errors import InvalidInput, describe
from ..normalize import Normalized, normalize
from .locations import Location
from .packs import Municipality, Region, district_named, load_region

__all__ = ["MunicipalityMatch", "registered_at", "resolve_municipality", "route_stops", "speaks_of_village"]

# Evidence weights of the resolver (see resolve_municipality); measured on the gold set.
W_DISTRICT = 1.0      # "Курский район", "Сеймский округ"
W_CITY = 0.9          # "город Льгов", "в Курске"
W_SETTLEMENT = 0.8    # a village whose district the pack knows
W_STREET = 0.6       # a street the pack ties to one municipality (mined from an archive, or curated)
W_LANDMARK = 0.5     # a numbered school/kindergarten only one municipality of the pack has ("школа № 54")
REPEAT = 0.05        # share of a repeated mention's weight: a tie-breaker, never more than a stronger kind of evidence
W_INSTITUTION = 0.45  # an institution named by a district's adjective («Льговская ЦРБ»): often the region's, so a guess
W_STREET_DEFAULT = 0.35  # only streets/houses: the pack's default city (Kursk)


@dataclass(frozen=True, slots=True)
class MunicipalityMatch:
    """The municipality a message is about.

    ``kind`` is ``city``, ``city_okrug``, ``urban_okrug`` or ``district``; ``parent`` names
    the enclosing municipality (the city for an inner okrug, the district for a town);
    ``evidence`` holds the texts of the locations that decided it.
    """

    name: str
    kind: str
    administration: str
    parent: str | None
    confidence: float
    evidence: tuple[str, ...]

    def to_dict(self) -> dict:
        """A JSON-serializable dict."""
        return {"name": self.name, "kind": self.kind, "administration": self.administration,
                "parent": self.parent, "confidence": self.confidence, "evidence": list(self.evidence)}


_TYPE_PREFIXES = ("город ", "село ", "деревня ", "посёлок ", "хутор ", "слобода ", "микрорайон ", "СНТ ",
                  "населённый пункт ")
_RURAL = ("село ", "деревня ", "хутор ", "слобода ", "посёлок ", "населённый пункт ")
_STREET_TYPES = ("улица ", "проспект ", "переулок ", "проезд ", "шоссе ", "бульвар ", "площадь ", "набережная ", "тупик ")
#: lemmas of the words for a village or a small settlement («в нашем посёлке», «в деревне»)
VILLAGE_WORDS = frozenset(("поселок", "деревня", "село", "хутор", "слобода", "сельсовет", "станица", "пгт"))


def speaks_of_village(doc: Normalized) -> bool:
    """Does the message speak of a village or small settlement («в нашем посёлке по улице
    Юбилейной»)? Its streets, if the pack places them nowhere, are then not the capital's."""
    return any(t.lemma in VILLAGE_WORDS for t in doc.tokens)


#: lemmas of the words that say where the writer is registered, not where the problem is
REGISTRATION = frozenset(("прописать", "прописка", "зарегистрировать", "регистрация"))
#: abbreviations whose dot does not end the sentence («прописан в г. Курске»)
_DOTTED = frozenset(("г", "гор", "д", "дер", "с", "п", "пос", "р-н", "р", "ул", "обл", "х"))


def registered_at(doc: Normalized, locations: Iterable[Location]) -> frozenset[int]:
    """Indices of ``locations`` that name where someone is registered («муж прописан в Курчатовском
    районе», «прописаны в г. Курске»): a place at most five tokens after a registration word, in the
    same sentence. The resolver counts them only when nothing else in the message places it."""
    toks = doc.tokens
    marks = [r for r, t in enumerate(toks) if t.lemma in REGISTRATION]
    if not marks:
        return frozenset()
    starts = set()
    for r in marks:
        for k in range(r + 1, min(r + 6, len(toks))):
            t = toks[k]
            if t.text in ("!", "?") or t.text == "." and toks[k - 1].text.lower() not in _DOTTED:
                break
            starts.add(doc.to_original(t.start))
    return frozenset(i for i, loc in enumerate(locations) if loc.start in starts)


def route_stops(doc: Normalized, locations: Iterable[Location]) -> frozenset[int]:
    """Indices of ``locations`` that are stops of a route written as one hyphenated word («маршрут
    Курск-Теткино»): a route is the region's, so the resolver does not count them."""
    text = doc.original
    out = set()
    for i, loc in enumerate(locations):
        end, start = loc.end, loc.start
        if (end + 1 < len(text) and text[end] == "-" and text[end + 1].isalpha()
                or start >= 2 and text[start - 1] == "-" and text[start - 2].isalpha()):
            out.add(i)
    return frozenset(out)


def _strip_type(normal: str) -> str:
    for prefix in _TYPE_PREFIXES:
        if normal.startswith(prefix):
            return normal[len(prefix):]
    return normal


def _votes(loc: Location, region: Region) -> list[tuple[str, float]]:
    """(municipality id, weight) votes of one location."""
    kind = loc.kind
    if kind in ("district", "city_okrug"):
        adjective = loc.normal.rsplit(" ", 1)[0]
        m = district_named(region, adjective, "city_okrug" if kind == "city_okrug" else "district")
        if m is None and kind == "district":  # "Железнодорожный район" of Kursk (old name)
            m = district_named(region, adjective, "city_okrug")
        return [(m.id, W_DISTRICT)] if m else []
    if kind in ("city", "settlement"):
        name = _strip_type(loc.normal)
        m = region.city(name) if kind == "settlement" else region.city_like(name)
        if m is not None:
            return [(m.id, W_CITY)]
        found = region.settlements_named(name)
        if found:
            munis = {s.municipality for s in found}
            share = W_SETTLEMENT / len(munis)
            return [(mid, share) for mid in sorted(munis)]
    if kind == "landmark":
        if loc.normal.endswith(")"):  # «больница (Горшеченский район)»: named by its district's adjective
            name = loc.normal[loc.normal.rindex("(") + 1:-1]
            return [(m.id, W_INSTITUTION) for m in region.municipalities.values() if m.name == name][:1]
        what, _, number = loc.normal.rpartition(" № ")
        found = [m.id for m in region.municipalities.values()
                 if what in m.numbered_landmarks and number.isdigit() and int(number) >= m.numbered_landmarks[what]]
        return [(found[0], W_LANDMARK)] if len(found) == 1 else []
    if kind == "street":
        stype = next((p for p in _STREET_TYPES if loc.normal.startswith(p)), "")
        name = loc.normal[len(stype):]
        # «ул. Дружбы» is not «проспект Дружбы»: the type must agree
        munis = {s.municipality for s in region.streets_like(name) if s.type == stype.strip()}
        if len(munis) == 1 and None not in munis:
            return [(munis.pop(), W_STREET)]
    return []


def resolve_municipality(locations: Iterable[Location], region: Region | str | None = None,
                         text: str | Normalized | None = None) -> MunicipalityMatch | None:
    """The municipality responsible for the place a message is about, or None.

    Each location votes: an explicit district or inner okrug (weight 1.0) > a city or
    town (0.9) > a settlement whose municipality the pack knows (0.8, split when the
    name is ambiguous). A vote for a city also supports the inner okrug or town inside it
    that was mentioned (the most specific unit wins: "Курск, Сеймский округ" -> the okrug).
    A numbered landmark that only one municipality has (``numbered_landmarks`` in the pack:
    in Kursk, schools from № 15 and kindergartens from № 40) votes 0.5; an institution named by
    a district's adjective («в Льговской ЦРБ») 0.45, a guess (the region often runs it). A street
    the pack ties to one municipality votes 0.6 («ул. Литейная» → Льгов; a typo of a pack street
    counts, «Липкнехта»). With no such evidence, streets or houses resolve to the pack's default
    city (Kursk) with low confidence (0.35) only when a street is one the pack knows (a name
    several towns share, «Ленина»); a street it does not know (in a pack without streets, any),
    a message that names a village the pack does not know, or (given its ``text``) speaks of a
    village at all («в нашем посёлке») gets None, not the capital. Places named as someone's
    registration («муж прописан в Курчатовском районе», :func:`registered_at`) vote only when
    nothing else does; the stops of a route («маршрут Курск-Теткино», :func:`route_stops`) never.
    Ties go to the earliest mention.

    ``confidence`` = the winner's strongest evidence weight x its share of all votes.

    ``text``, the message the locations come from (optional), lets the resolver see its words.

    Raises
    ------
    InvalidInput
        ``locations`` is not an iterable of :class:`curnlp.places.Location`, or ``text`` is
        neither None, a str nor a :class:`~curnlp.normalize.Normalized`.
    """
    if isinstance(locations, (str, bytes)) or not isinstance(locations, Iterable):
        raise InvalidInput(f"expected an iterable of Location, got {describe(locations)}")
    locs = list(locations)
    for loc in locs:
        if not isinstance(loc, Location):
            raise InvalidInput(f"expected Location items, got {describe(loc)}")
    if text is not None and not isinstance(text, (str, Normalized)):
        raise InvalidInput(f"expected the message as str or Normalized, got {describe(text)}")
    doc = None if text is None else text if isinstance(text, Normalized) else normalize(text)
    village = doc is not None and speaks_of_village(doc)
    asides = registered_at(doc, locs) if doc is not None else frozenset()
    stops = route_stops(doc, locs) if doc is not None else frozenset()
    return resolve(tuple(locs), load_region("kursk" if region is None else region), village, asides, stops)


def resolve(locs: tuple[Location, ...], reg: Region, village: bool = False,
            asides: frozenset[int] = frozenset(), ignored: frozenset[int] = frozenset()) -> MunicipalityMatch | None:
    """:func:`resolve_municipality` without the checks of its arguments (for the place stage,
    whose locations come from the extractor and whose region is loaded); ``village``: the
    message speaks of a village (:func:`speaks_of_village`); ``asides``: indices of locations
    that vote only when no other location does (:func:`registered_at`); ``ignored``: indices of
    locations that never vote (:func:`route_stops`)."""
    if ignored:
        asides = frozenset(j - sum(k < j for k in ignored) for j in asides if j not in ignored)
        locs = tuple(loc for i, loc in enumerate(locs) if i not in ignored)
    if asides and any(_votes(loc, reg) for i, loc in enumerate(locs) if i not in asides):
        locs = tuple(loc for i, loc in enumerate(locs) if i not in asides)
    scores: dict[str, float] = {}
    best_weight: dict[str, float] = {}
    first: dict[str, int] = {}
    evidence: dict[str, list[str]] = {}
    votes: dict[str, list[float]] = {}
    for i, loc in enumerate(locs):
        for mid, w in _votes(loc, reg):
            votes.setdefault(mid, []).append(w)
            best_weight[mid] = max(best_weight.get(mid, 0.0), w)
            first.setdefault(mid, i)
            evidence.setdefault(mid, []).append(loc.text)
    for mid, ws in votes.items():  # the strongest mention counts in full, repeats 5%
        ws.sort(reverse=True)
        scores[mid] = ws[0] + REPEAT * sum(ws[1:])
    rural = any(loc.kind == "settlement" and loc.normal.startswith(_RURAL) and not _votes(loc, reg) for loc in locs)
    if not scores:
        if not rural and not village and any(loc.kind == "street" for loc in locs):
            default = next((m for m in reg.municipalities.values() if m.default_for_streets), None)
            if default is not None and _known_street_of(locs, reg, default.id):
                texts = tuple(loc.text for loc in locs if loc.kind in ("street", "house"))
                return _match(reg, default, W_STREET_DEFAULT, texts)
        return None
    total = sum(scores.values())
    # support flows from an enclosing unit to a mentioned unit inside it
    combined = dict(scores)
    for mid in scores:
        parent = reg.municipalities[mid].parent
        if parent in scores:
            combined[mid] += scores[parent]
    winner = min(combined, key=lambda mid: (-combined[mid], first[mid]))
    texts = list(evidence[winner])
    parent = reg.municipalities[winner].parent
    if parent in scores:
        texts += evidence[parent]
    support = combined[winner] / total
    win = reg.municipalities[winner]
    if win.kind in ("city", "urban_okrug"):
        # «маршрут Льгов (ЦЕНТР) - д. Шерекино»: a known village of the district whose centre is the town
        # is the more specific place
        district = next((m for m in reg.municipalities.values() if m.kind == "district" and m.centre == win.name
                         and m.id in scores and any(loc.kind == "settlement" and m.id in dict(_votes(loc, reg))
                                                    for loc in locs)), None)
        if district is not None:  # the town, the district's centre, supports the district
            support = (combined[district.id] + scores[winner]) / total
            return _match(reg, district, round(best_weight[district.id] * min(1.0, support), 3),
                          tuple(evidence[district.id] + evidence[winner]))
    if rural and win.kind in ("city", "urban_okrug"):
        # "д. Шерекино ... Льгов": a village near a district centre belongs to that district
        district = next((m for m in reg.municipalities.values() if m.kind == "district" and m.centre == win.name), None)
        if district is not None:
            texts += [loc.text for loc in locs if loc.kind == "settlement" and loc.normal.startswith(_RURAL)]
            return _match(reg, district, round(W_SETTLEMENT * min(1.0, support), 3), tuple(texts))
    return _match(reg, reg.municipalities[winner], round(best_weight[winner] * min(1.0, support), 3), tuple(texts))


def _known_street_of(locs: tuple[Location, ...], reg: Region, mid: str) -> bool:
    """Whether a street of the message is in the pack with a municipality that may be ``mid``
    (its own, or none: a name several towns share). A street the pack does not know may be any
    town's («ул. Ленина» of Щигры), or another region's, so it gives no default."""
    for loc in locs:
        if loc.kind == "street":
            stype = next((p for p in _STREET_TYPES if loc.normal.startswith(p)), "")
            found = [s for s in reg.streets_like(loc.normal[len(stype):]) if s.type == stype.strip()]
            if any(s.municipality in (None, mid) for s in found):
                return True
    return False


def _match(reg: Region, m: Municipality, confidence: float, evidence: tuple[str, ...]) -> MunicipalityMatch:
    parent = reg.municipalities[m.parent].name if m.parent else None
    return MunicipalityMatch(name=m.name, kind=m.kind, administration=m.administration, parent=parent,
                             confidence=confidence, evidence=tuple(dict.fromkeys(evidence)))
