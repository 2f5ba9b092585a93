"""Ground truth of the demo: reference computations and the expected findings.

Internal to :mod:`tools.demo.build`.  Everything here is plain
shapely/pandas/networkx, independent of the rest of gridgov: point-in-polygon
counts, areas, a Dijkstra along the roads.  :func:`ground_truth` runs every
rule of ``docs/rules.md`` (defaults of ``RuleSet.urban()``) on the governance
layer, checks that the findings are exactly the planted ones, checks the
unify and compare relations the same way, checks that every measured value is
far from its threshold, and returns the table.  Any disagreement raises
:class:`TruthError`: the build fails rather than ship a wrong truth.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from tools.demo import _design as d
from tools.demo._people import RoadDistances

if TYPE_CHECKING:
    import geopandas as gpd

    from tools.demo.build import Plan

__all__ = ["COLUMNS", "TruthError", "ground_truth", "reference_check"]

#: Columns of the ground-truth table.
COLUMNS = (
    "stage",
    "network",
    "principle",
    "rule",
    "grid_id",
    "household_id",
    "other_id",
    "value",
    "description",
)

# Defaults of RuleSet.urban() (docs/rules.md).
LOAD_BOUNDS = (300, 500)
CV_LIMIT = 0.25
MIN_AREA = 1.0
SLIVER_WIDTH = 1.0
SLIVER_MIN_AREA = 10.0
FEATURE_TOLERANCE = 5.0
MIN_SHARE_ON_FEATURES = 0.5
SPLIT_MIN_AREA = 1.0
SPLIT_MIN_SHARE = 0.01
SERVICE_DISTANCE = 500.0
REVIEW_AGE_DAYS = 1095
CODE = re.compile(r"^\d{15}$")
# Unify relations (documented in gridgov.datasets.demo_defects).
SAME_SHARE = 0.99
STRADDLE_SHARE = 0.25
MISMATCH_DISTANCE = 50.0
MISMATCH_LENGTH = 100.0
UNIFY_TOLERANCE = 1.0
SEPARATOR = ", "

Frames = dict[str, "gpd.GeoDataFrame"]


class TruthError(RuntimeError):
    """The generated data does not produce the recorded truth."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise TruthError(message)


def _records(frame: pd.DataFrame) -> list[SimpleNamespace]:
    """Return the rows of `frame` as namespaces (``row.column``)."""
    return [
        SimpleNamespace(**{str(k): v for k, v in rec.items()}) for rec in frame.to_dict("records")
    ]


def _valid(geoms: Any) -> np.ndarray:
    arr = np.asarray(geoms, dtype=object)
    bad = ~shapely.is_valid(arr)
    out = arr.copy()
    out[bad] = shapely.make_valid(arr[bad])
    return out


def household_grids(grids: gpd.GeoDataFrame, households: gpd.GeoDataFrame) -> pd.DataFrame:
    """Every (household position, grid id) with the household in the grid's interior."""
    geoms = _valid(grids.geometry.to_numpy())
    ids = grids["grid_id"].to_numpy(dtype=object)
    h, g = shapely.STRtree(geoms).query(households.geometry.to_numpy(), predicate="within")
    return pd.DataFrame({"h": h, "grid_id": ids[g]}).sort_values(["h", "grid_id"])


def loads(grids: gpd.GeoDataFrame, households: gpd.GeoDataFrame) -> pd.Series:
    """Households per grid; a household inside several grids counts in the smallest id."""
    pairs = household_grids(grids, households).drop_duplicates("h")
    counts = pairs["grid_id"].value_counts()
    return counts.reindex(grids["grid_id"].to_numpy(), fill_value=0).astype(int)


# --------------------------------------------------------------------------- reference check


