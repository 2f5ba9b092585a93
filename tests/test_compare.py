"""gg.compare: every change class on hand-made editions, flows, tolerance, outputs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Polygon, box

from gridgov.compare import CHANGE_CLASSES, Changes, compare
from gridgov.errors import CRSError, LayerError

if TYPE_CHECKING:
    from pathlib import Path

CRS = "EPSG:4549"


def layer(rows: dict[str, Polygon]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"grid_id": list(rows)}, geometry=list(rows.values()), crs=CRS)


def households_in(counts: dict[tuple[float, float, float, float], int]) -> gpd.GeoDataFrame:
    """Households on a regular lattice inside each box (never on a box edge)."""
    xy = []
    for (x0, y0, x1, y1), n in counts.items():
        side = int(np.ceil(np.sqrt(n)))
        gx, gy = np.meshgrid(
            np.linspace(x0, x1, side + 2)[1:-1], np.linspace(y0, y1, side + 2)[1:-1]
        )
        xy.append(np.c_[gx.ravel(), gy.ravel()][:n])
    points = np.vstack(xy)
    return gpd.GeoDataFrame(
        {"household_id": [f"h{i}" for i in range(len(points))]},
        geometry=shapely.points(points),
        crs=CRS,
    )


def row(changes: Changes, change: str) -> pd.Series:
    rows = changes[changes["change"] == change]
    assert len(rows) == 1, changes[["change", "old_ids", "new_ids"]]
    return rows.iloc[0]


OLD = {"a": box(0, 0, 100, 100), "b": box(100, 0, 200, 100), "c": box(200, 0, 300, 100)}


@pytest.mark.parametrize(
    ("new", "change", "old_ids", "new_ids"),
    [
        ({"a": box(0, 0, 100, 100)}, "unchanged", "a", "a"),
        ({"z": box(0, 0, 100, 100)}, "renamed", "a", "z"),
        ({"a": box(0, 0, 100, 130)}, "reshaped", "a", "a"),
        ({"a1": box(0, 0, 50, 100), "a2": box(50, 0, 100, 100)}, "split", "a", "a1, a2"),
        ({"ab": box(0, 0, 200, 100)}, "merged", "a, b", "ab"),
        ({"n": box(0, 200, 100, 300)}, "added", None, "n"),
    ],
)
def test_each_change_class(
    new: dict[str, Polygon], change: str, old_ids: str | None, new_ids: str
) -> None:
    old = {key: OLD[key] for key in ("a", "b")} if change == "merged" else {"a": OLD["a"]}
    if change == "added":
        new = {"a": OLD["a"], **new}
    changes = compare(layer(old), layer(new))
    found = row(changes, change)
    assert (found["old_ids"] if isinstance(found["old_ids"], str) else None) == old_ids
    assert found["new_ids"] == new_ids


def test_removed_and_regrouped() -> None:
    old = layer({"a": box(0, 0, 100, 100), "b": box(100, 0, 150, 100), "d": box(0, 300, 100, 400)})
    # a is split in two and b merged into one of the parts; d is gone
    new = layer({"x": box(0, 0, 50, 100), "y": box(50, 0, 150, 100)})
    changes = compare(old, new)
    assert row(changes, "removed")["old_ids"] == "d"
    regrouped = row(changes, "regrouped")
    assert (regrouped["old_ids"], regrouped["new_ids"]) == ("a, b", "x, y")


def test_a_boundary_moved_across_three_grids() -> None:
    # a and b become three grids: a split into x, y (y also took a strip of b), b reshaped
    new = layer({"x": box(0, 0, 80, 100), "y": box(80, 0, 120, 100), "w": box(120, 0, 200, 100)})
    changes = compare(layer({"a": OLD["a"], "b": OLD["b"]}), new)
    assert changes[["change", "old_ids", "new_ids"]].to_numpy().tolist() == [
        ["split", "a", "x, y"],
        ["reshaped", "b", "w"],
    ]


def test_moved_boundary_is_two_reshapes_with_areas() -> None:
    old = layer({"a": box(0, 0, 100, 100), "b": box(100, 0, 200, 100)})
    new = layer({"a": box(0, 0, 130, 100), "b": box(130, 0, 200, 100)})
    changes = compare(old, new)
    assert changes["change"].tolist() == ["reshaped", "reshaped"]
    assert changes["area_gained"].tolist() == pytest.approx([3000.0, 0.0])
    assert changes["area_lost"].tolist() == pytest.approx([0.0, 3000.0])
    assert changes.geometry.iloc[0].equals(box(0, 0, 130, 100))


def test_share_tolerance_absorbs_digitising_noise() -> None:
    old = layer({"a": box(0, 0, 100, 100)})
    noisy = layer({"a": box(0, 0, 100.05, 100)})
    assert compare(old, noisy)["change"].tolist() == ["unchanged"]
    assert compare(old, noisy, share_tolerance=0.0)["change"].tolist() == ["reshaped"]
    with pytest.raises(ValueError, match="share_tolerance"):
        compare(old, noisy, share_tolerance=0.5)


def test_same_id_wins_the_descent() -> None:
    # 'a' shrinks to a strip and 'b' takes most of its old area: by area alone old 'a'
    # would continue into new 'b'; the id keeps them apart as two reshaped grids
    old = layer({"a": box(0, 0, 100, 100), "b": box(100, 0, 200, 100)})
    new = layer({"a": box(0, 0, 40, 100), "b": box(40, 0, 200, 100)})
    changes = compare(old, new)
    assert changes[["change", "old_ids", "new_ids"]].to_numpy().tolist() == [
        ["reshaped", "a", "a"],
        ["reshaped", "b", "b"],
    ]
    assert set(changes.before["change"]) <= set(CHANGE_CLASSES)


def test_household_flows_sum_to_the_household_count() -> None:
    old = layer({"a": box(0, 0, 100, 100), "b": box(100, 0, 200, 100)})
    new = layer({"a": box(0, 0, 150, 100), "c": box(150, 0, 200, 100)})
    households = households_in({(0, 0, 100, 100): 40, (100, 0, 200, 100): 30})
    outside = households_in({(300, 0, 310, 10): 3})
    outside["household_id"] = ["o1", "o2", "o3"]
    households = pd.concat([households, outside], ignore_index=True)
    changes = compare(old, new, households=households)
    flows = changes.flows
    assert flows is not None
    assert int(flows["households"].sum()) == len(households)
    assert flows["households"].gt(0).all()
    uncovered = flows[flows["old_grid"].isna() & flows["new_grid"].isna()]
    assert int(uncovered["households"].sum()) == 3
    loads = changes.loads
    assert loads is not None
    assert loads.loc["a", "before"] == 40
    assert loads.loc["a", "after"] == 40 + int(
        flows.loc[(flows["old_grid"] == "b") & (flows["new_grid"] == "a"), "households"].sum()
    )
    assert pd.isna(loads.loc["c", "before"])
    assert pd.isna(loads.loc["b", "after"])
    assert changes["households_before"].sum() == 70
    assert changes["households_after"].sum() == 70
    assert changes.before["households"].tolist() == [40, 30]


def test_summary_lists_the_changes() -> None:
    old = layer(OLD)
    new = layer({"a": OLD["a"], "b1": box(100, 0, 150, 100), "b2": box(150, 0, 200, 100)})
    text = compare(old, new).summary()
    assert text.splitlines()[0] == "3 grids before, 3 after: 1 unchanged, 1 split, 1 removed"
    assert "split      b -> b1, b2" in text
    assert "removed    c -> (none)" in text


def test_to_file_writes_every_layer(tmp_path: Path) -> None:
    old = layer(OLD)
    new = layer({"a": OLD["a"], "bc": box(100, 0, 300, 100)})
    households = households_in({(0, 0, 300, 100): 30})
    changes = compare(old, new, households=households)
    path = tmp_path / "changes.gpkg"
    changes.to_file(path)
    names = set(pyogrio.list_layers(path)[:, 0])
    assert names == {"changes", "before", "after", "links", "flows", "loads"}
    back = gpd.read_file(path, layer="changes")
    assert back["change"].tolist() == changes["change"].tolist()
    with pytest.raises(ValueError, match="GeoPackage"):
        changes.to_file(tmp_path / "changes.shp")


def test_plot_draws_both_editions() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    figure = compare(layer(OLD), layer({"abc": box(0, 0, 300, 100)})).plot()
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["before (3 grids)", "after (1 grids)"]
    plt.close(figure)


def test_inputs_are_checked_and_never_mutated() -> None:
    old = layer(OLD)
    before = old.copy()
    compare(old, layer(OLD))
    pd.testing.assert_frame_equal(old, before)
    with pytest.raises(CRSError):
        compare(old.to_crs(4326), layer(OLD))
    with pytest.raises(LayerError, match="duplicated id"):
        compare(pd.concat([old, old]), layer(OLD))


def test_invalid_polygons_are_measured_repaired_and_kept() -> None:
    bow_tie = Polygon([(0, 0), (100, 100), (100, 0), (0, 100)])
    changes = compare(layer({"a": bow_tie}), layer({"a": bow_tie}))
    assert changes["change"].tolist() == ["unchanged"]
    assert changes["old_area"].tolist() == pytest.approx([5000.0])
    assert changes.before.geometry.iloc[0].equals(bow_tie)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), cuts=st.integers(1, 4))
def test_result_does_not_depend_on_row_order(seed: int, cuts: int) -> None:
    rng = np.random.default_rng(seed)
    xs = np.sort(rng.uniform(10, 290, cuts))
    edges = np.r_[0, xs, 300]
    new = layer({f"n{i}": box(edges[i], 0, edges[i + 1], 100) for i in range(len(edges) - 1)})
    old = layer(OLD)
    households = households_in({(0, 0, 300, 100): 50})
    first = compare(old, new, households=households)
    order = rng.permutation(len(new))
    second = compare(
        old.iloc[::-1], new.iloc[order], households=households.iloc[rng.permutation(50)]
    )
    columns = ["change", "old_ids", "new_ids", "households_before", "households_after"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(first[columns]), pd.DataFrame(second[columns]), check_dtype=False
    )
    flows = first.flows
    assert flows is not None
    assert int(flows["households"].sum()) == 50


@pytest.fixture(scope="module")
def demo() -> Any:
    import gridgov.datasets

    return gridgov.datasets.load_demo(metric=True)


def test_demo_changes_since_the_previous_edition_match_the_ground_truth(demo: Any) -> None:
    import gridgov.datasets

    truth = gridgov.datasets.demo_defects()
    truth = truth[truth["stage"] == "compare"]
    changes = compare(demo.previous, demo.governance, households=demo.households)
    changed = changes[changes["change"] != "unchanged"]
    found = set(zip(changed["change"], changed["old_ids"], changed["new_ids"], strict=True))
    expected = set(zip(truth["rule"], truth["grid_id"], truth["other_id"], strict=True))
    assert found == expected
    assert set(changes["change"]) == {"unchanged", "split", "merged"}
    flows = changes.flows
    assert flows is not None
    assert int(flows["households"].sum()) == len(demo.households)
    after = changed.set_index("new_ids")["households_after"]
    assert {ids: float(after[ids]) for ids in truth["other_id"]} == dict(
        zip(truth["other_id"], truth["value"], strict=True)
    )
