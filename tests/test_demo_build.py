"""The demo's generator (``tools/demo``, not installed) reproduces the shipped files.

The build runs once per session (about 8 s) into a temporary folder.  The two
CSV files must be identical byte for byte.  The GeoPackage is compared by
content, since its SQLite header (a change counter) differs between any two
writes: the same layers in the same order, and in each layer the same layer
metadata (geometry type, CRS, field names and types, feature count), the same
columns, dtypes and values, and the same geometries *exactly* (every
coordinate equal, ``shapely.equals_identical``).  No tolerance is allowed: the
shipped files were produced by this code, and a platform whose GEOS or PROJ
gives different bits should regenerate them (``python -m tools.demo.build``)
rather than loosen this test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from gridgov.datasets import demo_gcj02_csv_path, demo_path
from tools.demo import build as demo_build

if TYPE_CHECKING:
    import geopandas as gpd

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = demo_path().parent
INFO_KEYS = ("crs", "fields", "dtypes", "geometry_type", "features", "fid_column")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return demo_build.build(tmp_path_factory.mktemp("demo"))


def _read(path: Path, layer: str) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(path, layer=layer)


def test_the_generator_writes_where_the_loader_reads() -> None:
    assert demo_build.DATA_DIR == SHIPPED
    assert demo_build.default_paths() == {
        "gpkg": demo_path(),
        "csv": demo_gcj02_csv_path(),
        "defects": SHIPPED / "demo_defects.csv",
    }


def test_same_layers_in_the_same_order(fresh: dict[str, Path]) -> None:
    fresh_layers = pyogrio.list_layers(fresh["gpkg"]).tolist()
    shipped_layers = pyogrio.list_layers(demo_path()).tolist()
    assert fresh_layers == shipped_layers
    assert [name for name, _ in shipped_layers] == list(demo_build.LAYERS)


@pytest.mark.parametrize("layer", demo_build.LAYERS)
def test_layer_is_reproduced_exactly(fresh: dict[str, Path], layer: str) -> None:
    fresh_info = pyogrio.read_info(fresh["gpkg"], layer=layer)
    shipped_info = pyogrio.read_info(demo_path(), layer=layer)
    for key in INFO_KEYS:
        np.testing.assert_array_equal(fresh_info[key], shipped_info[key], err_msg=key)

    got, want = _read(fresh["gpkg"], layer), _read(demo_path(), layer)
    assert list(got.columns) == list(want.columns)
    assert got.crs == want.crs
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")),
        pd.DataFrame(want.drop(columns="geometry")),
        check_exact=True,
    )
    same = shapely.equals_identical(got.geometry.to_numpy(), want.geometry.to_numpy())
    if not same.all():
        first = int(np.flatnonzero(~same)[0])
        a = shapely.get_coordinates(got.geometry.iloc[first])
        b = shapely.get_coordinates(want.geometry.iloc[first])
        gap = np.abs(a - b).max() if a.shape == b.shape else "different vertex counts"
        pytest.fail(f"{layer}: {int((~same).sum())} geometries differ; row {first}: {gap}")


@pytest.mark.parametrize("kind", ["csv", "defects"])
def test_csv_files_are_reproduced_byte_for_byte(fresh: dict[str, Path], kind: str) -> None:
    shipped = SHIPPED / fresh[kind].name
    assert fresh[kind].read_bytes() == shipped.read_bytes()


def test_command_line_writes_into_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fake_build(out_dir: Path | None) -> dict[str, Path]:
        paths = demo_build.default_paths(out_dir)
        for path in paths.values():
            path.write_text("x", encoding="utf-8")
        return paths

    monkeypatch.setattr(demo_build, "build", fake_build)
    assert demo_build.main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "demo_street.gpkg") in out
    assert len(out.splitlines()) == 3


def test_the_package_holds_only_the_loader() -> None:
    datasets = ROOT / "gridgov" / "datasets"
    assert sorted(p.name for p in datasets.glob("*.py")) == ["__init__.py"]
    code = "import sys, gridgov as gg; gg.datasets.load_demo(); print('tools' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "False"
