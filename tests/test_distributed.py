"""gridgov.distributed on a LocalCluster of 2 worker processes (1 thread each).

The cluster is started once for the module.  Every distributed result is
compared with the in-memory function on the same data: the answers must be
the same, row for row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

dask_geopandas = pytest.importorskip("dask_geopandas")
pytest.importorskip("distributed")

from gridgov import distributed as ggd  # noqa: E402
from gridgov.assign import assign as assign_in_memory  # noqa: E402
from gridgov.assign import summarize_assignment  # noqa: E402
from gridgov.errors import CRSError, LayerError  # noqa: E402

if TYPE_CHECKING:
    from pathlib import Path

CRS = "EPSG:4549"


@pytest.fixture(scope="module")
def client():
    # processes (not threads): what users run, and it proves every task pickles;
    # the dashboard on a free port, so that other clusters on the machine do not matter
    with ggd.client_for("local", workers=2) as client:
        yield client


def _grids() -> gpd.GeoDataFrame:
    """A 6 x 4 lattice of 100 m grids, in shuffled order, ids not in spatial order."""
    boxes = [
        shapely.box(x, y, x + 100, y + 100) for y in range(0, 400, 100) for x in range(0, 600, 100)
    ]
    ids = [f"{320102001001000 + (7 * i) % 24:015d}" for i in range(len(boxes))]
    grids = gpd.GeoDataFrame({"grid_id": ids, "kind": "comprehensive"}, geometry=boxes, crs=CRS)
    return grids.sample(frac=1.0, random_state=3).reset_index(drop=True)


def _households() -> gpd.GeoDataFrame:
    """Households inside, on grid edges and vertices, on the partition edges x=200 and
    x=400 (which are grid edges too), and outside the grids."""
    rng = np.random.default_rng(5)
    xs = [rng.uniform(-60, 660, 300)]
    ys = [rng.uniform(-60, 460, 300)]
    edge_x = np.repeat(np.arange(0, 700, 100.0), 6)  # on vertical edges, incl. x=200, 400
    xs.append(edge_x)
    ys.append(np.tile([0.0, 50.0, 100.0, 150.0, 300.0, 400.0], 7))
    xs.append(rng.uniform(0, 600, 40))  # on horizontal edges
    ys.append(np.repeat([0.0, 100.0, 200.0, 300.0], 10))
    xs.append(np.array([200.0, 200.0, 400.0, 400.0, 199.999999, 200.000001]))
    ys.append(np.array([200.0, 37.5, 100.0, 255.0, 80.0, 80.0]))
    x, y = np.concatenate(xs), np.concatenate(ys)
    ids = [f"H{i:05d}" for i in range(len(x))]
    persons = rng.integers(1, 6, len(x))
    buildings = [f"B{i // 4:04d}" for i in range(len(x))]
    return gpd.GeoDataFrame(
        {"household_id": ids, "persons": persons, "building_id": buildings},
        geometry=shapely.points(x, y),
        crs=CRS,
    )


def _partitions(households: gpd.GeoDataFrame) -> list[gpd.GeoDataFrame]:
    """Partitions split on the grid edges x=200 and x=400 (points on an edge go to
    either side), one in random order, and an empty one."""
    x = households.geometry.x.to_numpy()
    left = households[x < 200]
    middle = households[(x >= 200) & (x <= 400)]
    right = households[x > 400].sample(frac=1.0, random_state=1)
    return [left, middle.iloc[::2], middle.iloc[1::2], households.iloc[:0], right]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("households")
    parts = _partitions(_households())
    for i, part in enumerate(parts):
        part.to_parquet(folder / f"part.{i}.parquet")
    return folder, pd.concat(parts), _grids()


def _buildings(households: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One footprint per building id: a 30 m square at the first household's point."""
    first = households.drop_duplicates("building_id")
    return gpd.GeoDataFrame(
        {"building_id": first["building_id"].to_numpy()},
        geometry=first.geometry.buffer(15, cap_style="square").to_numpy(),
        crs=CRS,
    )


