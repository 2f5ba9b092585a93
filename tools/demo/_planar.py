"""Planar linework for the demo street: noded feature lines, cut lines and faces.

Internal to :mod:`tools.demo.build`.  Every polygon of the demo (blocks,
communities, grids) is a union of *faces*: the polygons that the feature lines
(roads, the river, compound walls) and a few *cut lines* (grid boundaries that
follow no feature) divide the street into.  Building every layer from one set
of faces makes shared boundaries identical vertex for vertex.

Exactness rules:

- feature lines are noded once with :func:`shapely.node` (proper crossings
  only: every line that should end on another one is drawn a little past it
  and the overshoot is removed afterwards);
- a cut line is attached to the features by computing its crossings once and
  inserting the same crossing point into both lines;
- faces are polygonized from lines split at shared vertices only, so no new
  coordinates are ever computed for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import LineString, Point, Polygon

__all__ = ["Line", "Linework", "densify_and_bend", "extend"]

# Overshoots shorter than this are removed after noding (intended dead ends are longer).
_DANGLE = 20.0
# A computed crossing this close to an existing vertex is snapped onto it.
_SNAP = 1e-7


@dataclass
class Line:
    """One line of the linework.

    Attributes
    ----------
    coords : ndarray, shape (n, 2)
        Vertices.
    kind : str
        ``road``, ``river``, ``wall`` (features) or ``cut``.
    name : str
        Name of the road, river or wall, or purpose of a cut line.
    grade : str
        ``main`` or ``branch`` for roads, empty otherwise.
    """

    coords: np.ndarray
    kind: str
    name: str
    grade: str = ""

    @property
    def geom(self) -> LineString:
        """The line as a shapely LineString."""
        return LineString(self.coords)


def extend(coords: np.ndarray, *, start: float, end: float) -> np.ndarray:
    """Return `coords` with the first and last segments prolonged by `start`, `end` metres."""
    out = np.array(coords, dtype=float)
    if start:
        d = out[0] - out[1]
        out[0] = out[0] + d / np.hypot(*d) * start
    if end:
        d = out[-1] - out[-2]
        out[-1] = out[-1] + d / np.hypot(*d) * end
    return out


def densify_and_bend(coords: np.ndarray, *, spacing: float, amplitude: float) -> np.ndarray:
    """Densify a polyline and bend it sideways by a smooth bump that vanishes at both ends.

    The ends stay where they are (they are junctions); interior vertices move
    perpendicular to the chord by ``amplitude * sin(pi * s / L)``, with ``s``
    the distance along the line and ``L`` its length.
    """
    line = shapely.segmentize(LineString(coords), spacing)
    xy: np.ndarray = shapely.get_coordinates(line)
    if amplitude == 0.0 or len(xy) <= 2:
        return xy
    steps = np.hypot(*np.diff(xy, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(steps)])
    chord = xy[-1] - xy[0]
    normal = np.array([-chord[1], chord[0]]) / np.hypot(*chord)
    bump = amplitude * np.sin(math.pi * s / s[-1])
    bump[0] = bump[-1] = 0.0
    out: np.ndarray = xy + bump[:, None] * normal[None, :]
    return out


def _insert(coords: np.ndarray, point: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Insert `point` into the polyline `coords` on its nearest segment.

    Returns the new coordinates and the inserted point, which is replaced by an
    existing vertex when it lies within ``_SNAP`` of one.
    """
    near = np.hypot(*(coords - point).T)
    k = int(np.argmin(near))
    if near[k] <= _SNAP:
        return coords, coords[k].copy()
    segments = shapely.linestrings(np.stack([coords[:-1], coords[1:]], axis=1))
    j = int(np.argmin(shapely.distance(segments, Point(point))))
    return np.insert(coords, j + 1, point, axis=0), point