class _Reference:
    """Every rule of ``docs/rules.md`` run on one grid layer, the plain way."""

    def __init__(self, layer: gpd.GeoDataFrame, frames: Frames) -> None:
        self.layer = layer
        self.frames = frames
        self.street = frames["street"].geometry.iloc[0]
        self.ids = layer["grid_id"].to_numpy(dtype=object)
        self.raw = layer.geometry.to_numpy()
        self.geoms = _valid(self.raw)
        self.rows: list[dict[str, Any]] = []
        self.measures: dict[str, Any] = {}

    def add(
        self,
        rule: str,
        grid: Any = None,
        household: Any = None,
        other: Any = None,
        value: Any = None,
        **extra: Any,
    ) -> None:
        self.rows.append(
            {
                "rule": rule,
                "grid_id": grid,
                "household_id": household,
                "other_id": other,
                "value": np.nan if value is None else float(value),
                **extra,
            }
        )

    def scale(self) -> None:
        load = loads(self.layer, self.frames["households"])
        self.measures["loads"] = load
        low, high = LOAD_BOUNDS
        for grid_id, n in load.items():
            if n > high:
                self.add("scale.too_many_households", grid_id, value=n)
            if n < low:
                self.add("scale.too_few_households", grid_id, value=n)
        cvs = {}
        for parent, part in self.layer.assign(load=load.to_numpy()).groupby("parent_id"):
            values = part["load"].to_numpy(dtype=float)
            if len(values) >= 2:
                cvs[parent] = float(values.std(ddof=0) / values.mean())
                if cvs[parent] > CV_LIMIT:
                    self.add("scale.unbalanced_parent", None, other=parent, value=cvs[parent])
        self.measures["cv"] = pd.Series(cvs)

    def identity(self) -> None:
        """Check validity, parts, ids and codes."""
        for grid_id, geom in zip(self.ids, self.raw, strict=True):
            if not shapely.is_valid(geom):
                self.add("boundary.invalid_geometry", grid_id)
        for grid_id, geom in zip(self.ids, self.geoms, strict=True):
            parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
            if len(parts) > 1:
                self.add("boundary.multipart", grid_id, value=len(parts))
        counts = pd.Series(self.ids).value_counts()
        for grid_id, n in counts[counts > 1].items():
            self.add("boundary.duplicate_id", grid_id, value=n)
        for grid_id, parent in zip(self.ids, self.layer["parent_id"], strict=True):
            if not CODE.match(grid_id) or not str(grid_id).startswith(str(parent)):
                self.add("boundary.bad_code", grid_id)

    def parents(self) -> None:
        units = self.frames["communities"]
        parent_geom = dict(zip(units["unit_id"], units.geometry, strict=True))
        outside = {}
        for grid_id, parent, geom in zip(
            self.ids, self.layer["parent_id"], self.geoms, strict=True
        ):
            area = float(geom.difference(parent_geom[parent]).area)
            outside[grid_id] = area
            if area > MIN_AREA:
                into = sorted(
                    u
                    for u, g in parent_geom.items()
                    if u != parent and geom.intersection(g).area > MIN_AREA
                )
                self.add("boundary.crosses_parent", grid_id, other=SEPARATOR.join(into), value=area)
        self.measures["outside_parent"] = pd.Series(outside)

    def buildings(self) -> None:
        buildings = self.frames["buildings"]
        b_geoms = buildings.geometry.to_numpy()
        b_ids = buildings["building_id"].to_numpy(dtype=object)
        bi, gi = shapely.STRtree(self.geoms).query(b_geoms, predicate="intersects")
        shared = shapely.area(shapely.intersection(b_geoms[bi], self.geoms[gi]))
        table = pd.DataFrame({"b": bi, "grid_id": self.ids[gi], "area": shared})
        table["share"] = table["area"] / shapely.area(b_geoms[table["b"].to_numpy()])
        self.measures["building_sides"] = table
        sides = table[(table["area"] > SPLIT_MIN_AREA) & (table["share"] > SPLIT_MIN_SHARE)]
        for b, part in sides.groupby("b"):
            if len(part) >= 2:
                ranked = part.sort_values(["share", "grid_id"])
                self.add(
                    "boundary.splits_building",
                    ranked["grid_id"].iloc[0],
                    other=SEPARATOR.join(sorted(ranked["grid_id"].iloc[1:])),
                    value=ranked["share"].max(),
                    building_id=b_ids[b],
                    low_share=float(ranked["share"].min()),
                )

    def shapes(self) -> None:
        """Boundaries on features, and slivers."""
        near = shapely.union_all(self.frames["roads"].geometry.buffer(FEATURE_TOLERANCE).to_numpy())
        edge = self.street.boundary.buffer(0.01)
        shares, shares_all, slivers = {}, {}, {}
        half = SLIVER_WIDTH / 2.0
        for grid_id, geom in zip(self.ids, self.geoms, strict=True):
            inner = geom.boundary.difference(edge)
            shares[grid_id] = inner.intersection(near).length / inner.length
            shares_all[grid_id] = geom.boundary.intersection(near).length / geom.boundary.length
            slivers[grid_id] = float(geom.difference(geom.buffer(-half).buffer(half)).area)
        self.measures["feature_share"] = pd.Series(shares)
        self.measures["feature_share_all"] = pd.Series(shares_all)
        self.measures["sliver"] = pd.Series(slivers)
        for grid_id, share in shares.items():
            if share < MIN_SHARE_ON_FEATURES:
                self.add("boundary.off_features", grid_id, value=share)
        for grid_id, area in slivers.items():
            if area > SLIVER_MIN_AREA:
                self.add("boundary.sliver", grid_id, value=area)

    def areas(self) -> None:
        """Gaps, overlaps and area outside the jurisdiction."""
        union = shapely.union_all(self.geoms)
        self.measures["union"] = union
        gaps = [p for p in shapely.get_parts(self.street.difference(union)) if p.area > 0]
        self.measures["gaps"] = sorted(p.area for p in gaps)
        tree = shapely.STRtree(self.geoms)
        for gap in gaps:
            if gap.area > MIN_AREA:
                near = sorted(self.ids[tree.query(gap.buffer(0.01), predicate="intersects")])
                self.add("coverage.gap", None, other=SEPARATOR.join(near), value=gap.area)
        a, b = tree.query(self.geoms, predicate="intersects")
        keep = a < b
        areas = shapely.area(shapely.intersection(self.geoms[a[keep]], self.geoms[b[keep]]))
        self.measures["overlaps"] = sorted(areas.tolist())
        for i, j, area in zip(a[keep], b[keep], areas, strict=True):
            if area > MIN_AREA:
                first, second = sorted([self.ids[i], self.ids[j]])
                self.add("coverage.overlap", first, other=second, value=area)
        outside = {
            g: float(geom.difference(self.street).area)
            for g, geom in zip(self.ids, self.geoms, strict=True)
        }
        self.measures["outside_street"] = outside
        for grid_id, area in outside.items():
            if area > MIN_AREA:
                self.add("coverage.outside_jurisdiction", grid_id, value=area)

    def households(self) -> None:
        """Households in no grid, in two, or far from every station."""
        households = self.frames["households"]
        pairs = household_grids(self.layer, households)
        n_in = pairs.groupby("h").size().reindex(range(len(households)), fill_value=0).to_numpy()
        hh_ids = households["household_id"].to_numpy(dtype=object)
        points = households.geometry.to_numpy()
        first_grid = pairs.drop_duplicates("h").set_index("h")["grid_id"]
        to_grid = shapely.distance(points, self.measures["union"])
        self.measures["distance_to_grid"] = pd.Series(to_grid, index=hh_ids)
        for h in np.flatnonzero(n_in == 0):
            self.add("coverage.uncovered_household", None, hh_ids[h], value=to_grid[h])
        for h in np.flatnonzero(n_in >= 2):
            inside = pairs.loc[pairs["h"] == h, "grid_id"].tolist()
            other = SEPARATOR.join(inside[1:])
            self.add(
                "coverage.multiply_covered_household", inside[0], hh_ids[h], other, len(inside)
            )
        roads = self.frames["roads"]
        stations = self.frames["stations"].geometry.to_numpy()
        net = RoadDistances(list(roads.loc[roads["kind"] == "road"].geometry), points)
        dist = net.nearest(stations)
        self.measures["service_distance"] = pd.Series(dist, index=hh_ids)
        self.measures["service_distance_no_leg"] = pd.Series(
            net.nearest(stations, target_access=False), index=hh_ids
        )
        self.measures["road_access"] = pd.Series(net.t_access, index=hh_ids)
        for h in np.flatnonzero(dist > SERVICE_DISTANCE):
            self.add("coverage.service_gap", first_grid.get(h), hh_ids[h], value=dist[h])

    def adjustment(self, previous: gpd.GeoDataFrame | None) -> None:
        low, high = LOAD_BOUNDS
        if previous is not None:
            recorded = previous.set_index("grid_id")["households"]
            for grid_id, n in self.measures["loads"].items():
                if grid_id in recorded.index:
                    before = int(recorded[grid_id])
                    if low <= before <= high and not low <= n <= high:
                        self.add("adjustment.load_drift", grid_id, value=n, previous=before)
        as_of = pd.Timestamp(d.DEMO_AS_OF)
        for grid_id, start in zip(self.ids, self.layer["valid_from"], strict=True):
            age = (as_of - pd.Timestamp(start)).days
            if age > REVIEW_AGE_DAYS:
                self.add("adjustment.review_due", grid_id, value=age)