def _computed(result) -> pd.DataFrame:
    """The computed frame; pandas infers ``str`` for the concatenated object index of the
    partitions (each partition has the object index of gg.assign), so restore it."""
    frame = result.compute()
    frame.index = frame.index.astype(object)
    return frame


OPTIONS = [
    {},
    {"outside": "nearest", "max_distance": 30.0},
    {"outside": "nearest", "max_distance": float("inf")},
    {"on_boundary": "first_in_layer"},
]


CASES = [
    *[(grids_as, options) for grids_as in ("broadcast", "split") for options in OPTIONS],
    ("dask", OPTIONS[0]),
    ("dask", OPTIONS[2]),
]


@pytest.mark.parametrize(("grids_as", "options"), CASES)
def test_assign_equals_in_memory(client, dataset, grids_as, options):
    folder, households, grids = dataset
    layers = {"governance": grids, "party": grids.iloc[::-1]}
    limit = ggd._assign.BROADCAST_LIMIT
    if grids_as == "split":
        limit = 5  # a "large" layer: partitioned along the Hilbert curve on the client
    elif grids_as == "dask":  # one layer: a Hilbert shuffle of grids costs ~2 s of overhead
        layers = {"governance": dask_geopandas.from_geopandas(grids, npartitions=3, sort=False)}
    got = ggd.assign(folder, layers, broadcast_limit=limit, **options)
    in_memory = {"governance": grids, "party": grids.iloc[::-1]}
    want = assign_in_memory(households, {name: in_memory[name] for name in layers}, **options)
    assert got.npartitions == 5
    pd.testing.assert_frame_equal(_computed(got), want)


def test_split_layer_is_partitioned(client, dataset, monkeypatch):
    folder, households, grids = dataset
    monkeypatch.setattr(ggd._assign, "GRID_PARTITION_ROWS", 5)
    got = ggd.assign(folder, {"g": grids}, broadcast_limit=5, outside="nearest", max_distance=80.0)
    want = assign_in_memory(households, {"g": grids}, outside="nearest", max_distance=80.0)
    pd.testing.assert_frame_equal(_computed(got), want)


def test_assign_with_buildings(client, dataset):
    folder, households, grids = dataset
    buildings = _buildings(households)
    options = {"buildings": buildings, "on_boundary": "largest_overlap_building"}
    got = _computed(ggd.assign(folder, {"g": grids}, **options))
    want = assign_in_memory(households, {"g": grids}, **options)
    assert (want["g_how"] == "building").any()
    pd.testing.assert_frame_equal(got, want)


def test_assign_output_and_load_table(client, dataset, tmp_path):
    folder, households, grids = dataset
    out = tmp_path / "assigned"
    result = ggd.assign(folder, {"g": grids}, output=out)
    assert sorted(p.name for p in out.glob("*.parquet")) == [f"part.{i}.parquet" for i in range(5)]
    want = assign_in_memory(households, {"g": grids})
    pd.testing.assert_frame_equal(_computed(result), want)
    with pytest.raises(FileExistsError, match="not empty"):
        ggd.assign(folder, {"g": grids}, output=out)
    again = ggd.assign(folder, {"g": grids}, output=out, overwrite=True)
    assert again.npartitions == 5

    table = ggd.load_table(result, households=folder, layers={"g": grids})
    expected = summarize_assignment(want, households=households, layers={"g": grids})
    pd.testing.assert_frame_equal(table, expected)
    from_files = ggd.load_table(out)
    pd.testing.assert_frame_equal(from_files, summarize_assignment(want))