@dataclass
class Linework:
    """Noded feature lines plus attached cut lines.

    Attributes
    ----------
    features : list of Line
        Roads, the river and walls, noded at every junction.
    cuts : list of Line
        Cut lines, attached to the features at shared vertices.
    nodes : set of tuple
        Every point where lines meet (as exact coordinate tuples).
    """

    features: list[Line]
    cuts: list[Line] = field(default_factory=list)
    nodes: set[tuple[float, float]] = field(default_factory=set)

    @classmethod
    def from_features(cls, lines: list[Line]) -> Linework:
        """Node `lines` at every crossing and drop overshoots shorter than 10 m."""
        geoms = [line.geom for line in lines]
        noded = shapely.get_parts(shapely.node(shapely.multilinestrings(geoms)))
        noded = noded[shapely.length(noded) > 0]
        mid = shapely.line_interpolate_point(noded, 0.5, normalized=True)
        source = np.array([int(np.argmin(shapely.distance(geoms, m))) for m in mid], dtype=np.int64)
        pieces = [
            Line(shapely.get_coordinates(g), lines[s].kind, lines[s].name, lines[s].grade)
            for g, s in zip(noded, source, strict=True)
        ]
        while True:
            ends: dict[tuple[float, float], int] = {}
            for piece in pieces:
                for xy in (piece.coords[0], piece.coords[-1]):
                    key = (float(xy[0]), float(xy[1]))
                    ends[key] = ends.get(key, 0) + 1
            keep = []
            for piece in pieces:
                a = (float(piece.coords[0][0]), float(piece.coords[0][1]))
                b = (float(piece.coords[-1][0]), float(piece.coords[-1][1]))
                free = ends[a] == 1 or ends[b] == 1
                if free and piece.geom.length < _DANGLE:
                    continue
                keep.append(piece)
            if len(keep) == len(pieces):
                break
            pieces = keep
        work = cls(pieces)
        for piece in pieces:
            work.nodes.add((float(piece.coords[0][0]), float(piece.coords[0][1])))
            work.nodes.add((float(piece.coords[-1][0]), float(piece.coords[-1][1])))
        return work

    def reshape(self, index: int, coords: np.ndarray) -> None:
        """Replace the interior vertices of feature `index`; its ends must not move."""
        old = self.features[index].coords
        if not (np.array_equal(old[0], coords[0]) and np.array_equal(old[-1], coords[-1])):
            msg = "reshaping a feature must keep its end points"
            raise ValueError(msg)
        self.features[index].coords = np.asarray(coords, dtype=float)

    def split_feature(self, index: int, point: np.ndarray) -> np.ndarray:
        """Split feature `index` at `point` (inserted as a vertex); return the split point.

        The feature keeps the first half; the second half is appended as a new
        feature with the same attributes.
        """
        line = self.features[index]
        coords, at = _insert(line.coords, point)
        k = int(np.flatnonzero(np.all(coords == at, axis=1))[0])
        if k in (0, len(coords) - 1):
            msg = "cannot split a feature at its end"
            raise ValueError(msg)
        line.coords = coords[: k + 1]
        self.features.append(Line(coords[k:], line.kind, line.name, line.grade))
        self.nodes.add((float(at[0]), float(at[1])))
        return at

    def add_feature(self, line: Line) -> None:
        """Append a feature that touches the others only at its (node) ends."""
        self.features.append(line)
        for xy in (line.coords[0], line.coords[-1]):
            self.nodes.add((float(xy[0]), float(xy[1])))

    def find(self, name: str, near: tuple[float, float]) -> int:
        """Index of the feature piece called `name` nearest to the point `near`."""
        best, index = math.inf, -1
        for i, line in enumerate(self.features):
            if line.name == name:
                d = line.geom.distance(Point(near))
                if d < best:
                    best, index = d, i
        if index < 0:
            msg = f"no feature called {name!r}"
            raise ValueError(msg)
        return index

    def add_cut(
        self, coords: np.ndarray, *, name: str, trim_start: bool, trim_end: bool
    ) -> np.ndarray:
        """Attach a cut line; return its final coordinates.

        The crossings of the cut with the features are computed once and
        inserted into both.  With `trim_start` (`trim_end`) the cut must cross a
        feature near its start (end) and is cut back to that crossing: draw it a
        little past the line it should end on.  A cut may also start or end
        exactly on a node (e.g. the free end of a wall).
        """
        cut = LineString(coords)
        hits: list[tuple[float, np.ndarray, int]] = []
        geoms = [f.geom for f in self.features]
        tree = shapely.STRtree(geoms)
        for i in tree.query(cut):
            inter = shapely.intersection(cut, geoms[int(i)])
            if inter.is_empty:
                continue
            for part in shapely.get_parts(inter):
                if part.geom_type != "Point":
                    msg = f"cut {name!r} runs along feature {self.features[int(i)].name!r}: {inter}"
                    raise ValueError(msg)
                hits.append((cut.project(part), shapely.get_coordinates(part)[0], int(i)))
        hits.sort(key=lambda h: h[0])
        if trim_start:
            if not hits:
                msg = f"cut {name!r} crosses no feature"
                raise ValueError(msg)
            hits_start = hits[0][0]
        else:
            hits_start = 0.0
        hits_end = hits[-1][0] if trim_end else cut.length
        inserted: list[tuple[float, np.ndarray]] = []
        for along, xy, i in hits:
            if along < hits_start - 1e-9 or along > hits_end + 1e-9:
                continue
            new, point = _insert(self.features[i].coords, xy)
            self.features[i].coords = new
            inserted.append((along, point))
            self.nodes.add((float(point[0]), float(point[1])))
        vertices = shapely.get_coordinates(cut)
        steps = np.hypot(*np.diff(vertices, axis=0).T)
        dist = np.concatenate([[0.0], np.cumsum(steps)])
        keep = [
            (float(d), v)
            for d, v in zip(dist, vertices, strict=True)
            if hits_start + 1e-6 < d < hits_end - 1e-6
        ]
        if not trim_start:
            keep.insert(0, (0.0, vertices[0]))
        if not trim_end:
            keep.append((float(cut.length), vertices[-1]))
        merged = sorted([*keep, *inserted], key=lambda item: item[0])
        out = np.array([v for _, v in merged], dtype=float)
        # drop consecutive duplicates (a cut starting exactly on a node)
        same = np.r_[False, np.all(out[1:] == out[:-1], axis=1)]
        out = np.asarray(out[~same], dtype=float)
        self.cuts.append(Line(out, "cut", name))
        self.nodes.add((float(out[0][0]), float(out[0][1])))
        self.nodes.add((float(out[-1][0]), float(out[-1][1])))
        return out

    def edges(self) -> list[LineString]:
        """All lines split at every node: the input of polygonize."""
        out: list[LineString] = []
        for line in [*self.features, *self.cuts]:
            xy = line.coords
            start = 0
            for k in range(1, len(xy) - 1):
                if (float(xy[k][0]), float(xy[k][1])) in self.nodes:
                    out.append(LineString(xy[start : k + 1]))
                    start = k
            out.append(LineString(xy[start:]))
        return out

    def faces(self) -> list[Polygon]:
        """Polygonize the linework; raise when it is not cleanly noded."""
        polys, cuts, _dangles, invalid = shapely.polygonize_full(self.edges())
        if not shapely.is_empty(cuts) or not shapely.is_empty(invalid):
            msg = f"linework is not cleanly noded: cut edges {cuts}, invalid rings {invalid}"
            raise ValueError(msg)
        return list(shapely.get_parts(polys))
