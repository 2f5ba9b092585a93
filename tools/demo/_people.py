"""Buildings, households and service stations of the demo street.

Internal to :mod:`tools.demo.build`; local metres.  Buildings keep 8 m
clear of every face boundary (roads, walls, grid cut lines) and of the estate
lanes, unless they are placed by hand for a defect; households lie inside
their building, at least 0.6 m from its walls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import networkx as nx
import numpy as np
import shapely
from shapely import Point, Polygon, affinity, box

from tools.demo import _design as d

if TYPE_CHECKING:
    from tools.demo._street import Street

__all__ = ["Building", "RoadDistances", "place_buildings", "place_households", "place_stations"]

SETBACK = 8.0
WALL_CLEARANCE = 0.6
# Households per floor of one stair unit, and the length of a stair unit.
_PER_UNIT = 2
_UNIT_LENGTH = 13.0
# Share of the capacity the households of a unit fill (vacancy is common).
_OCCUPANCY = 0.72


@dataclass(frozen=True)
class _Style:
    length: tuple[float, float]
    depth: tuple[float, float]
    gap_x: tuple[float, float]
    gap_y: tuple[float, float]
    floors: tuple[int, int]
    years: tuple[int, int]
    tower: bool = False


_STYLES: dict[str, _Style] = {
    "lowrise": _Style((34, 60), (10, 12), (8, 14), (16, 22), (3, 6), (1982, 2004)),
    "midrise": _Style((40, 62), (13, 15), (12, 18), (26, 32), (7, 11), (1996, 2014)),
    "highrise": _Style((30, 38), (18, 22), (20, 28), (34, 40), (18, 34), (2006, 2021), tower=True),
    "campus": _Style((50, 90), (18, 30), (20, 30), (25, 35), (2, 5), (1990, 2012)),
}


class _Footprint(NamedTuple):
    """A rectangle: polygon, corner (local frame origin), length, depth."""

    polygon: Polygon
    origin: tuple[float, float]
    length: float
    depth: float


@dataclass
class Building:
    """A building footprint and its attributes (local metres).

    ``origin``, ``angle`` and ``size`` describe the rectangle (corner, axis
    angle in radians, length and depth) to sample household points in;
    ``avoid`` is a grid boundary crossing the footprint that households keep
    1 m away from.
    """

    polygon: Polygon
    unit: str
    floors: int
    households: int
    year: int
    use: str
    origin: tuple[float, float]
    angle: float
    size: tuple[float, float]
    role: str = ""
    avoid: shapely.Geometry | None = None


def _angle(face: Polygon) -> float:
    """Return the orientation (radians) of the face side closest to east-west."""
    rect = shapely.oriented_envelope(face)
    xy = np.asarray(rect.exterior.coords)
    angles = [math.atan2(xy[i + 1][1] - xy[i][1], xy[i + 1][0] - xy[i][0]) for i in range(2)]
    folded = [((a + math.pi / 2) % math.pi) - math.pi / 2 for a in angles]
    return min(folded, key=abs)


def _candidates(
    inner: Polygon, angle: float, style: _Style, rng: np.random.Generator
) -> list[_Footprint]:
    """Lay footprints out in rows inside `inner`, rows along `angle`."""
    centre = inner.centroid
    rot = affinity.rotate(inner, -angle, origin=centre, use_radians=True)
    shapely.prepare(rot)
    minx, miny, maxx, maxy = rot.bounds
    out = []
    y = miny + rng.uniform(0.0, 4.0)
    while y < maxy:
        depth = rng.uniform(*style.depth)
        x = minx + rng.uniform(0.0, 6.0)
        while x < maxx:
            length = rng.uniform(*style.length)
            for size in (length, style.length[0]):
                rect = box(x, y, x + size, y + depth)
                if rot.contains(rect):
                    back = affinity.rotate(rect, angle, origin=centre, use_radians=True)
                    corner = affinity.rotate(Point(x, y), angle, origin=centre, use_radians=True)
                    out.append(_Footprint(back, (corner.x, corner.y), size, depth))
                    x += size + rng.uniform(*style.gap_x)
                    break
            else:
                x += 6.0
        y += depth + rng.uniform(*style.gap_y)
    return out


def _per_floor(length: float, style: _Style) -> int:
    if style.tower:
        return 8  # two stair cores of four flats
    return _PER_UNIT * max(1, round(length / _UNIT_LENGTH))


def _building(
    spot: _Footprint, unit: str, angle: float, *, floors: int, households: int, year: int, use: str
) -> Building:
    return Building(
        spot.polygon,
        unit,
        floors,
        households,
        year,
        use,
        spot.origin,
        angle,
        (spot.length, spot.depth),
    )


def _fill(
    name: str, face: Polygon, keep_clear: Polygon | None, rng: np.random.Generator
) -> list[Building]:
    """Lay out the buildings of one unit."""
    unit = d.UNITS[name]
    if unit.style == "empty" or (unit.style != "campus" and unit.households == 0):
        return []
    inner = face.buffer(-SETBACK)
    if keep_clear is not None:
        inner = inner.difference(keep_clear)
    if inner.is_empty:
        msg = f"unit {name!r} has no room for buildings"
        raise ValueError(msg)
    inner = max(shapely.get_parts(inner), key=lambda p: p.area)
    angle = _angle(face)
    if unit.style == "campus":
        style = _STYLES["campus"]
        spots = _candidates(inner, angle, style, rng)
        picks = sorted(rng.permutation(len(spots))[: min(4, len(spots))].tolist())
        return [
            _building(
                spots[i],
                name,
                angle,
                floors=int(rng.integers(*style.floors, endpoint=True)),
                households=0,
                year=int(rng.integers(*style.years, endpoint=True)),
                use=unit.use,
            )
            for i in picks
        ]
    styles = ["lowrise", "highrise"] if unit.style == "mixed" else [unit.style]
    out: list[Building] = []
    spare: list[_Footprint] = []
    left = unit.households
    for k, style_name in enumerate(styles):
        share = left if k == len(styles) - 1 else round(left * 0.45)
        left -= share
        region = inner
        if unit.style == "mixed":  # low-rise in the western part, towers in the eastern part
            minx, _miny, maxx, _maxy = inner.bounds
            cut = minx + 0.6 * (maxx - minx)
            half = box(minx - 1, -1e5, cut, 1e5) if k == 0 else box(cut + 10, -1e5, maxx + 1, 1e5)
            region = max(shapely.get_parts(inner.intersection(half)), key=lambda p: p.area)
        spots = _candidates(region, angle, _STYLES[style_name], rng)
        homes, unused = _occupy(name, spots, _STYLES[style_name], share, angle=angle, rng=rng)
        out.extend(homes)
        spare.extend(unused)
    if len(spare) < len(unit.nonres):
        msg = f"unit {name!r}: no room for its non-residential buildings"
        raise ValueError(msg)
    order = rng.permutation(len(spare))
    out.extend(
        _building(
            spare[int(i)],
            name,
            angle,
            floors=int(rng.integers(2, 5, endpoint=True)),
            households=0,
            year=int(rng.integers(1990, 2015, endpoint=True)),
            use=use,
        )
        for use, i in zip(unit.nonres, order, strict=False)
    )
    return out


def _occupy(
    name: str,
    spots: list[_Footprint],
    style: _Style,
    households: int,
    *,
    angle: float,
    rng: np.random.Generator,
) -> tuple[list[Building], list[_Footprint]]:
    """Choose buildings and floors to house `households`; return them and the unused spots."""
    if not spots:
        msg = f"unit {name!r}: no room for a {style} building"
        raise ValueError(msg)
    per_floor = np.array([_per_floor(s.length, style) for s in spots])
    if style.tower:
        chosen, floors = _towers(name, per_floor, style, households, rng)
    else:
        chosen, floors = _slabs(name, per_floor, style, households, rng)
    caps = per_floor[chosen] * floors[chosen]
    counts = _largest_remainder(caps * rng.uniform(0.7, 1.0, size=len(chosen)), households, caps)
    homes = [
        _building(
            spots[i],
            name,
            angle,
            floors=int(floors[i]),
            households=int(n),
            year=int(rng.integers(*style.years, endpoint=True)),
            use="residential",
        )
        for i, n in zip(chosen, counts, strict=True)
    ]
    taken = set(chosen)
    return homes, [s for i, s in enumerate(spots) if i not in taken]


def _towers(
    name: str, per_floor: np.ndarray, style: _Style, households: int, rng: np.random.Generator
) -> tuple[list[int], np.ndarray]:
    """Pick as few towers as hold `households` at about 93 % occupancy, floors to fit."""
    n = math.ceil(households / 240)
    if n > len(per_floor):
        msg = f"unit {name!r}: room for {len(per_floor)} towers, {n} wanted"
        raise ValueError(msg)
    chosen = sorted(rng.permutation(len(per_floor))[:n].tolist())
    floors = np.zeros(len(per_floor), dtype=np.int64)
    need = np.ceil(households / n / per_floor[chosen] / 0.93).astype(np.int64)
    floors[chosen] = np.clip(need, style.floors[0], style.floors[1])
    if int((per_floor[chosen] * floors[chosen]).sum()) < households:
        msg = f"unit {name!r}: towers too small for {households} households"
        raise ValueError(msg)
    return chosen, floors


def _slabs(
    name: str, per_floor: np.ndarray, style: _Style, households: int, rng: np.random.Generator
) -> tuple[list[int], np.ndarray]:
    """Pick slabs in random order until they hold `households` at about 72 % occupancy."""
    floors = rng.integers(style.floors[0], style.floors[1], size=len(per_floor), endpoint=True)
    chosen: list[int] = []
    capacity = 0
    for i in rng.permutation(len(per_floor)):
        if capacity >= households / _OCCUPANCY:
            break
        chosen.append(int(i))
        capacity += int(per_floor[i] * floors[i])
    if capacity < households / 0.97:
        floors[chosen] = style.floors[1]
        capacity = int((per_floor[chosen] * floors[chosen]).sum())
    if capacity < households:
        msg = f"unit {name!r}: room for {capacity} households, {households} wanted"
        raise ValueError(msg)
    return sorted(chosen), floors


def _largest_remainder(weights: np.ndarray, total: int, caps: np.ndarray) -> np.ndarray:
    """Split `total` into integers proportional to `weights`, none above its cap."""
    counts = np.zeros(len(weights), dtype=np.int64)
    left = total
    free = np.ones(len(weights), dtype=bool)
    while left > 0:
        share = weights * free / (weights * free).sum() * left
        add = np.minimum(np.floor(share).astype(np.int64), caps - counts)
        counts += add
        left -= int(add.sum())
        rest = share - np.floor(share)
        for i in np.argsort(-rest, kind="stable"):
            if left == 0:
                break
            if free[i] and counts[i] < caps[i]:
                counts[i] += 1
                left -= 1
        free = counts < caps
        if left and not free.any():
            msg = "not enough room"
            raise ValueError(msg)
    return counts


def place_buildings(street: Street, seed: int) -> list[Building]:
    """Lay out every building of the street, the ones placed by hand last."""
    rng = np.random.default_rng([seed, 3])
    clear: dict[str, list[Polygon]] = {}
    for ex in street.explicit:
        for unit in ex.units:
            clear.setdefault(unit, []).append(ex.polygon.buffer(SETBACK))
    for unit, lanes in street.lanes.items():
        clear.setdefault(unit, []).extend(lane.buffer(SETBACK) for lane in lanes)
    out: list[Building] = []
    for name in d.UNITS:
        keep = shapely.union_all(clear[name]) if name in clear else None
        out.extend(_fill(name, street.faces[name], keep, rng))
    for ex in street.explicit:
        minx, miny, maxx, maxy = ex.polygon.bounds
        spot = _Footprint(ex.polygon, (minx, miny), maxx - minx, maxy - miny)
        building = _building(
            spot,
            ex.units[0],
            0.0,
            floors=ex.floors,
            households=ex.households,
            year=ex.year,
            use=ex.use,
        )
        building.role = ex.role
        building.avoid = ex.avoid
        out.append(building)
    return out


def place_households(buildings: list[Building], seed: int) -> np.ndarray:
    """Return household points (local), building by building: rows (building index, x, y)."""
    rng = np.random.default_rng([seed, 4])
    rows: list[tuple[int, float, float]] = []
    for b_index, b in enumerate(buildings):
        length, depth = b.size
        c, s = math.cos(b.angle), math.sin(b.angle)
        n = 0
        while n < b.households:
            u = rng.uniform(WALL_CLEARANCE, length - WALL_CLEARANCE)
            v = rng.uniform(WALL_CLEARANCE, depth - WALL_CLEARANCE)
            x = b.origin[0] + c * u - s * v
            y = b.origin[1] + s * u + c * v
            if b.avoid is not None and b.avoid.distance(Point(x, y)) < 1.0:
                continue
            rows.append((b_index, x, y))
            n += 1
    return np.array(rows, dtype=float).reshape(-1, 3)


# --------------------------------------------------------------------------- roads


@dataclass(frozen=True)
class _Network:
    pieces: np.ndarray  # LineStrings
    start: np.ndarray
    end: np.ndarray
    length: np.ndarray
    graph: nx.Graph
    tree: shapely.STRtree


def _network(lines: list[shapely.Geometry]) -> _Network:
    pieces = np.array(lines, dtype=object)
    first = shapely.get_coordinates(shapely.get_point(pieces, 0))
    last = shapely.get_coordinates(shapely.get_point(pieces, -1))
    nodes, inverse = np.unique(np.vstack([first, last]), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    start, end = inverse[: len(pieces)], inverse[len(pieces) :]
    length = shapely.length(pieces)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(nodes)))
    for i in range(len(pieces)):
        a, b = int(start[i]), int(end[i])
        if a != b and (not graph.has_edge(a, b) or graph[a][b]["weight"] > length[i]):
            graph.add_edge(a, b, weight=float(length[i]))
    return _Network(pieces, start, end, length, graph, shapely.STRtree(pieces))


def _snap(net: _Network, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest piece of every point (lowest index on ties), position along it, distance."""
    (p, piece), dist = net.tree.query_nearest(points, return_distance=True, all_matches=True)
    order = np.lexsort((piece, p))
    p, piece, dist = p[order], piece[order], dist[order]
    first = np.r_[True, p[1:] != p[:-1]]
    chosen = np.empty(len(points), dtype=np.int64)
    access = np.empty(len(points))
    chosen[p[first]] = piece[first]
    access[p[first]] = dist[first]
    along = shapely.line_locate_point(net.pieces[chosen], points)
    return chosen, along, access