def test_assign_output_is_marked_complete_and_replaced_whole(client, dataset, tmp_path):
    folder, _, grids = dataset
    out = tmp_path / "assigned"
    out.mkdir()
    (out / "part.9.parquet").write_bytes(b"left by an earlier run")
    ggd.assign(folder, {"g": grids}, output=out, overwrite=True)
    assert (out / "_SUCCESS").is_file()
    assert sorted(p.name for p in out.glob("*.parquet")) == [f"part.{i}.parquet" for i in range(5)]
    assert [p.name for p in tmp_path.iterdir()] == ["assigned"]  # no temporary folder left


def test_load_table_refuses_a_folder_without_the_success_marker(client, dataset, tmp_path):
    folder, _, grids = dataset
    out = tmp_path / "assigned"
    ggd.assign(folder, {"g": grids}, output=out)
    (out / "_SUCCESS").unlink()
    with pytest.raises(LayerError, match="no _SUCCESS marker"):
        ggd.load_table(out)


def test_a_failed_assign_keeps_the_earlier_output(client, dataset, tmp_path, monkeypatch):
    from gridgov.distributed import _assign

    folder, _, grids = dataset
    out = tmp_path / "assigned"
    ggd.assign(folder, {"g": grids}, output=out)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    def lost(*_, **__):
        msg = "worker lost"
        raise RuntimeError(msg)

    monkeypatch.setattr(_assign, "_compute", lost)
    with pytest.raises(RuntimeError, match="worker lost"):
        ggd.assign(folder, {"g": grids}, output=out, overwrite=True)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["assigned"]
    with pytest.raises(RuntimeError, match="worker lost"):
        ggd.assign(folder, {"g": grids}, output=tmp_path / "fresh")
    assert [p.name for p in tmp_path.iterdir()] == ["assigned"]  # nothing under "fresh"


def test_load_table_needs_aligned_households(client, dataset, tmp_path):
    folder, _, grids = dataset
    result = ggd.assign(folder, {"g": grids})
    with pytest.raises(LayerError, match="partitions"):
        ggd.load_table(result, households=sorted(folder.glob("*.parquet"))[:2])


def test_read_households_footers(dataset):
    folder, _, _ = dataset
    frame = ggd.read_households(folder)
    assert frame.npartitions == 5
    bounds = frame.spatial_partitions.bounds.to_numpy()
    assert bounds[0, 2] < 200 <= bounds[1, 0]
    assert frame.spatial_partitions.iloc[3].is_empty  # the empty file
    assert len(frame.partitions[3].compute()) == 0


# -- bad input ---------------------------------------------------------------


def _write(folder: Path, frames: list[gpd.GeoDataFrame]) -> Path:
    folder.mkdir()
    for i, frame in enumerate(frames):
        frame.to_parquet(folder / f"part.{i}.parquet")
    return folder


def test_mixed_crs_partitions(tmp_path):
    households = _households()
    odd = households.iloc[100:].to_crs(4490)
    folder = _write(tmp_path / "mixed", [households.iloc[:100], odd])
    with pytest.raises(
        CRSError, match=r"partition 1 \(file '.*part\.1\.parquet'\) is in EPSG:4490"
    ):
        ggd.read_households(folder)
    with pytest.raises(CRSError, match="partition 1"):
        ggd.assign(folder, _grids())


def test_missing_crs(tmp_path):
    households = _households()
    folder = _write(
        tmp_path / "nocrs",
        [households.iloc[:100], households.iloc[100:].set_crs(None, allow_override=True)],
    )
    with pytest.raises(CRSError, match=r"partition 1 \(file '.*part\.1\.parquet'\) has no CRS"):
        ggd.assign(folder, _grids())


def test_null_geometry_partition(client, tmp_path):
    households = _households()
    broken = households.iloc[100:].copy()
    broken.loc[broken.index[[3, 7]], "geometry"] = None
    folder = _write(tmp_path / "nulls", [households.iloc[:100], broken])
    result = ggd.assign(folder, _grids())  # lazy: the data is read by the workers
    with pytest.raises(
        LayerError,
        match=r"households partition 1 \(file '.*part\.1\.parquet'\): .*without geometry",
    ):
        result.compute()


