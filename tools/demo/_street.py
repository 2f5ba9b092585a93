"""Geometry of the demo street: linework, defect cuts, faces and grid networks.

Internal to :mod:`tools.demo.build`; everything is in local metres (see
:mod:`tools.demo._design`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import LineString, Point, Polygon, box
from shapely.ops import substring

from tools.demo import _design as d
from tools.demo._planar import Line, Linework, densify_and_bend, extend

__all__ = ["Explicit", "Street", "build_street"]

# Prolongation of every feature end before noding (removed as overshoot).
_OVERSHOOT = 7.0
# Vertex spacing of roads.
_ROAD_SPACING = 20.0
# Largest distance from a building spot to a road before an estate lane is added.
_LANE_REACH = 80.0


@dataclass(frozen=True)
class Explicit:
    """A building placed by hand (a defect needs it exactly there).

    Attributes
    ----------
    polygon : Polygon
        Footprint, local metres.
    units : tuple of str
        Units (faces) the footprint touches; their automatic layouts keep clear.
    floors, households, year : int
        Attributes of the building.
    use : str
        ``residential`` or a non-residential use.
    avoid : LineString or None
        A grid boundary crossing the footprint: households keep 1 m away from it.
    role : str
        Which defect the building serves.
    """

    polygon: Polygon
    units: tuple[str, ...]
    floors: int
    households: int
    year: int
    use: str = "residential"
    avoid: LineString | None = None
    role: str = ""


@dataclass
class Street:
    """The street in local metres: linework, faces by unit, explicit buildings.

    Attributes
    ----------
    work : Linework
        Noded features and cut lines.
    faces : dict of str to Polygon
        The face of every unit.
    explicit : list of Explicit
        Buildings placed by hand.
    noise_work : Linework
        The same linework with digitising noise on some road pieces (service).
    noise_faces : dict of str to Polygon
        The faces of `noise_work` by unit.
    bowtie : tuple of float
        Local point where the invalid (bow-tie) vertex goes.
    cuts : dict of str to ndarray
        Coordinates of every cut line by purpose.
    lanes : dict of str to list of LineString
        Dead-end estate lanes of each unit.
    """

    work: Linework
    faces: dict[str, Polygon]
    explicit: list[Explicit]
    noise_work: Linework
    noise_faces: dict[str, Polygon]
    bowtie: tuple[float, float]
    cuts: dict[str, np.ndarray] = field(default_factory=dict)
    lanes: dict[str, list[LineString]] = field(default_factory=dict)


# --------------------------------------------------------------------------- features


def _features(rng: np.random.Generator) -> Linework:
    lines = [
        Line(extend(np.array(pts, float), start=_OVERSHOOT, end=_OVERSHOOT), "road", name, grade)
        for name, grade, pts in d.ROADS
    ]
    lines.append(Line(np.array(d.RIVER, float), "river", d.RIVER_NAME))
    lines.extend(
        Line(
            extend(
                np.array(pts, float),
                start=_OVERSHOOT if ends[0] else 0.0,
                end=_OVERSHOOT if ends[1] else 0.0,
            ),
            "wall",
            name,
        )
        for name, pts, ends in d.WALLS
    )
    work = Linework.from_features(lines)
    for i, line in enumerate(work.features):
        if line.kind == "road":
            amplitude = rng.uniform(-d.BEND, d.BEND) if line.grade == "branch" else 0.0
            work.reshape(
                i, densify_and_bend(line.coords, spacing=_ROAD_SPACING, amplitude=amplitude)
            )
    return work


def _cross(line: LineString, *, x: float | None = None, y: float | None = None) -> float:
    """Return the other coordinate where `line` crosses the vertical `x` or horizontal `y`."""
    if x is not None:
        probe = LineString([(x, -1e4), (x, 1e4)])
        return float(shapely.get_coordinates(line.intersection(probe))[0][1])
    probe = LineString([(-1e4, y), (1e4, y)])
    return float(shapely.get_coordinates(line.intersection(probe))[0][0])


def _strip(
    line: LineString, s0: float, s1: float, width: float, inside: tuple[float, float]
) -> tuple[np.ndarray, Point]:
    """Draw a cut enclosing the strip of `width` beside ``line[s0:s1]``, on the side of `inside`.

    Returns the cut coordinates (both ends drawn 0.3 m past the line, to be
    trimmed) and a label point in the middle of the strip.
    """
    sub = substring(line, s0, s1)
    left = sub.offset_curve(width)
    right = sub.offset_curve(-width)
    off = left if left.distance(Point(inside)) < right.distance(Point(inside)) else right
    off_xy = shapely.get_coordinates(off)
    a = np.array(sub.coords[0])
    b = np.array(sub.coords[-1])
    # offset_curve keeps the direction of the line: off_xy[0] is beside a.
    if np.hypot(*(off_xy[0] - a)) > np.hypot(*(off_xy[-1] - a)):
        off_xy = off_xy[::-1]
    a_out = a + (a - off_xy[0]) / width * 0.3
    b_out = b + (b - off_xy[-1]) / width * 0.3
    coords = np.vstack([a_out, off_xy, b_out])
    mid = sub.interpolate(0.5, normalized=True)
    mid_off = off.interpolate(off.project(mid))
    label = Point(
        (mid.x + mid_off.x) / 2.0,
        (mid.y + mid_off.y) / 2.0,
    )
    return coords, label


def _cuts(work: Linework) -> tuple[dict[str, Point], list[Explicit], dict[str, np.ndarray]]:
    labels: dict[str, Point] = {}
    explicit: list[Explicit] = []
    cuts: dict[str, np.ndarray] = {}

    # Gap open to the outer edge: a strip 3 m wide along 龙园大道 left to no grid.
    west = work.features[work.find("龙园大道", (13, 1140))].geom
    s0 = west.project(Point(_cross(west, y=1090.0), 1090.0))
    s1 = west.project(Point(_cross(west, y=1210.0), 1210.0))
    coords, labels["c1_edge"] = _strip(west, s0, s1, 3.0, (200.0, 1150.0))
    cuts["edge_gap"] = work.add_cut(coords, name="edge gap", trim_start=True, trim_end=True)

    # Sliver: a spike 0.4 m wide along 和顺路, from its junction with 石桥路 50 m west.
    road = work.features[work.find("和顺路", (1400, 402))].geom
    junction = np.array(road.coords[-1])
    if abs(junction[0] - 1455.0) > abs(road.coords[0][0] - 1455.0):
        road = LineString(road.coords[::-1])
    s_end = road.length
    coords, labels["c5_spike"] = _strip(road, s_end - 50.0, s_end, 0.4, (1400.0, 500.0))
    # the end beside the junction runs on across 石桥路 instead of back to the junction
    tail = coords[-2] + (coords[-2] - coords[-3]) / np.hypot(*(coords[-2] - coords[-3])) * 1.0
    coords = np.vstack([coords[:-1], tail])
    cuts["sliver"] = work.add_cut(coords, name="sliver", trim_start=True, trim_end=True)

    # Overlap: a piece of the block north of 双桥街 that two grids both claim.
    road = work.features[work.find("双桥街", (1212, 1067))].geom
    y0, y1 = _cross(road, x=1200.0), _cross(road, x=1218.0)
    coords = np.array([(1200, y0 - 1), (1200, y0 + 22), (1218, y1 + 22), (1218, y1 - 1)], float)
    cuts["overlap"] = work.add_cut(coords, name="overlap", trim_start=True, trim_end=True)
    labels["c2_overlap"] = Point(1209.0, (y0 + y1) / 2 + 11)
    yb = max(_cross(road, x=1204.0), _cross(road, x=1224.0))
    explicit.append(
        Explicit(
            box(1204.0, yb + 11.0, 1224.0, yb + 20.0),
            ("c2_overlap", "c2_b7s"),
            floors=3,
            households=12,
            year=1994,
            avoid=LineString([(1218, y1 - 1), (1218, y1 + 22)]),
            role="overlap",
        )
    )

    # Interior gap: a hole beside 和平巷 holding a small house.
    road = work.features[work.find("和平巷", (718, 92))].geom
    x0, x1 = _cross(road, y=82.0), _cross(road, y=104.0)
    coords = np.array([(x0 + 1, 82), (x0 - 24, 82), (x1 - 24, 104), (x1 + 1, 104)], float)
    cuts["hole"] = work.add_cut(coords, name="hole", trim_start=True, trim_end=True)
    labels["c4_hole"] = Point((x0 + x1) / 2 - 12, 93.0)
    xb = min(x0, x1)
    explicit.append(
        Explicit(
            box(xb - 22.0, 86.0, xb - 10.0, 100.0),
            ("c4_hole",),
            floors=2,
            households=4,
            year=1988,
            role="gap",
        )
    )

    # Grid crossing its community: a parking lot east of 长乐路 taken into a C2 grid.
    road = work.features[work.find("长乐路", (1652, 1320))].geom
    x0, x1 = _cross(road, y=1300.0), _cross(road, y=1340.0)
    coords = np.array([(x0 - 1, 1300), (x0 + 40, 1300), (x1 + 40, 1340), (x1 - 1, 1340)], float)
    cuts["crossing"] = work.add_cut(coords, name="crossing", trim_start=True, trim_end=True)
    labels["c3_cross"] = Point((x0 + x1) / 2 + 20, 1320.0)

    # Grid drawn through blocks: a rectangle across 兴隆街 and 金鱼巷.
    ring = np.array([(430, 300), (650, 300), (650, 560), (430, 560), (430, 300)], float)
    cuts["off_roads"] = work.add_cut(ring, name="off roads", trim_start=False, trim_end=False)

    # Split building: the boundary runs on from the end of 和平里围墙 to 新华路.
    wall = work.features[work.find("和平里围墙", (910, 500))]
    end = wall.coords[np.argmax(wall.coords[:, 1])]
    coords = np.array([end, (end[0], 725.0)], float)
    cuts["split"] = work.add_cut(coords, name="split building", trim_start=False, trim_end=True)
    explicit.append(
        Explicit(
            box(897.0, 648.0, 927.0, 660.0),
            ("c4_b18w", "c4_b18e"),
            floors=6,
            households=24,
            year=1998,
            avoid=LineString(cuts["split"]),
            role="split",
        )
    )

    # The new compound of the overloaded grid: two towers built after the last edition.
    explicit.extend(
        Explicit(
            box(1040.0, y, 1064.0, y + 24.0),
            ("c1_b6s",),
            floors=26,
            households=n,
            year=d.NEW_COMPOUND_YEAR,
            role="new compound",
        )
        for y, n in ((1105.0, 131), (1170.0, 129))
    )
    return labels, explicit, cuts


# --------------------------------------------------------------------------- faces


def _label_faces(faces: list[Polygon], labels: dict[str, Point]) -> dict[str, Polygon]:
    names = list(labels)
    points = np.array([labels[n] for n in names], dtype=object)
    tree = shapely.STRtree(faces)
    point_idx, face_idx = tree.query(points, predicate="within")
    if len(set(point_idx.tolist())) != len(names):
        lost = sorted(set(names) - {names[i] for i in point_idx})
        msg = f"labels outside every face: {lost}"
        raise ValueError(msg)
    out: dict[str, Polygon] = {}
    seen: dict[int, str] = {}
    for p, f in zip(point_idx.tolist(), face_idx.tolist(), strict=True):
        if f in seen:
            msg = f"labels {seen[f]!r} and {names[p]!r} fall in the same face"
            raise ValueError(msg)
        seen[f] = names[p]
        out[names[p]] = faces[f]
    unlabelled = [faces[i].representative_point() for i in range(len(faces)) if i not in seen]
    if unlabelled:
        where = ", ".join(f"({q.x:.0f}, {q.y:.0f})" for q in unlabelled)
        msg = f"{len(unlabelled)} faces without a unit label, at {where}"
        raise ValueError(msg)
    return out


def _noise(work: Linework, faces: dict[str, Polygon], rng: np.random.Generator) -> Linework:
    """Copy `work` with digitising noise on the road pieces between two service grids."""
    owner = {u: key for key, units in d.service_units().items() for u in units}
    unit_of_face = {id(face): name for name, face in faces.items()}
    face_list = list(faces.values())
    tree = shapely.STRtree(face_list)
    copy = Linework(
        [Line(f.coords.copy(), f.kind, f.name, f.grade) for f in work.features],
        [Line(c.coords.copy(), c.kind, c.name, c.grade) for c in work.cuts],
        set(work.nodes),
    )
    for i, line in enumerate(copy.features):
        if line.kind != "road" or line.name not in d.SERVICE_NOISE_ROADS:
            continue
        mid = line.geom.interpolate(0.5, normalized=True)
        near = tree.query(mid.buffer(0.01), predicate="intersects")
        units = {unit_of_face[id(face_list[j])] for j in near}
        grids = {owner[u] for u in units}
        communities = {d.UNITS[u].community for u in units}
        if len(units) != 2 or len(grids) != 2 or len(communities) != 1:
            continue
        xy = line.coords.copy()
        for k in range(1, len(xy) - 1):
            if (float(xy[k][0]), float(xy[k][1])) in copy.nodes:
                continue
            t = xy[k + 1] - xy[k - 1]
            n = np.array([-t[1], t[0]]) / np.hypot(*t)
            xy[k] = xy[k] + n * rng.uniform(-d.NOISE_MAX, d.NOISE_MAX)
        copy.reshape(i, xy)
    return copy


def _square_lane(
    line: LineString, s: float, face: Polygon, p: Point, *, core: Polygon, clear: Polygon
) -> LineString | None:
    """Draw a lane square to `line` at `s` into `face`, to 20 m past `p` if the face allows."""
    q = line.interpolate(s)
    a, b = line.interpolate(s - 1.0), line.interpolate(s + 1.0)
    tangent = np.array([b.x - a.x, b.y - a.y]) / np.hypot(b.x - a.x, b.y - a.y)
    direction = np.array([-tangent[1], tangent[0]])
    if not face.contains(Point(q.x + direction[0] * 5.0, q.y + direction[1] * 5.0)):
        direction = -direction
    depth = float(np.dot([p.x - q.x, p.y - q.y], direction))
    length = depth + 20.0
    while length > max(30.0, depth - 50.0):
        end = Point(q.x + direction[0] * length, q.y + direction[1] * length)
        ray = LineString([(q.x, q.y), (end.x, end.y)])
        if core.contains(end) and clear.contains(substring(ray, 15.0, length)):
            return ray
        length -= 5.0
    return None


def _lane_candidates(work: Linework, face: Polygon, p: Point) -> list[tuple[LineString, int]]:
    """Lanes square to each road bounding `face`, from the foot of `p` to 20 m past it."""
    edge = face.boundary.buffer(0.01)
    core = face.buffer(-20.0)
    clear = face.buffer(-12.0)
    streets: dict[str, list[int]] = {}
    for i, f in enumerate(work.features):
        if f.kind == "road" and f.grade != "lane" and f.geom.intersection(edge).length > 30.0:
            streets.setdefault(f.name, []).append(i)
    out = []
    for name in sorted(streets):
        pieces = streets[name]
        along = shapely.line_merge(
            shapely.union_all([work.features[i].geom.intersection(edge) for i in pieces])
        )
        line = min(shapely.get_parts(along), key=lambda g: g.distance(p))
        if line.length < 40.0:
            continue
        foot = line.project(p)
        for shift in (0.0, 10.0, -10.0, 20.0, -20.0, 30.0, -30.0, 45.0, -45.0):
            s = min(max(foot + shift, 15.0), line.length - 15.0)
            lane = _square_lane(line, s, face, p, core=core, clear=clear)
            if lane is not None:
                q = Point(lane.coords[0])
                piece = min(pieces, key=lambda i: work.features[i].geom.distance(q))
                out.append((lane, piece))
    return out


def _lanes(work: Linework, faces: dict[str, Polygon]) -> dict[str, list[LineString]]:
    """Add dead-end estate lanes (roads) until every building spot is near a road.

    In each residential unit, while some point of the buildable area (8 m in
    from the face boundary) lies more than :data:`_LANE_REACH` m from every
    road, a straight lane square to one of the roads bounding the unit is
    added, from the foot of the farthest point to 20 m past it (or shorter:
    lanes end 20 m from the other sides and keep 12 m from them); of the
    candidate lanes (one per bounding road) the one leaving the smallest
    largest distance wins.  The road it leaves is split at the junction.
    Returns the lanes of every unit (the buildings keep clear of them).
    """
    out: dict[str, list[LineString]] = {}
    for name, unit in d.UNITS.items():
        if unit.style in ("empty", "campus") or unit.point is None:
            continue
        face = faces[name]
        inner = face.buffer(-8.0)
        minx, miny, maxx, maxy = inner.bounds
        xs, ys = np.meshgrid(np.arange(minx, maxx, 10.0), np.arange(miny, maxy, 10.0))
        samples = shapely.points(xs.ravel(), ys.ravel())
        samples = samples[shapely.contains(inner, samples)]
        roads = shapely.union_all([f.geom for f in work.features if f.kind == "road"])
        reach = shapely.distance(samples, roads)
        for _ in range(10):
            if reach.max() <= _LANE_REACH:
                break
            p = samples[int(np.argmax(reach))]
            best: tuple[float, LineString, int, np.ndarray] | None = None
            for lane, piece in _lane_candidates(work, face, p):
                after = np.minimum(reach, shapely.distance(samples, lane))
                if best is None or after.max() < best[0] - 1e-9:
                    best = (float(after.max()), lane, piece, after)
            if best is None:
                msg = f"no room for a lane in unit {name!r}"
                raise ValueError(msg)
            _worst, lane, piece, reach = best
            end = lane.coords[-1]
            xy = work.split_feature(piece, np.array(lane.coords[0]))
            road_name = work.features[piece].name
            work.add_feature(Line(np.array([xy, end]), "road", road_name + "内巷", "lane"))
            out.setdefault(name, []).append(LineString([xy, end]))
        if reach.max() > _LANE_REACH:
            msg = f"unit {name!r} is still far from the roads"
            raise ValueError(msg)
    return out


def build_street(seed: int) -> Street:
    """Build the linework and faces of the street (local metres)."""
    work = _features(np.random.default_rng([seed, 1]))
    labels, explicit, cuts = _cuts(work)
    for name, unit in d.UNITS.items():
        if unit.point is not None:
            labels[name] = Point(unit.point)
    faces = _label_faces(work.faces(), labels)
    missing = sorted(set(d.UNITS) - set(faces))
    if missing:
        msg = f"units without a face: {missing}"
        raise ValueError(msg)
    lanes = _lanes(work, faces)
    faces = _label_faces(work.faces(), labels)
    noise_work = _noise(work, faces, np.random.default_rng([seed, 2]))
    noise_faces = _label_faces(noise_work.faces(), labels)
    return Street(work, faces, explicit, noise_work, noise_faces, d.BOWTIE_AT, cuts, lanes)