class RoadDistances:
    """Network distances along road lines, with snapping to the nearest road point.

    Both ends of a trip are snapped to the nearest point of the nearest road
    line (the roads must be noded: pieces meet at their ends only); a trip is
    the source's snap distance, plus the distance along the roads between the
    snapped points, plus (optionally) the target's snap distance.  Node to
    node distances come from :mod:`networkx` Dijkstra runs, once.
    """

    def __init__(self, lines: list[shapely.Geometry], targets: np.ndarray) -> None:
        self.net = _network(lines)
        self.t_piece, self.t_along, self.t_access = _snap(self.net, targets)
        n = self.net.graph.number_of_nodes()
        self.between = np.full((n, n), np.inf)
        for node, lengths in nx.all_pairs_dijkstra_path_length(self.net.graph):
            self.between[node, list(lengths)] = list(lengths.values())

    def from_sources(self, sources: np.ndarray, *, target_access: bool = True) -> np.ndarray:
        """Return the matrix (sources x targets) of network distances."""
        net = self.net
        s_piece, s_along, s_access = _snap(net, sources)
        t_piece, t_along = self.t_piece, self.t_along
        out = np.empty((len(sources), len(t_piece)))
        t_start, t_end = net.start[t_piece], net.end[t_piece]
        t_rest = net.length[t_piece] - t_along
        for lo in range(0, len(sources), 64):
            k = slice(lo, lo + 64)
            s_rest = net.length[s_piece[k]] - s_along[k]
            node_d = np.minimum(
                s_along[k, None] + self.between[net.start[s_piece[k]]],
                s_rest[:, None] + self.between[net.end[s_piece[k]]],
            )
            here = np.minimum(t_along + node_d[:, t_start], t_rest + node_d[:, t_end])
            same = s_piece[k, None] == t_piece[None, :]
            direct = np.abs(t_along[None, :] - s_along[k, None])
            here = np.where(same, np.minimum(here, direct), here)
            out[k] = here + s_access[k, None]
        if target_access:
            out = out + self.t_access[None, :]
        return out

    def nearest(self, sources: np.ndarray, *, target_access: bool = True) -> np.ndarray:
        """Return the distance from every target to its nearest source."""
        best: np.ndarray = self.from_sources(sources, target_access=target_access).min(axis=0)
        return best


