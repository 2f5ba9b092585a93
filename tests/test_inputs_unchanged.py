"""No public function changes its inputs: values, index, dtypes, CRS, attrs, prepared state.

Issue 13, item 9 (in part): ``gg.check`` left the caller's parent polygons
prepared; the test covers check, assign, unify, compare and propose on the
demo, with every input given.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import pytest
import shapely

import gridgov as gg

if TYPE_CHECKING:
    from collections.abc import Callable

    import geopandas as gpd


def _demo() -> Any:
    return gg.datasets.load_demo(metric=True)


def _valid(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.assign(geometry=frame.make_valid())


CALLS: list[tuple[str, Callable[[Any], dict[str, gpd.GeoDataFrame]], Callable[..., Any]]] = [
    (
        "check",
        lambda d: {
            "layer": d.governance,
            "jurisdiction": d.street,
            "parents": d.communities,
            "households": d.households,
            "buildings": d.buildings,
            "features": d.roads,
            "stations": d.stations,
            "roads": d.roads,
            "previous": d.previous,
        },
        gg.check,
    ),
    (
        "assign",
        lambda d: {"households": d.households, "grids": d.governance, "buildings": d.buildings},
        lambda households, grids, buildings: gg.assign(
            households, {"governance": grids}, buildings=buildings
        ),
    ),
    (
        "unify",
        lambda d: {"a": _valid(d.governance), "b": _valid(d.party), "homes": d.households},
        lambda a, b, homes: gg.unify({"governance": a, "party": b}, households=homes),
    ),
    (
        "compare",
        lambda d: {"old": d.previous, "new": d.governance, "homes": d.households},
        lambda old, new, homes: gg.compare(old, new, households=homes),
    ),
    (
        "propose",
        lambda d: {"layer": _valid(d.governance), "homes": d.households, "parents": d.communities},
        lambda layer, homes, parents: gg.propose(layer, homes, parents=parents),
    ),
]


@pytest.mark.parametrize(("name", "inputs", "call"), CALLS, ids=[c[0] for c in CALLS])
def test_a_public_function_leaves_its_inputs_unchanged(
    name: str, inputs: Callable[[Any], dict[str, gpd.GeoDataFrame]], call: Callable[..., Any]
) -> None:
    frames = inputs(_demo())
    before = {k: (copy.deepcopy(f), dict(f.attrs), f.crs) for k, f in frames.items()}
    call(**frames)
    for key, frame in frames.items():
        snapshot, attrs, crs = before[key]
        assert frame.equals(snapshot), key
        assert frame.index.equals(snapshot.index), key
        assert list(frame.dtypes) == list(snapshot.dtypes), key
        assert frame.crs == crs, key
        assert frame.attrs == attrs, key
        assert not shapely.is_prepared(frame.geometry.to_numpy()).any(), key
