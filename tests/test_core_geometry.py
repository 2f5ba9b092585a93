"""Geometry kernels of the core: polygonal, missing_if_empty, repair, buffer_difference."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import (
    GeometryCollection,
    LinearRing,
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
    box,
)

from gridgov._core.geometry import buffer_difference, missing_if_empty, polygonal, repair

A, B, C = box(0, 0, 1, 1), box(2, 0, 3, 1), box(4, 0, 5, 1)
LINE = LineString([(0, 0), (1, 1)])

CASES = {
    "polygon": (A, A),
    "multipolygon": (MultiPolygon([A, B]), MultiPolygon([A, B])),
    "empty polygon": (Polygon(), Polygon()),
    "empty multipolygon": (MultiPolygon(), MultiPolygon()),
    "point": (Point(0, 0), Polygon()),
    "empty point": (Point(), Polygon()),
    "line": (LINE, Polygon()),
    "ring": (LinearRing([(0, 0), (1, 0), (1, 1)]), Polygon()),
    "multipoint": (MultiPoint([(0, 0), (1, 1)]), Polygon()),
    "multiline": (MultiLineString([LINE]), Polygon()),
    "none": (None, Polygon()),
    "empty collection": (GeometryCollection(), Polygon()),
    "collection of lines": (GeometryCollection([LINE, Point(3, 3)]), Polygon()),
    "collection": (GeometryCollection([A, LINE, Point(9, 9)]), MultiPolygon([A])),
    "collection with a multipolygon": (
        GeometryCollection([MultiPolygon([A, B]), LINE, C]),
        MultiPolygon([A, B, C]),
    ),
    "nested collections": (
        GeometryCollection(
            [C, GeometryCollection([LINE, GeometryCollection([MultiPolygon([A]), B])])]
        ),
        MultiPolygon([C, A, B]),
    ),
    "collection with an empty polygon": (GeometryCollection([Polygon(), A]), MultiPolygon([A])),
}


@pytest.mark.parametrize("case", list(CASES))
def test_polygonal_of_every_type(case: str) -> None:
    given_geometry, expected = CASES[case]
    out = polygonal(np.array([given_geometry], dtype=object))
    assert out[0] is not None
    assert out[0].geom_type == expected.geom_type
    assert shapely.equals_exact(out[0], expected) or (out[0].is_empty and expected.is_empty)
    # one array of them all gives the same, row by row
    every = polygonal([g for g, _ in CASES.values()])
    assert every[list(CASES).index(case)].wkt == out[0].wkt


def test_polygonal_keeps_polygons_and_the_input() -> None:
    geoms = np.array([A, GeometryCollection([B, LINE])], dtype=object)
    before = geoms.copy()
    out = polygonal(geoms)
    assert out[0] is A  # polygons are returned as they are
    assert np.all(geoms == before)
    assert polygonal([]).shape == (0,)


@st.composite
def collections(draw: st.DrawFn, depth: int = 3) -> tuple[object, float]:
    """A random collection and the area of the (disjoint) polygons it holds."""
    items: list[object] = []
    area = 0.0
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["polygon", "line", "point", "nested"] if depth else ["line"]))
        if kind == "polygon":
            x = draw(st.integers(0, 50)) * 10.0 + len(items) * 1000.0 + depth * 100_000.0
            items.append(box(x, 0, x + 1, 1))
            area += 1.0
        elif kind == "line":
            items.append(LINE)
        elif kind == "point":
            items.append(Point(0, 0))
        else:
            inner, inner_area = draw(collections(depth - 1))
            items.append(inner)
            area += inner_area
    return GeometryCollection(items), area


@settings(max_examples=60, deadline=None)
@given(collections())
def test_polygonal_keeps_all_the_area(case: tuple[object, float]) -> None:
    geom, area = case
    out = polygonal([geom])[0]
    assert out.geom_type in {"Polygon", "MultiPolygon"}
    assert shapely.area(out) == pytest.approx(area)


def test_missing_if_empty() -> None:
    out = missing_if_empty([A, Polygon(), None, GeometryCollection(), LINE])
    assert out.tolist() == [A, None, None, None, LINE]
    assert missing_if_empty([]).shape == (0,)


def test_repair_keeps_the_area_of_a_bowtie() -> None:
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    fixed = repair([bowtie, A])
    assert shapely.is_valid(fixed).all()
    assert shapely.area(fixed).tolist() == [2.0, 1.0]


def test_buffer_difference() -> None:
    out = buffer_difference(np.array([box(0, 0, 2, 2)]), np.array([box(0, 0, 1, 2)]))
    assert shapely.area(out).tolist() == [2.0]