def _station_spots(
    street: Street, street_polygon: Polygon, footprints: list[Polygon], gap_homes: np.ndarray
) -> np.ndarray:
    """Candidate station points beside the roads, away from the service-gap compound."""
    lines: dict[str, list[shapely.Geometry]] = {}
    for f in street.work.features:
        if f.kind == "road":
            lines.setdefault(f.name, []).append(f.geom)
    merged = [
        part
        for name in sorted(lines)
        for part in shapely.get_parts(shapely.line_merge(shapely.union_all(lines[name])))
    ]
    blocked = shapely.union_all(footprints).buffer(2.0)
    out = []
    for line in merged:
        for k in range(1, int(line.length // d.STATION_SPACING)):
            s = k * d.STATION_SPACING
            p = line.interpolate(s)
            q = line.interpolate(min(s + 1.0, line.length))
            t = np.array([q.x - p.x, q.y - p.y]) / math.hypot(q.x - p.x, q.y - p.y)
            for side in (1.0, -1.0):
                offset = side * d.STATION_OFFSET
                c = Point(p.x - t[1] * offset, p.y + t[0] * offset)
                if not street_polygon.contains(c) or blocked.contains(c):
                    continue
                near = np.hypot(gap_homes[:, 0] - c.x, gap_homes[:, 1] - c.y).min()
                if near >= d.STATION_KEEP_OUT:
                    out.append(c)
    return np.array(out, dtype=object)


def place_stations(
    street: Street,
    *,
    homes: np.ndarray,
    gap_homes: np.ndarray,
    street_polygon: Polygon,
    footprints: list[Polygon],
) -> np.ndarray:
    """Choose station points (local) so that every home but the gap compound is served.

    Candidates stand :data:`STATION_OFFSET` m beside the roads every
    :data:`STATION_SPACING` m, inside the street and off every footprint, and
    at least :data:`STATION_KEEP_OUT` m from every gap-compound home.  A greedy
    cover picks the candidate serving most unserved homes within
    :data:`STATION_REACH` (ties by position) until every home is served.
    """
    spots = _station_spots(street, street_polygon, footprints, gap_homes)
    roads = [f.geom for f in street.work.features if f.kind == "road"]
    reach = RoadDistances(roads, shapely.points(homes)).from_sources(spots) <= d.STATION_REACH
    served = np.zeros(len(homes), dtype=bool)
    picked: list[int] = []
    while not served.all():
        gain = (reach & ~served).sum(axis=1)
        k = int(np.argmax(gain))
        if gain[k] == 0:
            msg = f"{int((~served).sum())} homes cannot be served by any candidate station"
            raise ValueError(msg)
        picked.append(k)
        served |= reach[k]
    chosen: np.ndarray = spots[sorted(picked)]
    return chosen
