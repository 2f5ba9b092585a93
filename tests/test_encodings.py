"""Encodings: UTF-8, UTF-8 with BOM and GBK/GB18030 read without being told (issue 13, item 2).

The detection order is UTF-8 (a BOM dropped), then GB18030; ``encoding=``
overrides it.  It applies to CSV tables and TOML rules files; Shapefile
attributes follow their ``.cpg``, or ``encoding=``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pytest
import shapely

import gridgov as gg
from gridgov._core.text import DETECTION_ORDER

if TYPE_CHECKING:
    from pathlib import Path

CRS = "EPSG:4549"
TEXT = (
    "household_id,经度,纬度,地址\n"
    "甲001,500000,3500000,玄武区中山路1号\n"
    "乙002,500010,3500010,秦淮区\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_a_csv_is_read_in_any_of_the_planners_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"homes-{encoding}.csv"
    path.write_bytes(TEXT.encode(encoding))
    homes = gg.read_households(path, crs=CRS)
    assert homes["household_id"].tolist() == ["甲001", "乙002"]
    assert homes["地址"].tolist() == ["玄武区中山路1号", "秦淮区"]
    assert homes.geometry.x.tolist() == [500000.0, 500010.0]


def test_the_detection_order_is_documented_and_overridable(tmp_path: Path) -> None:
    assert DETECTION_ORDER == ("utf-8-sig", "gb18030")
    path = tmp_path / "homes.csv"
    path.write_bytes(TEXT.encode("gbk"))
    with pytest.raises(gg.LayerError, match="encoding"):
        gg.read_households(path, crs=CRS, encoding="utf-8")  # told wrong: refused, not guessed
    homes = gg.read_households(path, crs=CRS, encoding="gbk")
    assert homes["household_id"].iloc[0] == "甲001"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_a_rules_file_is_read_in_any_of_them(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "rules.toml"
    text = '# 城区网格规则\nreview_age_days = 730\n[severity]\n"boundary.bad_code" = "error"\n'
    path.write_bytes(text.encode(encoding))
    rules = gg.RuleSet.from_toml(path)
    assert rules.review_age_days == 730
    assert rules.severity_of("boundary.bad_code") == "error"


def test_shapefile_attributes_follow_encoding_without_a_cpg(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"grid_id": ["320102001001001"], "name": ["玄武网格"]},
        geometry=[shapely.box(0, 0, 100, 100)],
        crs=CRS,
    )
    path = tmp_path / "grids.shp"
    frame.to_file(path, encoding="gbk")
    path.with_suffix(".cpg").unlink(missing_ok=True)  # as many Chinese exports come
    read = gg.read_layer(path, encoding="gbk")
    assert read["name"].tolist() == ["玄武网格"]
