"""Reports: the static map, the interactive map and the self-contained HTML page."""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING

import geopandas as gpd
import matplotlib as mpl
import pytest
from shapely import Point, Polygon, box

from gridgov.check import check
from gridgov.findings import Findings, make_findings
from gridgov.report import findings_to_html, map_png

if TYPE_CHECKING:
    from pathlib import Path

mpl.use("Agg")

CRS = "EPSG:4549"


@pytest.fixture
def grids() -> gpd.GeoDataFrame:
    geoms = [box(100 * i, 0, 100 * i + 100, 100) for i in range(3)]
    geoms[1] = Polygon([(100, 0), (200, 100), (200, 0), (100, 100)])  # bow-tie
    ids = ["320102001001001", "320102001001002", "3201020010010"]
    return gpd.GeoDataFrame({"grid_id": ids}, geometry=geoms, crs=CRS)


@pytest.fixture
def findings(grids: gpd.GeoDataFrame) -> Findings:
    street = gpd.GeoDataFrame({"unit_id": ["s"]}, geometry=[box(0, 0, 310, 100)], crs=CRS)
    homes = gpd.GeoDataFrame(
        {"household_id": ["a", "b", "<c&d>"]},
        geometry=[Point(50, 50), Point(305, 50), Point(5000, 50)],
        crs=CRS,
    )
    return check(grids, jurisdiction=street, households=homes)


def test_html_report_is_self_contained(findings, grids, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    html = findings.to_html(path, layer=grids, title="东园社区 grids")
    assert path.read_text(encoding="utf-8") == html
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>东园社区 grids</title>" in html
    assert "NOT OK: " in html
    # every rule with findings is counted, and every finding listed
    for rule in set(findings["rule"]):
        assert f"<code>{rule}</code>" in html
    assert html.count('<td class="num">', html.index("All findings")) >= len(findings)
    # no external resources: the map is an embedded PNG
    assert not re.search(r'(src|href)="(http|//)', html)
    png = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert png is not None
    assert base64.b64decode(png.group(1)).startswith(b"\x89PNG")
    # user text is escaped
    assert "&lt;c&amp;d&gt;" in html
    assert "<c&d>" not in html
    assert "Rules not run" in html


def test_html_of_no_findings() -> None:
    html = findings_to_html(make_findings([], crs=CRS), layer=None)
    assert "OK: no findings" in html
    assert "No findings." in html


def test_html_lists_at_most_max_rows(findings) -> None:
    html = findings.to_html(max_rows=1)
    assert f"Only the first 1 of {len(findings)} findings are listed" in html


def test_plot_returns_axes_with_a_legend(findings, grids) -> None:
    ax = findings.plot(layer=grids)
    assert ax.get_legend() is not None
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "grid with errors" in labels
    assert "error location" in labels
    assert "1 finding lies outside the map" in ax.get_title(loc="left")
    mpl.pyplot.close(ax.figure)
    ax = findings.plot()  # without the layer: every finding is drawn
    assert ax.get_title(loc="left").startswith("NOT OK")
    mpl.pyplot.close(ax.figure)


def test_map_png(findings, grids) -> None:
    png = map_png(findings, layer=grids)
    assert png.startswith(b"\x89PNG")
    assert len(png) > 5000


def test_explore_returns_a_folium_map(findings, grids) -> None:
    folium = pytest.importorskip("folium")
    fmap = findings.explore(layer=grids)
    assert isinstance(fmap, folium.Map)
    html = fmap.get_root().render()
    assert "coverage.gap" in html
    empty = make_findings([], crs=CRS).explore(layer=grids)
    assert isinstance(empty, folium.Map)


def test_summary_is_printable(findings) -> None:
    text = str(findings.summary())
    assert text.splitlines()[0].startswith("NOT OK")
    assert "findings by rule:" in text
    assert "rules not run:" in text
    assert all(line == line.rstrip() for line in text.splitlines())