def test_dask_partition_in_other_crs(client):
    import dask
    import dask.dataframe as dd

    households = _households()
    parts = [households.iloc[:100], households.iloc[100:].to_crs(4490)]
    frame = dd.from_delayed([dask.delayed(p) for p in parts], meta=households.iloc[:0])
    with pytest.raises(CRSError, match="households partition 1 is in EPSG:4490"):
        ggd.assign(frame, _grids()).compute()


def test_not_geoparquet(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    pd.DataFrame({"household_id": ["a"]}).to_parquet(folder / "part.0.parquet")
    with pytest.raises(LayerError, match="without GeoParquet metadata"):
        ggd.read_households(folder)
    with pytest.raises(LayerError, match="no Parquet file"):
        ggd.read_households(tmp_path / "plain" / "nothing-*.parquet")


def test_options_checked_before_reading(dataset):
    folder, _, grids = dataset
    with pytest.raises(ValueError, match="needs max_distance"):
        ggd.assign(folder, grids, outside="nearest")
    with pytest.raises(CRSError, match="different CRSs"):
        ggd.assign(folder, grids.to_crs(4490))


def test_client_for_checks_workers():
    with (
        pytest.raises(ValueError, match="workers must be a whole number"),
        ggd.client_for("local", workers=0),
    ):
        pass


# -- check -------------------------------------------------------------------

TILE = 200.0  # tile edges at multiples of 200 m


def _box_grid(x0, y0, x1, y1, code, **extra):
    return {
        "grid_id": f"{320102001000000 + code:015d}",
        "geometry": shapely.box(x0, y0, x1, y1),
        **extra,
    }


def _check_layer() -> gpd.GeoDataFrame:
    """100 m grids over [0, 800] x [0, 600] with defects planted on the 200 m tile edges."""
    rows = []
    code = 0
    skip = {(x, y) for x in (500, 600, 700) for y in (0,)}  # a 300 x 100 gap across tiles
    skip.add((400, 400))  # a missing grid: gap with its corner on the tile corner (400, 400)
    for y in range(0, 600, 100):
        for x in range(0, 800, 100):
            if (x, y) in skip:
                continue
            x0, x1, y0, y1 = float(x), float(x + 100), float(y), float(y + 100)
            if (x, y) == (100, 200):
                x1 = 190.0  # gap [190, 210] x [200, 300] across the edge x = 200
            if (x, y) == (200, 200):
                x0 = 210.0
            if (x, y) == (500, 200):
                y0 = 210.0  # gap [500, 600] x [200, 210] on the edge y = 200
            if (x, y) == (100, 300):
                x1 = 210.0  # overlap [190, 210] x [300, 400] across x = 200
            if (x, y) == (200, 300):
                x0 = 190.0
            if (x, y) == (300, 0):
                x1 = 410.0  # overlap [400, 410] x [0, 100] starting on the edge x = 400
            parent = "320102001001" if x < 400 else "320102001002"
            code += 1
            rows.append(
                _box_grid(
                    x0,
                    y0,
                    x1,
                    y1,
                    code,
                    parent_id=parent,
                    kind="comprehensive",
                    valid_from="2019-01-01" if code % 7 == 0 else "2025-06-01",
                )
            )
    # a two-part grid across the edge y = 400 and a grid with a bad code
    rows[-1]["geometry"] = shapely.MultiPolygon(
        [rows[-1]["geometry"], shapely.box(790, 390, 799, 399)]
    )
    rows[3]["grid_id"] = "G-4"
    frame = pd.DataFrame(rows)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS).sample(frac=1.0, random_state=4)


