"""Build the embedded demo street: ``python -m tools.demo.build [--out DIR]``.

Run it from the repository root (the folder holding ``gridgov/`` and
``tools/``); without ``--out`` it rewrites the files shipped in
``gridgov/datasets/data/``.  This generator is a development tool, not part of
the installed package: it uses gridgov only through its public API.

Generates the synthetic street of :mod:`gridgov.datasets` from its design
(:mod:`tools.demo._design`) with seeded random generators
(``numpy.random.default_rng``, never the global one), verifies every planted
defect with independent reference computations (:mod:`tools.demo._truth`)
and writes three files:

``demo_street.gpkg``
    One layer per frame, stored in EPSG:4490 (CGCS2000 longitude/latitude).
``households_gcj02.csv``
    The households as a web map (Amap/Tencent) would export them: GCJ-02.
``demo_defects.csv``
    The ground truth: one row per expected finding.

Every run produces the same frames.  The build raises when a recorded truth
does not hold on the generated data, so the shipped truth is always verified.
It takes about ten seconds.

Stages: the linework and faces (:mod:`tools.demo._street`), buildings,
households and stations (:mod:`tools.demo._people`), then the grid
networks as unions of faces, all in local metres; everything is moved into
EPSG:4549 by one affine map, written in EPSG:4490, read back, and the truth is
measured on the frames read back and converted to EPSG:4549, exactly what
``load_demo(metric=True)`` returns.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely import Point, Polygon

from gridgov.crs import wgs84_to_gcj02
from tools.demo import _design as d
from tools.demo import _truth
from tools.demo._people import (
    Building,
    place_buildings,
    place_households,
    place_stations,
)
from tools.demo._street import Street, build_street

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "CSV_NAME",
    "DATA_DIR",
    "DEFECTS_NAME",
    "GPKG_NAME",
    "LAYERS",
    "Plan",
    "build",
    "default_paths",
    "main",
    "read_frames",
]

GPKG_NAME = "demo_street.gpkg"
CSV_NAME = "households_gcj02.csv"
DEFECTS_NAME = "demo_defects.csv"
#: The folder of the shipped files: ``gridgov/datasets/data`` of this repository.
DATA_DIR = Path(__file__).resolve().parents[2] / "gridgov" / "datasets" / "data"
#: Layers of the GeoPackage, in order.
LAYERS: tuple[str, ...] = (
    "street",
    "communities",
    "roads",
    "buildings",
    "households",
    "stations",
    "governance",
    "party",
    "service",
    "previous",
)
NETWORKS: tuple[str, ...] = ("governance", "party", "service", "previous")
_NETWORK_NAMES = {"governance": "网格", "party": "党建网格", "service": "服务网格"}
_PERSONS_P = (0.16, 0.30, 0.26, 0.15, 0.09, 0.04)


@dataclass
class Plan:
    """What the build planted where: the design keys resolved to ids.

    Attributes
    ----------
    grid_ids : dict of str to dict of str to str
        For each network (and ``previous``), the grid id of every design key.
    building_role : dict of str to str
        The building placed by hand for a defect, by role (``overlap``,
        ``gap``, ``split``).
    gap_compound : list of str
        Buildings of the compound that no station reaches.
    new_compound : list of str
        Buildings built after the previous edition.
    outside : list of str
        Households geocoded far outside the street.
    """

    grid_ids: dict[str, dict[str, str]] = field(default_factory=dict)
    building_role: dict[str, str] = field(default_factory=dict)
    gap_compound: list[str] = field(default_factory=list)
    new_compound: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- placement


def _placement() -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return the affine map from local metres to EPSG:4549: a rotation, then a shift."""
    to_metric = pyproj.Transformer.from_crs(d.STORED_EPSG, d.METRIC_EPSG, always_xy=True)
    cx, cy = to_metric.transform(*d.CENTRE_LONLAT)
    x0, y0 = round(cx), round(cy)
    theta = math.radians(d.ROTATION_DEG)
    c, s = math.cos(theta), math.sin(theta)
    lx, ly = d.CENTRE_LOCAL

    def move(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dx, dy = x - lx, y - ly
        return x0 + c * dx - s * dy, y0 + s * dx + c * dy

    return move


def _place(geoms: Sequence[Any], move: Callable[..., Any]) -> np.ndarray:
    def f(xy: np.ndarray) -> np.ndarray:
        x, y = move(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    out: np.ndarray = shapely.transform(np.array(geoms, dtype=object), f)
    return out


# --------------------------------------------------------------------------- grids


def _union(polys: list[Polygon]) -> Any:
    return shapely.orient_polygons(shapely.coverage_union_all(polys))


def _bowtie(poly: Polygon, at: tuple[float, float]) -> Polygon:
    """Insert a self-intersecting bow-tie (0.3 m²) into the edge of `poly` nearest `at`.

    Four vertices replace a point ``m`` of the edge: ``m - w t``, ``m + w t + h n``,
    ``m - w t + h n``, ``m + w t`` (``t`` along the edge, ``n`` into the polygon):
    two triangles of ``w h / 2`` each meet at a self-intersection ``h / 2``
    inside.  Repaired (``make_valid`` either way, ``buffer(0)``) it stays one
    polygon.
    """
    w, h = 0.5, 0.6
    ring = np.asarray(poly.exterior.coords)
    segments = shapely.linestrings(np.stack([ring[:-1], ring[1:]], axis=1))
    k = int(np.argmin(shapely.distance(segments, Point(at))))
    a, b = ring[k], ring[k + 1]
    t = (b - a) / np.hypot(*(b - a))
    m = a + t * float(np.dot(np.asarray(at) - a, t))
    n = np.array([-t[1], t[0]])
    if not poly.contains(Point(*(m + n))):
        n = -n
    insert = np.array([m - w * t, m + w * t + h * n, m - w * t + h * n, m + w * t])
    shell = np.vstack([ring[: k + 1], insert, ring[k + 1 :]])
    return Polygon(shell, [np.asarray(r.coords) for r in poly.interiors])


def _networks(street: Street) -> dict[str, dict[str, Any]]:
    """Return the grid polygons (local) of every network by design key."""
    faces = street.faces
    gov = {key: _union([faces[u] for u in units]) for key, (_c, _s, units) in d.GOVERNANCE.items()}
    party = dict(gov)
    for key, units in d.PARTY_RECUT.items():
        party[key] = _union([faces[u] for u in units])
    service = {
        key: _union([street.noise_faces[u] for u in units])
        for key, units in d.service_units().items()
    }
    previous = dict(gov)
    _c, _seq, split = d.PREVIOUS_SPLIT
    previous["C4_split_prev"] = _union([faces[u] for key in split for u in d.GOVERNANCE[key][2]])
    for key in split:
        del previous[key]
    merged_key, parts = d.PREVIOUS_MERGED
    del previous[merged_key]
    for seq, units in parts:
        previous[f"C4_merged_prev_{seq}"] = _union([faces[u] for u in units])
    gov[d.BOWTIE_GRID] = _bowtie(gov[d.BOWTIE_GRID], street.bowtie)
    return {"governance": gov, "party": party, "service": service, "previous": previous}


def _grid_ids() -> dict[str, dict[str, tuple[str, str, str]]]:
    """Return (community key, grid id, number) of every grid key, per network."""
    out: dict[str, dict[str, tuple[str, str, str]]] = {n: {} for n in NETWORKS}
    for key, (c, seq, _units) in d.GOVERNANCE.items():
        code = d.COMMUNITIES[c][0]
        out["governance"][key] = (c, code + seq, seq)
        out["previous"][key] = (c, code + seq, seq)
        out["party"][key] = (c, code + f"{100 + int(seq):03d}", seq)
        out["service"][key] = (c, code + f"{200 + int(seq):03d}", seq)
    bad_key, bad_code = d.BAD_CODE
    for network in ("governance", "previous"):
        c, _id, seq = out[network][bad_key]
        out[network][bad_key] = (c, bad_code, seq)
    for key, (seq, members) in d.SERVICE_MERGES.items():
        c = d.GOVERNANCE[members[0]][0]
        out["service"][key] = (c, d.COMMUNITIES[c][0] + seq, f"{int(seq) - 200:03d}")
        for member in members:
            del out["service"][member]
    c, seq, split = d.PREVIOUS_SPLIT
    out["previous"]["C4_split_prev"] = (c, d.COMMUNITIES[c][0] + seq, seq)
    for key in split:
        del out["previous"][key]
    merged_key, parts = d.PREVIOUS_MERGED
    c = d.GOVERNANCE[merged_key][0]
    del out["previous"][merged_key]
    for seq, _units in parts:
        out["previous"][f"C4_merged_prev_{seq}"] = (c, d.COMMUNITIES[c][0] + seq, seq)
    return out


def _valid_from(network: str, key: str) -> Any:
    if network == "party":
        return d.PARTY_FROM
    if network == "service":
        return d.SERVICE_FROM
    if key == "C2_review_due":
        return d.REVIEW_DUE_FROM
    if network == "governance" and key in (*d.PREVIOUS_SPLIT[2], d.PREVIOUS_MERGED[0]):
        return d.GOVERNANCE_NEW_FROM
    return d.GOVERNANCE_FROM


def _dates(values: list[Any]) -> pd.Series:
    return pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[ms]")


def _grid_frame(
    network: str, polys: dict[str, Any], ids: dict[str, tuple[str, str, str]], move: Any
) -> gpd.GeoDataFrame:
    keys = sorted(polys, key=lambda k: ids[k][1])
    label = "governance" if network == "previous" else network
    rows = []
    for key in keys:
        c, grid_id, seq = ids[key]
        retired = network == "previous" and key.startswith(("C4_split_prev", "C4_merged_prev"))
        rows.append(
            {
                "grid_id": grid_id,
                "network": label,
                "parent_id": d.COMMUNITIES[c][0],
                "kind": "comprehensive",
                "name": f"{d.COMMUNITIES[c][1]}{_NETWORK_NAMES[label]}{int(seq):02d}",
                "valid_from": _valid_from(network, key),
                "valid_to": d.GOVERNANCE_NEW_FROM if retired else None,
            }
        )
    frame = pd.DataFrame(rows)
    frame["valid_from"] = _dates(frame["valid_from"].tolist())
    frame["valid_to"] = _dates(frame["valid_to"].tolist())
    geoms = _place([polys[k] for k in keys], move)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=d.METRIC_EPSG)


def _recorded_loads(frames: dict[str, gpd.GeoDataFrame], plan: Plan) -> np.ndarray:
    """Return the loads recorded with the previous edition (buildings standing then).

    A household counts in the grid whose interior holds it (the smallest id
    when several do), as ``gg.assign`` counts.
    """
    hh = frames["households"]
    then = hh[~hh["building_id"].isin(plan.new_compound) & ~hh["household_id"].isin(plan.outside)]
    prev = frames["previous"]
    ids = prev["grid_id"].to_numpy(dtype=object)
    h, g = shapely.STRtree(prev.geometry.to_numpy()).query(
        then.geometry.to_numpy(), predicate="within"
    )
    pairs = pd.DataFrame({"h": h, "grid_id": ids[g]}).sort_values(["h", "grid_id"])
    counts = pairs.drop_duplicates("h")["grid_id"].value_counts()
    return counts.reindex(ids, fill_value=0).to_numpy(dtype=np.int64)


# --------------------------------------------------------------------------- other frames


def _jurisdiction(street: Street, move: Any) -> dict[str, gpd.GeoDataFrame]:
    by_community: dict[str, list[Polygon]] = {}
    for name, unit in d.UNITS.items():
        by_community.setdefault(unit.community, []).append(street.faces[name])
    whole = _union(list(street.faces.values()))
    keys = sorted(d.COMMUNITIES)
    return {
        "street": gpd.GeoDataFrame(
            {"unit_id": [d.STREET_CODE], "name": [d.STREET_NAME], "level": ["street"]},
            geometry=_place([whole], move),
            crs=d.METRIC_EPSG,
        ),
        "communities": gpd.GeoDataFrame(
            {
                "unit_id": [d.COMMUNITIES[c][0] for c in keys],
                "name": [d.COMMUNITIES[c][1] for c in keys],
                "level": ["community"] * len(keys),
                "parent_id": [d.STREET_CODE] * len(keys),
            },
            geometry=_place([_union(by_community[c]) for c in keys], move),
            crs=d.METRIC_EPSG,
        ),
    }


def _roads(street: Street, move: Any) -> gpd.GeoDataFrame:
    """Roads split at every junction, the river and the walls in one piece each."""
    rows: list[dict[str, str]] = []
    geoms: list[Any] = []
    roads = [f for f in street.work.features if f.kind == "road"]
    for i, line in enumerate(roads, start=1):
        rows.append({"feature_id": f"R{i:03d}", "kind": "road", "name": line.name})
        geoms.append(line.geom)
    river = [f.geom for f in street.work.features if f.kind == "river"]
    rows.append({"feature_id": "V01", "kind": "river", "name": d.RIVER_NAME})
    geoms.append(shapely.line_merge(shapely.union_all(river)))
    walls: dict[str, list[Any]] = {}
    for f in street.work.features:
        if f.kind == "wall":
            walls.setdefault(f.name, []).append(f.geom)
    for i, (name, parts) in enumerate(walls.items(), start=1):
        rows.append({"feature_id": f"W{i:02d}", "kind": "wall", "name": name})
        geoms.append(shapely.line_merge(shapely.union_all(parts)))
    frame = gpd.GeoDataFrame(rows, geometry=_place(geoms, move), crs=d.METRIC_EPSG)
    frame["length"] = np.round(frame.geometry.length.to_numpy(), 1)
    return frame


def _homes(
    buildings: list[Building], seed: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Household rows (building index, x, y) in building order, and which are misplaced.

    Five households of real buildings are geocoded at :data:`OUTSIDE_POINTS`.
    """
    homes = place_households(buildings, seed)
    residential = [i for i, b in enumerate(buildings) if b.households > 0 and not b.role]
    wrong = sorted(rng.choice(residential, size=len(d.OUTSIDE_POINTS), replace=False).tolist())
    outside = np.array([(b, x, y) for b, (x, y) in zip(wrong, d.OUTSIDE_POINTS, strict=True)])
    homes = np.vstack([homes, outside])
    order = np.lexsort((np.arange(len(homes)), homes[:, 0]))
    return homes[order], order >= len(homes) - len(outside)


def _people(street: Street, seed: int, plan: Plan, move: Any) -> dict[str, gpd.GeoDataFrame]:
    buildings = place_buildings(street, seed)
    ids = [f"B{i:04d}" for i in range(1, len(buildings) + 1)]
    for bid, b in zip(ids, buildings, strict=True):
        if b.role == "new compound":
            plan.new_compound.append(bid)
        elif b.role:
            plan.building_role[b.role] = bid
        if b.unit == d.SERVICE_GAP_UNIT:
            plan.gap_compound.append(bid)
    rng = np.random.default_rng([seed, 5])
    homes, outside = _homes(buildings, seed, rng)
    owner = homes[:, 0].astype(int)
    hids = [f"H{i:06d}" for i in range(1, len(homes) + 1)]
    plan.outside = [h for h, o in zip(hids, outside, strict=True) if o]
    table = pd.DataFrame(
        {
            "building_id": ids,
            "use": [b.use for b in buildings],
            "floors": [b.floors for b in buildings],
            "households": np.bincount(owner, minlength=len(buildings)).astype(np.int64),
            "year_built": [b.year for b in buildings],
        }
    )
    persons = rng.choice(np.arange(1, 7), size=len(homes), p=list(_PERSONS_P))
    frames = {
        "buildings": gpd.GeoDataFrame(
            table, geometry=_place([b.polygon for b in buildings], move), crs=d.METRIC_EPSG
        ),
        "households": gpd.GeoDataFrame(
            {
                "household_id": hids,
                "building_id": np.array(ids, dtype=object)[owner],
                "persons": persons.astype(np.int64),
            },
            geometry=_place(list(shapely.points(homes[:, 1:])), move),
            crs=d.METRIC_EPSG,
        ),
    }
    gap = np.isin(owner, [i for i, b in enumerate(buildings) if b.unit == d.SERVICE_GAP_UNIT])
    spots = place_stations(
        street,
        homes=homes[~outside & ~gap][:, 1:],
        gap_homes=homes[gap & ~outside][:, 1:],
        street_polygon=_union(list(street.faces.values())),
        footprints=[b.polygon for b in buildings],
    )
    frames["stations"] = _stations(street, spots, rng, move)
    return frames


def _stations(
    street: Street, spots: np.ndarray, rng: np.random.Generator, move: Any
) -> gpd.GeoDataFrame:
    areas: dict[str, list[Polygon]] = {}
    for name, unit in d.UNITS.items():
        areas.setdefault(unit.community, []).append(street.faces[name])
    community = {c: shapely.union_all(p) for c, p in sorted(areas.items())}
    rows = []
    count: dict[str, int] = {}
    for i, spot in enumerate(spots, start=1):
        c = min(community, key=lambda k: community[k].distance(spot))
        count[c] = count.get(c, 0) + 1
        rows.append(
            {
                "station_id": f"S{i:02d}",
                "name": f"{d.COMMUNITIES[c][1]}网格服务站{count[c]}",
                "capacity": int(rng.integers(6, 13)) * 100,
            }
        )
    return gpd.GeoDataFrame(
        pd.DataFrame(rows), geometry=_place(list(spots), move), crs=d.METRIC_EPSG
    )


def _frames(street: Street, seed: int, plan: Plan) -> dict[str, gpd.GeoDataFrame]:
    move = _placement()
    frames = _jurisdiction(street, move)
    frames["roads"] = _roads(street, move)
    frames.update(_people(street, seed, plan, move))
    polys = _networks(street)
    ids = _grid_ids()
    for network in NETWORKS:
        frames[network] = _grid_frame(network, polys[network], ids[network], move)
        plan.grid_ids[network] = {k: v[1] for k, v in ids[network].items()}
    frames["previous"]["households"] = _recorded_loads(frames, plan)
    return frames


# --------------------------------------------------------------------------- files


def _write(frames: dict[str, gpd.GeoDataFrame], path: Path) -> None:
    if path.exists():
        path.unlink()
    for layer in LAYERS:
        frames[layer].to_crs(d.STORED_EPSG).to_file(
            path, layer=layer, driver="GPKG", engine="pyogrio", SPATIAL_INDEX="NO"
        )


def read_frames(path: Path, *, metric: bool) -> dict[str, gpd.GeoDataFrame]:
    """Read every layer of a demo GeoPackage (EPSG:4490, or 4549 when `metric`).

    Parameters
    ----------
    path : Path
        The GeoPackage.
    metric : bool
        Convert every layer to EPSG:4549 with ``to_crs``.

    Returns
    -------
    dict of str to GeoDataFrame
        By layer name, in :data:`LAYERS` order.
    """
    out = {}
    for layer in LAYERS:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
        out[layer] = frame.to_crs(d.METRIC_EPSG) if metric else frame
    return out


def _gcj02_csv(households: gpd.GeoDataFrame, path: Path) -> None:
    wgs = households.to_crs(4326)  # CGCS2000 taken as WGS 84 for the web-map offset
    lng, lat = wgs84_to_gcj02(wgs.geometry.x.to_numpy(), wgs.geometry.y.to_numpy())
    table = pd.DataFrame(
        {
            "household_id": households["household_id"].to_numpy(),
            "building_id": households["building_id"].to_numpy(),
            "persons": households["persons"].to_numpy(),
            "lng": lng,
            "lat": lat,
        }
    )
    table.to_csv(path, index=False, float_format="%.9f", encoding="utf-8", lineterminator="\n")


def default_paths(out_dir: Path | str | None = None) -> dict[str, Path]:
    """Return where :func:`build` writes each file (``gpkg``, ``csv``, ``defects``).

    Parameters
    ----------
    out_dir : path, optional
        The folder; defaults to :data:`DATA_DIR`, the shipped files.

    Returns
    -------
    dict of str to Path
    """
    out = Path(out_dir) if out_dir is not None else DATA_DIR
    return {"gpkg": out / GPKG_NAME, "csv": out / CSV_NAME, "defects": out / DEFECTS_NAME}


def build(out_dir: Path | str | None = None, *, seed: int = d.SEED) -> dict[str, Path]:
    """Generate, verify and write the demo files; return their paths.

    Parameters
    ----------
    out_dir : path, optional
        Where to write; defaults to :data:`DATA_DIR` (replacing the shipped
        files).
    seed : int
        Seed of the random generators.  Only the default seed is guaranteed
        to produce the planted defects (others usually raise).

    Returns
    -------
    dict of str to Path
        ``gpkg``, ``csv`` and ``defects``.

    Raises
    ------
    tools.demo._truth.TruthError
        When a planted defect does not produce exactly its recorded findings,
        or a measured value is too close to its threshold.

    Examples
    --------
    ``build(folder)`` takes about ten seconds; it returns the paths written:

    >>> from pathlib import Path
    >>> {kind: Path(path).name for kind, path in default_paths().items()}
    {'gpkg': 'demo_street.gpkg', 'csv': 'households_gcj02.csv', 'defects': 'demo_defects.csv'}
    """
    paths = default_paths(out_dir)
    paths["gpkg"].parent.mkdir(parents=True, exist_ok=True)
    plan = Plan()
    frames = _frames(build_street(seed), seed, plan)
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / GPKG_NAME
        _write(frames, staged)
        stored = read_frames(staged, metric=False)
        metric = {k: v.to_crs(d.METRIC_EPSG) for k, v in stored.items()}
        defects = _truth.ground_truth(metric, plan)
        shutil.copyfile(staged, paths["gpkg"])
    _gcj02_csv(stored["households"], paths["csv"])
    defects.to_csv(paths["defects"], index=False, encoding="utf-8", lineterminator="\n")
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m tools.demo.build [--out DIR]``; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.demo.build",
        description="Generate, verify and write the files of the gridgov demo street.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: gridgov/datasets/data, the shipped files)",
    )
    args = parser.parse_args(argv)
    for kind, path in build(args.out).items():
        sys.stdout.write(f"{kind:8} {path} ({path.stat().st_size / 1e6:.2f} MB)\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
