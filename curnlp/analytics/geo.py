"""Coordinates of municipalities for the report's map (no tiles, no network).

curnlp ships a small derived table per region pack, ``data/coords_<region>.csv`` (name, kind,
lat, lon, town), built by this module from the Russian cities list (``city.csv``, CC BY-SA 4.0,
see ``data/README.md``)::

    python -m curnlp.analytics.geo --cities ../shared/data/russia-cities/city.csv --region kursk

A town or urban okrug gets its own coordinates; an inner city okrug its city's; a district
those of its administrative centre when the centre is a town in the list. Districts centred on
a village have none and are left off the map. At run time ``coordinates(region, cities=PATH)``
reads a ``city.csv`` by path instead of the shipped table (for regions without one).
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

__all__ = ["coordinates", "build_table", "map_png"]

_FIELDS = ("name", "kind", "lat", "lon", "town")


def _key(name: str) -> str:
    return name.strip().lower().replace("ё", "е")


def _city_rows(cities: str | os.PathLike[str], region_name: str) -> dict[str, tuple[float, float]]:
    """Town name key → (lat, lon) for the towns of ``region_name`` (e.g. «Курская») in a city.csv."""
    out: dict[str, tuple[float, float]] = {}
    with open(cities, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            if _key(row.get("region", "")) != _key(region_name) and _key(row.get("city", "")) != _key(region_name):
                continue
            try:
                lat, lon = float(row["geo_lat"]), float(row["geo_lon"])
            except (KeyError, ValueError):
                continue
            if row.get("city"):
                out[_key(row["city"])] = (lat, lon)
    return out


def build_table(region: Any, cities: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Rows (name, kind, lat, lon, town) for the municipalities of ``region`` found in ``cities``."""
    region_word = region.region_name.split()[0]  # «Курская область» -> «Курская»
    towns = _city_rows(cities, region_word)
    munis = region.municipalities
    rows = []
    for m in munis.values():
        town = None
        if m.kind in ("city", "urban_okrug"):
            town = m.name
        elif m.kind == "city_okrug" and m.parent in munis:
            town = munis[m.parent].name
        elif m.kind == "district" and m.centre:
            town = m.centre
        if town and _key(town) in towns:
            lat, lon = towns[_key(town)]
            rows.append({"name": m.name, "kind": m.kind, "lat": round(lat, 5), "lon": round(lon, 5), "town": town})
    return rows


def _shipped(region_name: str) -> Path | None:
    path = resources.files("curnlp.analytics") / "data" / f"coords_{region_name}.csv"
    return Path(str(path)) if path.is_file() else None


def coordinates(region: Any | None, cities: str | os.PathLike[str] | None = None) -> dict[str, dict[str, Any]]:
    """Municipality name → {lat, lon, kind, town}: from ``cities`` (a city.csv) when given, else the
    table shipped for the region pack; empty when neither is available."""
    if region is None:
        return {}
    if cities is not None:
        rows = build_table(region, cities)
    else:
        path = _shipped(region.name)
        if path is None:
            return {}
        with open(path, encoding="utf-8", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if not r["name"].startswith("#")]
    return {r["name"]: {"lat": float(r["lat"]), "lon": float(r["lon"]), "kind": r["kind"], "town": r["town"]}
            for r in rows}


def map_png(points: Sequence[tuple[str, float, float, int, bool]], title: str) -> str:
    """A scatter map (base64 PNG): ``(label, lat, lon, count, highlighted)``; marker area ∝ count."""
    from matplotlib.figure import Figure

    from ._html import png
    fig = Figure(figsize=(8, 6))
    ax = fig.subplots()
    if points:
        biggest = max(p[3] for p in points) or 1
        for label, lat, lon, count, hot in points:
            ax.scatter(lon, lat, s=30 + 1500 * count / biggest, alpha=0.55 if not hot else 0.8,
                       color="#c0392b" if hot else "#3b6ea8", edgecolors="#222", linewidths=0.5)
            ax.annotate(f"{label} ({count})", (lon, lat), fontsize=8, xytext=(4, 4), textcoords="offset points")
        lats = [p[1] for p in points]
        ax.set_aspect(1 / max(0.2, __import__("math").cos(__import__("math").radians(sum(lats) / len(lats)))))
    ax.set_xlabel("долгота")
    ax.set_ylabel("широта")
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    return png(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """Build ``curnlp/analytics/data/coords_<region>.csv`` from a city.csv."""
    from ..places import load_region
    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("--cities", required=True, help="city.csv (e.g. ../shared/data/russia-cities/city.csv)")
    p.add_argument("--region", default="kursk", help="region pack (default kursk)")
    p.add_argument("-o", "--output", help="default: curnlp/analytics/data/coords_<region>.csv")
    args = p.parse_args(argv)
    region = load_region(args.region)
    rows = build_table(region, args.cities)
    out = Path(args.output or Path(__file__).parent / "data" / f"coords_{region.name}.csv")
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: (r["kind"], r["name"])))
    print(f"{len(rows)} municipalities with coordinates -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