def _check_context():
    jurisdiction = gpd.GeoDataFrame(
        {"unit_id": ["320102001"]}, geometry=[shapely.box(0, 0, 820, 600)], crs=CRS
    )
    parents = gpd.GeoDataFrame(
        {"unit_id": ["320102001001", "320102001002"]},
        geometry=[shapely.box(0, 0, 400, 600), shapely.box(400, 0, 820, 600)],
        crs=CRS,
    )
    buildings = gpd.GeoDataFrame(
        {"building_id": ["B1", "B2", "B3", "B4"]},
        geometry=[
            shapely.box(180, 120, 220, 150),  # across the tile edge x = 200 and a grid edge
            shapely.box(395, 395, 420, 430),  # at the tile corner (400, 400)
            shapely.box(20, 20, 40, 40),  # inside one grid
            shapely.box(590, 180, 610, 205),
        ],
        crs=CRS,
    )
    features = gpd.GeoDataFrame(
        geometry=[
            # slightly off the grid edges: shares away from the rounding of the messages
            shapely.LineString([(0, 201.3), (800, 201.3)]),
            shapely.LineString([(401.7, 0), (401.7, 600)]),
        ],
        crs=CRS,
    )
    roads = gpd.GeoDataFrame(
        geometry=[
            shapely.LineString([(0, 250), (800, 250)]),
            shapely.LineString([(100, 0), (100, 600)]),
        ],
        crs=CRS,
    )
    stations = gpd.GeoDataFrame({"station_id": ["S1"]}, geometry=[shapely.Point(120, 255)], crs=CRS)
    return jurisdiction, parents, buildings, features, roads, stations


def _check_households() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(11)
    n = 1500
    x = np.r_[rng.uniform(-10, 830, n), [200.0, 400.0, 200.0, 205.0, 405.0, 450.0, 650.0]]
    y = np.r_[rng.uniform(-10, 610, n), [350.0, 50.0, 200.0, 350.0, 50.0, 450.0, 50.0]]
    return gpd.GeoDataFrame(
        {
            "household_id": [f"H{i:05d}" for i in range(len(x))],
            "persons": rng.integers(1, 6, len(x)),
        },
        geometry=shapely.points(x, y),
        crs=CRS,
    )


