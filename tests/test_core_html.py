"""The HTML kit of the reports (gridgov._core.html) and the atomic GeoPackage writer."""

from __future__ import annotations

import base64
import errno
import pathlib
import re
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely import box

from gridgov._core import gpkg
from gridgov._core.html import (
    STYLE,
    badge,
    figure_html,
    figure_png,
    html_table,
    number,
    page,
    png_html,
    pre,
    table_html,
    td,
    tr,
    write_html,
)
from gridgov.errors import OptionError

if TYPE_CHECKING:
    from pathlib import Path


def test_page_layout_escapes_and_orders_sections() -> None:
    doc = page("<东园> & co", [("B <2>", "<p>b</p>"), ("A", "<p>a</p>")], intro="<p>hi</p>")
    assert doc.startswith("<!DOCTYPE html>\n")
    assert doc.endswith("</body></html>\n")
    assert '<html lang="en">' in doc
    assert '<meta charset="utf-8">' in doc
    assert "<title>&lt;东园&gt; &amp; co</title>" in doc
    assert doc.count("<h1>&lt;东园&gt; &amp; co</h1>") == 1
    assert (
        doc.index("<p>hi</p>")
        < doc.index("<h2>B &lt;2&gt;</h2>\n<p>b</p>")
        < doc.index("<h2>A</h2>")
    )
    assert STYLE in doc


def test_page_language_and_no_network_references() -> None:
    doc = page("t", [], lang="zh")
    assert '<html lang="zh">' in doc
    assert not re.search(r'(src|href)="(http|//)', doc)
    assert "@import" not in STYLE
    assert "url(" not in STYLE


def test_pre_and_tables_escape_text() -> None:
    assert pre("<a & b>") == "<pre>&lt;a &amp; b&gt;</pre>"
    assert table_html(pd.DataFrame({"x": []})) == "<p>none</p>"
    assert table_html(pd.DataFrame({"x": []}), empty="no change") == "<p>no change</p>"
    text = table_html(pd.DataFrame({"grid": ["<g>"], "area": [12345.6], "n": [float("nan")]}))
    assert "&lt;g&gt;" in text
    assert "12,346" in text
    assert "nan" not in text
    table = html_table(["a<b", "c"], [tr([td("1", numeric=True), td("x")], css_class="principle")])
    assert table.startswith("<table><tr><th>a&lt;b</th><th>c</th></tr>\n")
    assert '<tr class="principle"><td class="num">1</td><td>x</td></tr>' in table
    assert table.endswith("</table>")


def test_number_and_badge() -> None:
    assert number(None) == ""
    assert number(float("-inf")) == "∞"
    assert number(2.0) == "2"
    assert number(123456.78) == "123,456.8"
    assert badge("<warning>") == '<span class="sev sev-&lt;warning&gt;">&lt;warning&gt;</span>'


def test_png_html_embeds_the_bytes() -> None:
    tag = png_html(b"\x89PNG data", alt='a "map"')
    (data,) = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', tag)
    assert base64.b64decode(data) == b"\x89PNG data"
    assert 'alt="a &quot;map&quot;"' in tag
    assert "class=" not in tag


def test_figures_become_png_and_are_closed() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    plt.close("all")
    figure, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    png = figure_png(figure, dpi=50)
    assert png.startswith(b"\x89PNG")
    assert plt.get_fignums() == []
    figure, _ = plt.subplots()
    assert figure_html(figure).startswith('<img alt="map" src="data:image/png;base64,')
    assert plt.get_fignums() == []


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_write_html_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "r.html"
    assert write_html(target, "<p>new</p>") == target
    assert target.read_text(encoding="utf-8") == "<p>new</p>"

    def failing(self: pathlib.Path, data: str, *args: Any, **kwargs: Any) -> int:
        with open(self, "w", encoding="utf-8") as handle:
            handle.write(data[:3])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pathlib.Path, "write_text", failing)
    with pytest.raises(OSError, match="No space left"):
        write_html(target, "<p>newer</p>")
    monkeypatch.undo()
    assert _names(tmp_path) == ["r.html"]
    assert target.read_text(encoding="utf-8") == "<p>new</p>"


def _frame(grid_id: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"grid_id": [grid_id]}, geometry=[box(0, 0, 1, 1)], crs=4549)


def test_write_layers_replaces_named_layers_and_keeps_others(tmp_path: Path) -> None:
    target = tmp_path / "out.gpkg"
    gpkg.write_layers(target, {"a": _frame("old"), "b": _frame("kept")}, what="tests")
    gpkg.write_layers(target, {"a": _frame("new"), "t": pd.DataFrame({"n": [1, 2]})}, what="tests")
    assert sorted(pyogrio.list_layers(target)[:, 0]) == ["a", "b", "t"]
    assert gpd.read_file(target, layer="a")["grid_id"].tolist() == ["new"]
    assert gpd.read_file(target, layer="b")["grid_id"].tolist() == ["kept"]
    assert _names(tmp_path) == ["out.gpkg"]


def test_write_layers_can_replace_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "out.gpkg"
    gpkg.write_layers(target, {"a": _frame("old"), "b": _frame("earlier run")}, what="tests")
    gpkg.write_layers(target, {"a": _frame("new")}, what="tests", replace=True)
    assert pyogrio.list_layers(target)[:, 0].tolist() == ["a"]
    assert _names(tmp_path) == ["out.gpkg"]


def test_write_layers_refuses_other_formats(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="tests are written to a GeoPackage"):
        gpkg.write_layers(tmp_path / "out.geojson", {"a": _frame("a")}, what="tests")
    assert _names(tmp_path) == []


def test_atomic_update_leaves_the_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.gpkg"
    gpkg.write_layers(target, {"a": _frame("a")}, what="tests")
    before = target.read_bytes()
    seen: list[pathlib.Path] = []

    def killed_mid_write() -> None:
        with gpkg.atomic_update(target) as tmp:
            gpkg.write_layer(_frame("b"), tmp, layer="b")
            seen.append(tmp)
            msg = "killed"
            raise RuntimeError(msg)

    with pytest.raises(RuntimeError, match="killed"):
        killed_mid_write()
    assert seen[0].parent == tmp_path
    assert _names(tmp_path) == ["out.gpkg"]
    assert target.read_bytes() == before