def reference_check(
    layer: gpd.GeoDataFrame, frames: Frames, *, previous: gpd.GeoDataFrame | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run every rule on `layer`; return the findings and the measured quantities.

    Findings have columns ``rule``, ``grid_id``, ``household_id``,
    ``other_id``, ``value`` (and a few details).  The measures (loads, CVs,
    shares, areas, distances of every grid and household) are returned to
    check the margins.
    """
    ref = _Reference(layer, frames)
    ref.scale()
    ref.identity()
    ref.parents()
    ref.buildings()
    ref.shapes()
    ref.areas()
    ref.households()
    ref.adjustment(previous)
    return pd.DataFrame(ref.rows), ref.measures


# --------------------------------------------------------------------------- unify and compare


def crosswalk(base: gpd.GeoDataFrame, other: gpd.GeoDataFrame) -> pd.DataFrame:
    """Every overlapping (other grid, base grid) pair with shared area and both shares."""
    b_geoms = _valid(base.geometry.to_numpy())
    o_geoms = _valid(other.geometry.to_numpy())
    o, b = shapely.STRtree(b_geoms).query(o_geoms, predicate="intersects")
    shared = shapely.area(shapely.intersection(o_geoms[o], b_geoms[b]))
    out = pd.DataFrame(
        {
            "grid_id": other["grid_id"].to_numpy(dtype=object)[o],
            "base_id": base["grid_id"].to_numpy(dtype=object)[b],
            "shared": shared,
            "share_of_grid": shared / shapely.area(o_geoms[o]),
            "share_of_base": shared / shapely.area(b_geoms[b]),
        }
    )
    out = out[out["shared"] > 0].reset_index(drop=True)
    inner = (out["share_of_grid"] >= SAME_SHARE) | (out["share_of_base"] >= SAME_SHARE)
    out["partial"] = ~inner
    return out


def _mismatches(
    base: gpd.GeoDataFrame, other: gpd.GeoDataFrame, cw: pd.DataFrame
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    base_geom = dict(zip(base["grid_id"], _valid(base.geometry.to_numpy()), strict=True))
    edges = shapely.union_all(shapely.boundary(list(base_geom.values())))
    near = edges.buffer(MISMATCH_DISTANCE, quad_segs=4)
    rows, far_lengths = [], {}
    for grid_id, geom in zip(other["grid_id"], _valid(other.geometry.to_numpy()), strict=True):
        far = geom.boundary.difference(near)
        far_lengths[grid_id] = far.length
        if far.length > MISMATCH_LENGTH:
            counterpart = cw[cw["grid_id"] == grid_id].sort_values("shared")["base_id"].iloc[-1]
            off = geom.boundary.difference(base_geom[counterpart].boundary.buffer(UNIFY_TOLERANCE))
            ring = shapely.get_coordinates(shapely.segmentize(geom.boundary, 1.0))
            reach = shapely.distance(shapely.points(ring), edges)
            rows.append(
                {
                    "rule": "boundary.boundary_mismatch",
                    "grid_id": grid_id,
                    "other_id": counterpart,
                    "value": float(off.length),
                    "distance": float(reach.max()),
                }
            )
    return rows, far_lengths


def relations(
    base: gpd.GeoDataFrame, other: gpd.GeoDataFrame, *, mismatch: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compute the reference unify relations of `other` to `base`: (rows, crosswalk).

    - ``nested``: one grid lies ≥ 99 % inside the other, which it covers < 99 %;
    - ``boundary.straddles_network``: the grid has ≥ 25 % of its area in each of
      two or more base grids, at least one of which it only partly overlaps;
    - ``boundary.boundary_mismatch``: the grid's boundary runs more than 50 m
      from every boundary of the base network over more than 100 m; the other
      id is its counterpart, the base grid sharing most area with it, and the
      value the length of its boundary farther than 1 m (the unify tolerance)
      from the counterpart's boundary (skipped unless `mismatch`).
    """
    cw = crosswalk(base, other)
    rows: list[dict[str, Any]] = []
    for r in _records(cw[~cw["partial"]]):
        if r.share_of_grid >= SAME_SHARE and r.share_of_base >= SAME_SHARE:
            continue
        value = r.share_of_base if r.share_of_grid >= SAME_SHARE else r.share_of_grid
        rows.append({"rule": "nested", "grid_id": r.grid_id, "other_id": r.base_id, "value": value})
    for grid_id, part in cw.groupby("grid_id"):
        big = part[part["share_of_grid"] >= STRADDLE_SHARE]
        if len(big) >= 2 and big["partial"].any():
            rows.append(
                {
                    "rule": "boundary.straddles_network",
                    "grid_id": grid_id,
                    "other_id": SEPARATOR.join(sorted(big["base_id"])),
                    "value": float(big["share_of_grid"].max()),
                }
            )
    if mismatch:
        found, far = _mismatches(base, other, cw)
        rows += found
        cw["far"] = cw["grid_id"].map(far)
    return pd.DataFrame(rows), cw


def compare_classes(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> pd.DataFrame:
    """Compute the reference change classes between editions, unchanged grids left out.

    Grids with the same id sharing ≥ 99 % of both areas are unchanged; the
    other grids are grouped by overlaps of ≥ 1 % of either grid.
    """
    cw = crosswalk(old, new)  # grid_id = new, base_id = old
    linked = cw[(cw["share_of_grid"] >= 0.01) | (cw["share_of_base"] >= 0.01)]
    unchanged = linked[
        (linked["grid_id"] == linked["base_id"])
        & (linked["share_of_grid"] >= SAME_SHARE)
        & (linked["share_of_base"] >= SAME_SHARE)
    ]
    done_new, done_old = set(unchanged["grid_id"]), set(unchanged["base_id"])
    rest = linked[~linked["grid_id"].isin(done_new) & ~linked["base_id"].isin(done_old)]
    groups: list[tuple[set[str], set[str]]] = []
    for r in _records(rest):
        olds, news = {r.base_id}, {r.grid_id}
        for group in [g for g in groups if g[0] & olds or g[1] & news]:
            olds |= group[0]
            news |= group[1]
            groups.remove(group)
        groups.append((olds, news))
    rows: list[dict[str, str | None]] = []
    for olds, news in groups:
        if len(olds) == 1 and len(news) > 1:
            change = "split"
        elif len(olds) > 1 and len(news) == 1:
            change = "merged"
        else:
            change = "regrouped"
        rows.append(
            {
                "rule": change,
                "old_ids": SEPARATOR.join(sorted(olds)),
                "new_ids": SEPARATOR.join(sorted(news)),
            }
        )
    grouped_old = {o for g in groups for o in g[0]}
    grouped_new = {n for g in groups for n in g[1]}
    removed = sorted(set(old["grid_id"]) - done_old - grouped_old)
    added = sorted(set(new["grid_id"]) - done_new - grouped_new)
    rows += [{"rule": "removed", "old_ids": o, "new_ids": None} for o in removed]
    rows += [{"rule": "added", "old_ids": None, "new_ids": n} for n in added]
    return pd.DataFrame(rows, columns=["rule", "old_ids", "new_ids"])


# --------------------------------------------------------------------------- the truth


class _Table:
    """Rows of the truth table under construction."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        stage: str,
        network: str,
        rule: str,
        value: Any,
        text: str,
        *,
        grid: Any = None,
        household: Any = None,
        other: Any = None,
        principle: str | None = None,
    ) -> None:
        self.rows.append(
            {
                "stage": stage,
                "network": network,
                "principle": principle or rule.split(".", maxsplit=1)[0],
                "rule": rule,
                "grid_id": None if pd.isna(grid) else grid,
                "household_id": household,
                "other_id": None if pd.isna(other) else other,
                "value": np.nan if value is None else float(value),
                "description": text,
            }
        )

    def check(self, rule: str, value: Any, text: str, **ids: Any) -> None:
        self.add("check", "governance", rule, value, text, **ids)


def _key(frame: pd.DataFrame) -> set[tuple[Any, ...]]:
    cols = ["rule", "grid_id", "household_id", "other_id"]
    sub = frame.reindex(columns=cols).astype(object)
    sub = sub.where(sub.notna(), None)
    return set(map(tuple, sub.to_numpy().tolist()))


def _one(findings: pd.DataFrame, rule: str, grid: Any = None) -> pd.Series:
    hit = findings[findings["rule"] == rule]
    if grid is not None:
        hit = hit[hit["grid_id"] == grid]
    _require(len(hit) == 1, f"expected one {rule} finding for {grid}, found {len(hit)}")
    return hit.iloc[0]


def ground_truth(frames: Frames, plan: Plan) -> pd.DataFrame:
    """Verify the planted defects on the metric frames and return the truth table."""
    _invariants(frames, plan)
    findings, m = reference_check(frames["governance"], frames, previous=frames["previous"])
    table = _Table()
    _scale_rows(table, frames, plan, findings, m)
    _coverage_rows(table, frames, plan, findings, m)
    _boundary_rows(table, plan, findings)
    _adjustment_rows(table, frames, plan, findings, m)
    expected = pd.DataFrame(table.rows)
    _require(
        _key(expected) == _key(findings),
        "governance findings differ from the planted ones:\n"
        f"  unexpected: {sorted(_key(findings) - _key(expected), key=str)}\n"
        f"  missing:    {sorted(_key(expected) - _key(findings), key=str)}",
    )
    _scale_margins(plan, m)
    _shape_margins(plan, m)
    _building_margins(frames, plan, m)
    _service_margins(frames, plan, m)
    for network in ("party", "service"):
        _unify_rows(table, frames, plan, network)
    _compare_rows(table, frames, plan, m)
    out = pd.DataFrame(table.rows).reindex(columns=list(COLUMNS))
    order = {"check": 0, "unify": 1, "compare": 2}
    out = out.sort_values(
        ["stage", "network", "rule", "grid_id", "household_id", "other_id"],
        key=lambda s: s.map(order) if s.name == "stage" else s.fillna(""),
        kind="stable",
    )
    return out.reset_index(drop=True)


def _scale_rows(
    table: _Table, frames: Frames, plan: Plan, f: pd.DataFrame, m: dict[str, Any]
) -> None:
    g = plan.grid_ids["governance"]
    buildings = frames["buildings"].set_index("building_id")
    over, under, partner = g["C1_overloaded"], g["C1_underloaded"], g["C1_merge_partner"]
    load = m["loads"]
    new = int(buildings.loc[plan.new_compound, "households"].sum())
    table.check(
        "scale.too_many_households",
        _one(f, "scale.too_many_households", over)["value"],
        f"Grid {over} holds {load[over]} households, above 500: two 26-storey towers with {new} "
        "households were built in it since the last edition; split it along 杏花巷 into its "
        "two blocks.",
        grid=over,
    )
    table.check(
        "scale.too_few_households",
        _one(f, "scale.too_few_households", under)["value"],
        f"Grid {under} holds {load[under]} households, below 300 (a school takes much of its "
        f"block); merged with its neighbour {partner} across 丹桂街 it would hold "
        f"{load[under] + load[partner]}.",
        grid=under,
    )
    code = d.COMMUNITIES["C1"][0]
    cv = _one(f, "scale.unbalanced_parent")["value"]
    table.check(
        "scale.unbalanced_parent",
        cv,
        f"The loads of the grids of community {code} (东园社区) vary with a coefficient of "
        f"variation of {cv:.2f}, above 0.25, because of its overloaded and underloaded grids.",
        other=code,
    )


def _coverage_rows(
    table: _Table, frames: Frames, plan: Plan, f: pd.DataFrame, m: dict[str, Any]
) -> None:
    g = plan.grid_ids["governance"]
    buildings = frames["buildings"].set_index("building_id")
    building_of = frames["households"].set_index("household_id")["building_id"]
    gaps = f[f["rule"] == "coverage.gap"].sort_values("value")
    _require(len(gaps) == 2, f"expected two gaps, found {len(gaps)}")
    edge, hole = gaps.iloc[0], gaps.iloc[1]
    table.check(
        "coverage.gap",
        edge["value"],
        f"A strip of {edge['value']:.0f} m² along 龙园大道 between grid {g['C1_edge_gap']} and "
        "the street's outer edge belongs to no grid (a gap open to the outside).",
        other=edge["other_id"],
    )
    hole_b = plan.building_role["gap"]
    table.check(
        "coverage.gap",
        hole["value"],
        f"A hole of {hole['value']:.0f} m² beside 和平巷 between grids {hole['other_id']} "
        f"belongs to no grid; it holds building {hole_b} and its "
        f"{int(buildings.loc[hole_b, 'households'])} households.",
        other=hole["other_id"],
    )
    ov = _one(f, "coverage.overlap")
    ov_b = plan.building_role["overlap"]
    table.check(
        "coverage.overlap",
        ov["value"],
        f"Grids {ov['grid_id']} and {ov['other_id']} overlap by {ov['value']:.0f} m² north of "
        f"双桥街, over most of building {ov_b}.",
        grid=ov["grid_id"],
        other=ov["other_id"],
    )
    for r in _records(f[f["rule"] == "coverage.uncovered_household"]):
        if r.household_id in plan.outside:
            text = (
                f"Household {r.household_id} is geocoded {r.value:,.0f} m from every grid (its "
                f"building {building_of[r.household_id]} is in the street): a geocoding error."
            )
        else:
            text = (
                f"Household {r.household_id} lies in the hole beside 和平巷 that no grid covers, "
                f"{r.value:.1f} m from the nearest grid."
            )
        table.check("coverage.uncovered_household", r.value, text, household=r.household_id)
    for r in _records(f[f["rule"] == "coverage.multiply_covered_household"]):
        table.check(
            "coverage.multiply_covered_household",
            r.value,
            f"Household {r.household_id} (building {ov_b}) lies inside both grids {r.grid_id} "
            f"and {r.other_id}.",
            grid=r.grid_id,
            household=r.household_id,
            other=r.other_id,
        )
    for r in _records(f[f["rule"] == "coverage.service_gap"]):
        if r.household_id in plan.outside:
            leg = m["road_access"][r.household_id]
            where = f"geocoded outside the street ({leg:,.0f} m of it the straight leg to a road)"
        else:
            where = "in the riverside compound in the south-east corner"
        table.check(
            "coverage.service_gap",
            r.value,
            f"Household {r.household_id}, {where}, is {r.value:,.0f} m along the roads from the "
            "nearest service station (more than 500 m).",
            grid=r.grid_id,
            household=r.household_id,
        )


def _boundary_rows(table: _Table, plan: Plan, f: pd.DataFrame) -> None:
    g = plan.grid_ids["governance"]
    key = g["C5_sliver"]
    table.check(
        "boundary.sliver",
        _one(f, "boundary.sliver", key)["value"],
        f"Grid {key} has a spike 0.4 m wide and 50 m long along 和顺路, cut out of grid "
        f"{g['C5_nested_b2']}: a digitising sliver.",
        grid=key,
    )
    key = g["C2_crosses_parent"]
    hit = _one(f, "boundary.crosses_parent", key)
    table.check(
        "boundary.crosses_parent",
        hit["value"],
        f"Grid {key} of 西华社区 takes a parking lot of {hit['value']:,.0f} m² east of 长乐路 out "
        f"of community {hit['other_id']} (北岗社区).",
        grid=key,
        other=hit["other_id"],
    )
    key = g["C2_multipart"]
    table.check(
        "boundary.multipart",
        _one(f, "boundary.multipart", key)["value"],
        f"Grid {key} owns the triangular block between 双桥街, 安仁巷 and 长乐路, detached from "
        f"its main part by grid {g['C2_multipart_donor']}.",
        grid=key,
    )
    key = g["C3_invalid"]
    _one(f, "boundary.invalid_geometry", key)
    table.check(
        "boundary.invalid_geometry",
        None,
        f"Grid {key} has a self-intersecting bow-tie loop of 0.3 m² on its edge along 翠屏街 "
        "(invalid geometry, too small to affect any area rule).",
        grid=key,
    )
    for r in _records(f[f["rule"] == "boundary.splits_building"]):
        if r.building_id == plan.building_role["split"]:
            text = (
                f"Building {r.building_id} is cut by the boundary between grids {r.grid_id} and "
                f"{r.other_id} where it leaves 和平里围墙 ({r.low_share:.0%} / {r.value:.0%})."
            )
        else:
            text = (
                f"Building {r.building_id} lies {r.value:.0%} in grid {r.other_id} and "
                f"{r.low_share:.0%} also in grid {r.grid_id}, whose overlap cuts through it."
            )
        table.check("boundary.splits_building", r.value, text, grid=r.grid_id, other=r.other_id)
    key = g["C1_bad_code"]
    _one(f, "boundary.bad_code", key)
    table.check(
        "boundary.bad_code",
        None,
        f"Grid code {key} has 14 digits and does not start with its community code "
        f"{d.COMMUNITIES['C1'][0]} (a digit was dropped).",
        grid=key,
    )
    key = g["C4_off_roads"]
    share = _one(f, "boundary.off_features", key)["value"]
    table.check(
        "boundary.off_features",
        share,
        f"Grid {key} was drawn as a rectangle through four blocks: only {share:.0%} of its "
        "boundary runs within 5 m of a road, river or wall.",
        grid=key,
    )


def _adjustment_rows(
    table: _Table, frames: Frames, plan: Plan, f: pd.DataFrame, m: dict[str, Any]
) -> None:
    g = plan.grid_ids["governance"]
    key = g["C2_review_due"]
    age = _one(f, "adjustment.review_due", key)["value"]
    table.check(
        "adjustment.review_due",
        age,
        f"Grid {key} has been in force since {d.REVIEW_DUE_FROM.isoformat()}, {age:.0f} days "
        f"before {d.DEMO_AS_OF.isoformat()}: more than 3 years, due for review.",
        grid=key,
    )
    over = g["C1_overloaded"]
    drift = _one(f, "adjustment.load_drift", over)
    before = frames["previous"].set_index("grid_id").loc[over, "households"]
    table.check(
        "adjustment.load_drift",
        drift["value"],
        f"Grid {over} held {before} households in the previous edition and holds "
        f"{m['loads'][over]} now (a new compound): its load drifted above 500.",
        grid=over,
    )


# --------------------------------------------------------------------------- margins


def _scale_margins(plan: Plan, m: dict[str, Any]) -> None:
    g = plan.grid_ids["governance"]
    load = m["loads"]
    over, under = g["C1_overloaded"], g["C1_underloaded"]
    for grid_id, n in load.drop([over, under]).items():
        _require(335 <= n <= 465, f"load of {grid_id} is {n}, too close to a bound")
    _require(load[over] >= 650, "overloaded grid not overloaded enough")
    _require(load[under] <= 180, "underloaded grid not underloaded enough")
    merged = load[under] + load[g["C1_merge_partner"]]
    _require(400 <= merged <= 480, f"merging the underloaded grid gives {merged}")
    for parent, cv in m["cv"].items():
        if parent == d.COMMUNITIES["C1"][0]:
            _require(cv >= 0.32, f"CV of {parent} is {cv:.3f}, too close to 0.25")
        else:
            _require(cv <= 0.18, f"CV of {parent} is {cv:.3f}, too close to 0.25")


def _shape_margins(plan: Plan, m: dict[str, Any]) -> None:
    g = plan.grid_ids["governance"]
    for variant in ("feature_share", "feature_share_all"):
        for grid_id, share in m[variant].items():
            if grid_id == g["C4_off_roads"]:
                _require(share <= 0.3, f"{variant} of {grid_id} is {share:.2f}")
            else:
                _require(share >= 0.6, f"{variant} of {grid_id} is {share:.2f}")
    for grid_id, area in m["sliver"].items():
        if grid_id == g["C5_sliver"]:
            _require(area >= 15.0, f"sliver area of {grid_id} is {area:.1f}")
        else:
            _require(area <= 5.0, f"thin parts of {grid_id} cover {area:.1f} m²")
    _require(all(a <= 0.5 or a >= 300 for a in m["gaps"]), f"gaps {m['gaps']}")
    _require(all(a <= 0.5 or a >= 300 for a in m["overlaps"]), f"overlaps {m['overlaps']}")
    for grid_id, area in m["outside_parent"].items():
        if grid_id == g["C2_crosses_parent"]:
            _require(area >= 1000.0, f"area outside the parent {area:.0f}")
        else:
            _require(area <= 0.5, f"{grid_id} has {area:.2f} m² outside its parent")
    _require(max(m["outside_street"].values()) <= 0.5, "a grid leaves the street")


def _building_margins(frames: Frames, plan: Plan, m: dict[str, Any]) -> None:
    sides = m["building_sides"]
    sides = sides[sides["area"] > 0]
    shared = sides.groupby("b").size()
    planted = {plan.building_role["split"], plan.building_role["overlap"]}
    for b in shared[shared >= 2].index:
        part = sides[sides["b"] == b]
        bid = frames["buildings"]["building_id"].iloc[b]
        if bid in planted:
            _require(part["share"].min() >= 0.3, f"building {bid}: {part['share'].tolist()}")
        else:
            _require(part["share"].min() <= 1e-6, f"building {bid} touches two grids")


def _service_margins(frames: Frames, plan: Plan, m: dict[str, Any]) -> None:
    dist = m["service_distance"]
    building_of = frames["households"].set_index("household_id")["building_id"]
    outside = building_of.index.isin(plan.outside)
    gap = (building_of.isin(plan.gap_compound) & ~outside).to_numpy()
    _require(bool((dist[gap] >= 560).all()), "service-gap households too close")
    no_leg = m["service_distance_no_leg"]
    _require(bool((no_leg[gap] >= 520).all()), "service-gap households too close (no leg)")
    served = ~gap & ~outside
    _require(float(dist[served].max()) <= 450.0, f"a household is {dist[served].max():.0f} m away")
    _require(bool((m["distance_to_grid"][plan.outside] > 500).all()), "outside household near")
    access = m["road_access"]
    _require(float(access[~outside].max()) <= 85.0, "a household is far from the roads")
    _require(float(access[outside].min()) >= 200.0, "an outside household is near a road")


# --------------------------------------------------------------------------- unify rows


def _expected_relations(plan: Plan, network: str) -> set[tuple[str, str, str]]:
    g = plan.grid_ids["governance"]
    ids = plan.grid_ids[network]
    if network == "party":
        a, b = "C3_recut_a", "C3_recut_b"
        both = SEPARATOR.join(sorted([g[a], g[b]]))
        return {
            ("nested", ids[a], g[a]),
            ("nested", ids[b], g[b]),
            ("boundary.straddles_network", ids[b], both),
        }
    out = set()
    for key, (_seq, members) in d.SERVICE_MERGES.items():
        out |= {("nested", ids[key], g[m]) for m in members}
    _unit, old, new = d.SERVICE_MISMATCH
    out |= {
        ("nested", ids[old], g[old]),
        ("nested", ids[new], g[new]),
        ("boundary.boundary_mismatch", ids[old], g[old]),
        ("boundary.boundary_mismatch", ids[new], g[new]),
    }
    return out


def _relation_margins(cw: pd.DataFrame, expected: set[tuple[str, str, str]], network: str) -> None:
    """Every unlisted pair a twin or a sliver; every share far from the thresholds."""
    listed = {
        (grid, other) for _rule, grid, others in expected for other in others.split(SEPARATOR)
    }
    special = {grid for rule, grid, _o in expected if rule != "nested"}
    for r in _records(cw):
        twin = r.share_of_grid >= SAME_SHARE and r.share_of_base >= SAME_SHARE
        if not twin and (r.grid_id, r.base_id) not in listed and r.grid_id not in special:
            _require(
                max(r.share_of_grid, r.share_of_base) < 0.01,
                f"{network} {r.grid_id}/{r.base_id}: {r.share_of_grid:.3f}/{r.share_of_base:.3f}",
            )
        for share in (r.share_of_grid, r.share_of_base):
            _require(share >= 0.994 or share <= 0.95, f"{network} share {share:.4f} near 99 %")
            if r.partial:
                _require(abs(share - STRADDLE_SHARE) >= 0.1, f"{network} share {share:.3f}")
    for far in cw["far"]:
        _require(far <= 60 or far >= 150, f"{network}: a boundary runs far over {far:.0f} m")


def _unify_rows(table: _Table, frames: Frames, plan: Plan, network: str) -> None:
    gov = frames["governance"]
    rel, cw = relations(gov, frames[network])
    expected = _expected_relations(plan, network)
    found = set(zip(rel["rule"], rel["grid_id"], rel["other_id"], strict=True))
    _require(found == expected, f"{network} relations: {sorted(found)} != {sorted(expected)}")
    _relation_margins(cw, expected, network)
    back, _ = relations(frames[network], gov, mismatch=False)
    _require(
        not (back["rule"] == "boundary.straddles_network").any(),
        f"a governance grid straddles the {network} network",
    )
    for r in _records(rel):
        if r.rule == "nested":
            pair = cw[(cw["grid_id"] == r.grid_id) & (cw["base_id"] == r.other_id)].iloc[0]
            if pair["share_of_grid"] >= SAME_SHARE:
                text = (
                    f"{network.capitalize()} grid {r.grid_id} lies inside governance grid "
                    f"{r.other_id} and covers {r.value:.0%} of it."
                )
            else:
                text = (
                    f"Governance grid {r.other_id} lies inside {network} grid {r.grid_id} and "
                    f"covers {r.value:.0%} of it."
                )
        elif r.rule == "boundary.straddles_network":
            part = cw[
                (cw["grid_id"] == r.grid_id) & cw["base_id"].isin(r.other_id.split(SEPARATOR))
            ]
            shares = " and ".join(f"{s:.0%}" for s in part.sort_values("base_id")["share_of_grid"])
            text = (
                f"Party grid {r.grid_id} (the block between 望江路 and 北湖路) has {shares} of its "
                f"area in governance grids {r.other_id}: it straddles the governance boundary "
                "along 望江苑围墙."
            )
        else:
            text = (
                f"Service grid {r.grid_id} and its governance counterpart {r.other_id} disagree "
                f"about the walled compound 书香苑 on 文昌街: {r.value:.0f} m of the service "
                f"boundary are off the governance one, up to {r.distance:.0f} m from every "
                "governance boundary."
            )
        table.add(
            "unify",
            network,
            r.rule,
            r.value,
            text,
            grid=r.grid_id,
            other=r.other_id,
            principle="boundary",
        )


def _compare_rows(table: _Table, frames: Frames, plan: Plan, m: dict[str, Any]) -> None:
    gov = frames["governance"].copy()
    gov["geometry"] = _valid(gov.geometry.to_numpy())
    classes = compare_classes(frames["previous"], gov)
    p, g = plan.grid_ids["previous"], plan.grid_ids["governance"]
    _c, _seq, split = d.PREVIOUS_SPLIT
    merged_key, parts = d.PREVIOUS_MERGED
    old_merged = SEPARATOR.join(sorted(p[f"C4_merged_prev_{s}"] for s, _u in parts))
    expected = {
        ("split", p["C4_split_prev"], SEPARATOR.join(sorted(g[k] for k in split))),
        ("merged", old_merged, g[merged_key]),
    }
    found = set(zip(classes["rule"], classes["old_ids"], classes["new_ids"], strict=True))
    _require(found == expected, f"compare classes differ: {sorted(found, key=str)}")
    recorded = frames["previous"].set_index("grid_id")["households"]
    for r in _records(classes):
        after = int(sum(m["loads"][i] for i in r.new_ids.split(SEPARATOR)))
        before = " and ".join(str(int(recorded[i])) for i in r.old_ids.split(SEPARATOR))
        if r.rule == "split":
            text = (
                f"Previous grid {r.old_ids} (recorded load {before}) was split into {r.new_ids}, "
                f"which hold {after} households now."
            )
        else:
            text = (
                f"Previous grids {r.old_ids} (recorded loads {before}) were merged into "
                f"{r.new_ids}, which holds {after} households now."
            )
        table.add(
            "compare",
            "governance",
            r.rule,
            after,
            text,
            grid=r.old_ids,
            other=r.new_ids,
            principle="adjustment",
        )


# --------------------------------------------------------------------------- invariants


def _invariants(frames: Frames, plan: Plan) -> None:
    """Check the facts every frame must satisfy, defects aside."""
    street = frames["street"].geometry.iloc[0]
    for layer in ("communities", "service"):
        geoms = frames[layer].geometry.to_numpy()
        _require(bool(shapely.coverage_is_valid(geoms)), f"{layer} is not a valid coverage")
        union = shapely.coverage_union_all(geoms)
        _require(union.symmetric_difference(street).area < 1e-3, f"{layer} do not fill the street")
    for network in ("party", "service", "previous"):
        geoms = frames[network].geometry.to_numpy()
        _require(bool(shapely.is_valid(geoms).all()), f"{network} has invalid geometry")
    for network in ("governance", "party", "service", "previous"):
        ids = frames[network]["grid_id"]
        _require(ids.is_unique, f"{network} ids are not unique")
        bad = [i for i in ids if not CODE.match(i)]
        expected = [d.BAD_CODE[1]] if network in ("governance", "previous") else []
        _require(bad == expected, f"{network} bad codes {bad}")
    households = frames["households"]
    _require(households["household_id"].is_unique, "household ids are not unique")
    buildings = frames["buildings"].set_index("building_id")
    counts = households["building_id"].value_counts().reindex(buildings.index, fill_value=0)
    _require(bool((counts == buildings["households"]).all()), "building household counts differ")
    home = households[~households["household_id"].isin(plan.outside)]
    points = home.geometry.to_numpy()
    foot = buildings.geometry.reindex(home["building_id"]).to_numpy()
    clearance = shapely.distance(points, shapely.boundary(foot))
    _require(
        bool(shapely.within(points, foot).all()) and float(clearance.min()) >= 0.5,
        "a household leaves its building",
    )
    every = households.geometry.to_numpy()
    for network in ("governance", "party", "service", "previous"):
        edges = shapely.union_all(shapely.boundary(_valid(frames[network].geometry.to_numpy())))
        _require(float(shapely.distance(every, edges).min()) >= 0.5, f"household on {network} edge")
    roads = frames["roads"]
    lines = roads.loc[roads["kind"] == "road"].geometry.to_numpy()
    setback = shapely.distance(buildings.geometry.to_numpy()[:, None], lines[None, :]).min(axis=1)
    _require(float(setback.min()) >= 8.0 - 1e-6, f"a building is {setback.min():.2f} m from a road")