def _key(frame: pd.DataFrame) -> pd.DataFrame:
    """Findings in an order that does not hang on float noise: ids, message, rounded value."""
    keys = frame.drop(columns="geometry").copy()
    for column in ("value", "limit"):
        keys[column] = keys[column].round(6)
    bounds = np.round(shapely.bounds(frame.geometry.to_numpy()), 3)
    keys["_bounds"] = [tuple(b) for b in bounds]
    keys["_area"] = np.round(shapely.area(frame.geometry.to_numpy()), 4)
    columns = [c for c in keys.columns if c not in ("value", "limit")]
    order = keys.astype(str).sort_values(columns, kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def _assert_same_findings(got, want) -> None:
    assert got.skipped == want.skipped
    assert list(got.columns) == list(want.columns)
    got, want = _key(got), _key(want)
    pd.testing.assert_frame_equal(
        got.drop(columns="geometry"), want.drop(columns="geometry"), check_exact=False, rtol=1e-6
    )
    a, b = got.geometry.to_numpy(), want.geometry.to_numpy()
    np.testing.assert_allclose(shapely.area(a), shapely.area(b), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(shapely.bounds(a), shapely.bounds(b), rtol=0, atol=1e-6)
    assert shapely.area(shapely.symmetric_difference(a, b)).max(initial=0) <= 1e-6 * max(
        1.0, shapely.area(b).max(initial=0)
    )


def test_check_equals_in_memory(client, tmp_path):
    from gridgov.check import check as check_in_memory
    from gridgov.rules import RuleSet

    layer = _check_layer()
    jurisdiction, parents, buildings, features, roads, stations = _check_context()
    households = _check_households()
    x = households.geometry.x.to_numpy()
    folder = _write(tmp_path / "homes", [households[x < 400], households[x >= 400]])
    previous = layer.assign(geometry=layer.geometry.translate(37.0, 0.0))
    rules = RuleSet(
        households={"comprehensive": (20, 40)}, max_persons=90, as_of="2025-12-31", min_area=5_000
    )
    context = {
        "jurisdiction": jurisdiction,
        "parents": parents,
        "buildings": buildings,
        "features": features,
        "stations": stations,
        "roads": roads,
        "previous": previous,
        "rules": rules,
    }
    want = check_in_memory(layer, households=households, **context)
    got = ggd.check(layer, households=folder, tile_size=TILE, **context)
    for rule in (
        "coverage.gap",
        "coverage.overlap",
        "boundary.splits_building",
        "coverage.multiply_covered_household",
        "coverage.uncovered_household",
        "boundary.multipart",
        "scale.too_many_households",
        "adjustment.load_drift",
    ):
        assert (want["rule"] == rule).any(), rule
    _assert_same_findings(got, want)
    gaps = got[got["rule"] == "coverage.gap"]
    assert sorted(gaps["value"].round(3)) == sorted(
        want[want["rule"] == "coverage.gap"]["value"].round(3)
    )
    assert (gaps["value"] > 29_999).any()  # the 300 x 100 gap is one finding, whole


@pytest.mark.parametrize("tile_size", [100.0, 150.0, 1000.0])
def test_check_without_jurisdiction_any_tiling(tile_size):
    from gridgov.check import check as check_in_memory

    layer = _check_layer()
    want = check_in_memory(layer)
    got = ggd.check(layer, tile_size=tile_size, halo=10.0)
    assert (want["rule"] == "coverage.gap").sum() >= 2  # enclosed gaps only
    _assert_same_findings(got, want)


def test_progress_bar_and_existing_cluster(client, dataset, tmp_path, capsys):
    folder, households, grids = dataset
    address = client.scheduler.address
    # a second client on the running cluster, as the CLI's --scheduler ADDRESS does
    with ggd.client_for(address, workers=2) as remote:
        assert len(remote.scheduler_info()["workers"]) == 2
        result = ggd.assign(folder, {"g": grids}, output=tmp_path / "out", progress=True)
        table = ggd.load_table(result, progress=True)
    shown = capsys.readouterr().out
    assert "100%" in shown  # dask's text progress bar
    want = assign_in_memory(households, {"g": grids})
    pd.testing.assert_frame_equal(table, summarize_assignment(want))


def test_check_owns_every_grid_whatever_the_float_edges():
    """Grids whose corner lies on a tile edge within a rounding error are still checked.

    With ``tile_size = 0.1 * 3`` (0.30000000000000004) a corner at
    3.3000000000000003 has ``floor(x / size) == 10`` but lies at or beyond
    the computed edge ``11 * size``: the tile owning it must exist.
    """
    from gridgov.check import check as check_in_memory

    size = 0.1 * 3
    corners = np.array([3.3000000000000003, *np.arange(0.0, 6.0, 0.1)])
    grids = gpd.GeoDataFrame(
        {"grid_id": [f"G{k}" for k in range(len(corners))]},  # bad codes: one finding each
        geometry=[shapely.box(x, 5.0 * k, x + 0.05, 5.0 * k + 0.05) for k, x in enumerate(corners)],
        crs=CRS,
    )
    rules = _without_gaps()
    want = check_in_memory(grids, rules=rules)
    got = ggd.check(grids, rules=rules, tile_size=size, halo=0.01)
    assert (want["rule"] == "boundary.bad_code").sum() == len(corners)
    assert sorted(got.loc[got["rule"] == "boundary.bad_code", "grid_id"]) == sorted(
        want.loc[want["rule"] == "boundary.bad_code", "grid_id"]
    )


def _without_gaps():
    from gridgov.rules import RuleSet

    return RuleSet(disabled=("coverage.gap",))
