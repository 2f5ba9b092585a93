"""Reports of findings: a static map, an interactive map and a self-contained HTML page.

matplotlib (static map, HTML report) and folium (interactive map) are the
optional ``plot`` extra and are imported only when used.  The functions here
back :meth:`Findings.plot <gridgov.findings.Findings.plot>`,
:meth:`Findings.explore <gridgov.findings.Findings.explore>` and
:meth:`Findings.to_html <gridgov.findings.Findings.to_html>`.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgov._core.html import (
    badge,
    figure_png,
    html_table,
    number,
    page,
    png_html,
    td,
    tr,
)
from gridgov.findings import ID_COLUMNS, PRINCIPLES, SEVERITIES

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from gridgov.findings import Findings

__all__ = ["explore_findings", "findings_to_html", "map_png", "plot_findings"]

#: Fill colours of the severities (ColorBrewer Reds / Oranges / Blues).
SEVERITY_COLOURS = {"error": "#d7301f", "warning": "#f59d1e", "info": "#3182bd"}
_TINT = {"error": "#fcbba1", "warning": "#fee8a8", "info": "#d6e6f4"}
_PRINCIPLE_NAMES = {
    "scale": "Moderate scale 规模适度",
    "boundary": "Clear boundaries 边界清晰",
    "coverage": "Seamless coverage 无缝覆盖",
    "adjustment": "Dynamic adjustment 动态调整",
}


def _showing(*kinds: str) -> list[str]:
    """Return the rules whose finding geometry is of one of `kinds` (``RuleInfo.shows``).

    ``grid``: the whole grid (on a map with the layer, the grid's tint shows
    it); ``grids``: a union of grids (outlined); ``point``: a location.
    """
    from gridgov.rules import RULES

    return [code for code, info in RULES.items() if info.shows in kinds]


def _matplotlib() -> Any:
    try:
        import matplotlib as mpl
    except ImportError:  # pragma: no cover - depends on the environment
        msg = "maps need matplotlib: pip install 'gridgov[plot]'"
        raise ImportError(msg) from None
    return mpl


def _worst(findings: Findings) -> pd.Series:
    """Worst severity of each grid id with findings."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    table = pd.DataFrame(
        {
            "grid_id": findings["grid_id"].to_numpy(dtype=object),
            "rank": findings["severity"].map(rank).to_numpy(),
        }
    ).dropna(subset=["grid_id"])
    worst = table.groupby("grid_id")["rank"].min()
    return worst.map(dict(enumerate(SEVERITIES)))


def plot_findings(
    findings: Findings,
    *,
    ax: Axes | None = None,
    layer: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    figsize: tuple[float, float] = (9.0, 9.0),
) -> Axes:
    """Draw the findings on a map with matplotlib.

    With the checked `layer`, grids without findings are grey and grids with
    findings are tinted by their worst severity; located problems (gaps,
    overlaps, slivers, spill-over, split buildings, boundary parts off
    features, households, invalid points) are drawn on top in the colour of
    their severity.

    Parameters
    ----------
    findings : Findings
        The findings.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure otherwise.
    layer : GeoDataFrame, optional
        The checked grid layer (``grid_id``), in the CRS of the findings.
    title : str, optional
        Title; by default the headline of the summary.
    figsize : tuple of float, default (9, 9)
        Size of a new figure in inches.

    Returns
    -------
    matplotlib Axes
    """
    _matplotlib()
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    frame = gpd.GeoDataFrame(findings)
    handles: list[Any] = []
    grids = None
    located = frame
    if layer is not None:
        grids = gpd.GeoDataFrame(layer)
        if grids.crs is not None and frame.crs is not None and grids.crs != frame.crs:
            grids = grids.to_crs(frame.crs)
        handles += _draw_grids(ax, grids, findings)
        located = frame[~frame["rule"].isin(_showing("grid")).to_numpy(dtype=bool)]
    extent = _extent(grids, frame)
    handles += _draw_locations(ax, located, extent)
    if grids is not None:
        _label_grids(ax, grids, findings)
    ax.set_aspect("equal")
    ax.set_axis_off()
    outside = 0
    if extent is not None:
        minx, miny, maxx, maxy = extent
        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny, maxy)
        geoms = frame.geometry.to_numpy()
        if len(geoms):
            window = shapely.box(minx, miny, maxx, maxy)
            hidden = ~(
                shapely.is_missing(geoms)
                | shapely.is_empty(geoms)
                | shapely.intersects(geoms, window)
            )
            outside = int(hidden.sum())
    if title is None:
        title = findings.summary().headline
    if outside:
        plural = "s lie" if outside > 1 else " lies"
        note = f"{outside} finding{plural} outside the map (far from the grids)"
        title = f"{title}\n{note}" if title else note
    ax.set_title(title, fontsize=10, loc="left")
    if handles:
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False
        )
    return ax


def _marker(colour: str, label: str, *, marker: str = "s", filled: bool = True) -> Any:
    from matplotlib.lines import Line2D

    return Line2D(
        [],
        [],
        marker=marker,
        linestyle="none",
        markersize=9,
        markerfacecolor=colour if filled else "none",
        markeredgecolor=colour,
        label=label,
    )


def _draw_grids(ax: Axes, grids: gpd.GeoDataFrame, findings: Findings) -> list[Any]:
    """Draw the grid layer: grey, grids with findings tinted by their worst severity."""
    from matplotlib.patches import Patch

    grids.plot(ax=ax, facecolor="#f0f0f0", edgecolor="#8c8c8c", linewidth=0.5)
    handles: list[Any] = [
        Patch(facecolor="#f0f0f0", edgecolor="#8c8c8c", label="grid without findings")
    ]
    if "grid_id" not in grids.columns or not len(findings):
        return handles
    worst = grids["grid_id"].astype(object).astype(str).map(_worst(findings))
    for severity in reversed(SEVERITIES):
        chosen = worst.to_numpy(dtype=object) == severity
        if chosen.any():
            grids[chosen].plot(ax=ax, facecolor=_TINT[severity], edgecolor="#636363", linewidth=0.8)
            handles.append(
                Patch(
                    facecolor=_TINT[severity], edgecolor="#636363", label=f"grid with {severity}s"
                )
            )
    return handles


def _draw_locations(
    ax: Axes, located: gpd.GeoDataFrame, extent: tuple[float, float, float, float] | None
) -> list[Any]:
    """Draw where each finding is, in the colour of its severity; circle the tiny ones."""
    geoms = located.geometry.to_numpy()
    if len(geoms):
        located = located[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    types = shapely.get_type_id(located.geometry.to_numpy())
    small = _small(located.geometry.to_numpy(), extent)
    small |= located["rule"].isin(_showing("point")).to_numpy(dtype=bool)
    handles: list[Any] = []
    for severity in reversed(SEVERITIES):
        colour = SEVERITY_COLOURS[severity]
        mine = (located["severity"] == severity).to_numpy(dtype=bool)
        if not mine.any():
            continue
        polygons = located[mine & np.isin(types, [3, 6])]
        outline = polygons["rule"].isin(_showing("grid", "grids"))
        outline = outline.to_numpy(dtype=bool)
        if (~outline).any():
            polygons[~outline].plot(ax=ax, facecolor=colour, edgecolor=colour, alpha=0.75)
        if outline.any():
            polygons[outline].plot(
                ax=ax, facecolor="none", edgecolor=colour, linewidth=2.0, linestyle="--"
            )
        lines = located[mine & np.isin(types, [1, 2, 5])]
        if len(lines):
            lines.plot(ax=ax, color=colour, linewidth=2.2)
        points = located[mine & np.isin(types, [0, 4])]
        if len(points):
            points.plot(
                ax=ax, color=colour, markersize=14, edgecolor="white", linewidth=0.4, zorder=5
            )
        tiny = located[mine & small]
        if len(tiny):  # circle what would be too small to see at this scale
            anchors = shapely.point_on_surface(tiny.geometry.to_numpy())
            ax.scatter(
                shapely.get_x(anchors),
                shapely.get_y(anchors),
                s=160,
                facecolors="none",
                edgecolors=colour,
                linewidths=1.5,
                zorder=6,
            )
        handles.append(_marker(colour, f"{severity} location"))
    if small.any():
        handles.append(_marker("#525252", "small location (circled)", marker="o", filled=False))
    return handles


def _label_grids(ax: Axes, grids: gpd.GeoDataFrame, findings: Findings) -> None:
    """Label the grids with findings (when there are at most 40 of them)."""
    if "grid_id" not in grids.columns or not len(findings):
        return
    flagged = grids[grids["grid_id"].astype(object).astype(str).isin(_worst(findings).index)]
    if not 0 < len(flagged) <= 40:
        return
    anchors = shapely.point_on_surface(flagged.geometry.to_numpy())
    for gid, point in zip(flagged["grid_id"], anchors, strict=True):
        text = str(gid)
        ax.annotate(
            text[-6:] if len(text) > 8 else text,
            (point.x, point.y),
            fontsize=7,
            ha="center",
            va="center",
            color="#252525",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
        )


def _extent(
    layer: gpd.GeoDataFrame | None, frame: gpd.GeoDataFrame
) -> tuple[float, float, float, float] | None:
    """Map window: the grid layer with a 6 % margin (findings far away are counted, not shown)."""
    if layer is None or not len(layer):
        return None
    minx, miny, maxx, maxy = (float(v) for v in layer.total_bounds)
    pad = 0.06 * max(maxx - minx, maxy - miny, 1.0)
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def _small(geoms: np.ndarray, extent: tuple[float, float, float, float] | None) -> np.ndarray:
    """Polygons and lines whose size is under 1.5 % of the map width."""
    if not len(geoms):
        return np.zeros(0, dtype=bool)
    bounds = shapely.total_bounds(geoms) if extent is None else np.asarray(extent)
    width = max(float(bounds[2] - bounds[0]), float(bounds[3] - bounds[1]), 1e-9)
    box_ = shapely.bounds(geoms)
    size = np.maximum(box_[:, 2] - box_[:, 0], box_[:, 3] - box_[:, 1])
    areal = ~np.isin(shapely.get_type_id(geoms), [0, 4])
    return np.asarray(areal & (size < 0.015 * width), dtype=bool)


def map_png(findings: Findings, *, layer: gpd.GeoDataFrame | None = None, dpi: int = 110) -> bytes:
    """Return the map of :func:`plot_findings` as PNG bytes."""
    _matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10.5, 8.5))
    ax = fig.add_subplot()
    plot_findings(findings, ax=ax, layer=layer, title="")
    fig.tight_layout()
    return figure_png(fig, dpi=dpi)


def explore_findings(
    findings: Findings, *, layer: gpd.GeoDataFrame | None = None, **kwargs: Any
) -> Any:
    """Return an interactive folium map of the findings (and the grid layer).

    Parameters
    ----------
    findings : Findings
        The findings.
    layer : GeoDataFrame, optional
        The checked grid layer, drawn underneath in grey.
    **kwargs
        Passed to :meth:`geopandas.GeoDataFrame.explore` for the findings.

    Returns
    -------
    folium.Map
    """
    try:
        import folium
    except ImportError:  # pragma: no cover - depends on the environment
        msg = "interactive maps need folium: pip install 'gridgov[plot]'"
        raise ImportError(msg) from None
    frame = gpd.GeoDataFrame(findings)
    geoms = frame.geometry.to_numpy()
    if len(frame):
        frame = frame[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    fmap = kwargs.pop("m", None)
    if layer is not None:
        fmap = gpd.GeoDataFrame(layer).explore(
            m=fmap,
            color="#737373",
            style_kwds={"fillOpacity": 0.05, "weight": 1},
            tooltip=[c for c in ("grid_id", "name", "kind") if c in layer.columns] or False,
            name="grids",
        )
    if len(frame):
        present = [s for s in SEVERITIES if (frame["severity"] == s).any()]
        tooltip = ["rule", "severity", "grid_id", "message"]
        options: dict[str, Any] = {
            "column": "severity",
            "categorical": True,
            "categories": present,
            "cmap": [SEVERITY_COLOURS[s] for s in present],
            "tooltip": tooltip,
            "name": "findings",
            "style_kwds": {"fillOpacity": 0.6, "weight": 2},
            "marker_kwds": {"radius": 4},
        }
        options.update(kwargs)
        fmap = frame[[*tooltip, "geometry"]].explore(m=fmap, **options)
    elif fmap is None:
        fmap = folium.Map(tiles="OpenStreetMap")
    folium.LayerControl().add_to(fmap)
    return fmap


# --------------------------------------------------------------------------- HTML


def _count(value: Any) -> str:
    return str(int(value)) if int(value) else ""


def _counts_table(findings: Findings) -> str:
    counts = findings.summary().counts
    columns = (*SEVERITIES, "total")
    rows = []
    for principle in PRINCIPLES:
        part = counts[counts["principle"] == principle]
        if not len(part):
            continue
        totals = part[list(columns)].sum()
        rows.append(
            tr(
                [
                    td(html.escape(_PRINCIPLE_NAMES[principle])),
                    *(td(str(int(totals[c])), numeric=True) for c in columns),
                ],
                css_class="principle",
            )
        )
        rows.extend(
            tr(
                [
                    td(f"&nbsp;&nbsp;<code>{html.escape(str(r['rule']))}</code>"),
                    *(td(_count(r[c]), numeric=True) for c in columns),
                ]
            )
            for _, r in part.iterrows()
        )
    return html_table(["principle / rule", *columns], rows)


def _grid_table(findings: Findings, *, limit: int = 200) -> str:
    grids = findings.summary().grids
    if not len(grids):
        return "<p>No grid has a finding.</p>"
    rows = [
        tr(
            [
                td(html.escape(str(gid))),
                *(td(_count(r[c]), numeric=True) for c in SEVERITIES),
                td(html.escape(str(r["rules"]))),
            ]
        )
        for gid, r in grids.head(limit).iterrows()
    ]
    out = html_table(["grid", *SEVERITIES, "rules"], rows)
    if len(grids) > limit:
        out += f"\n<p>… and {len(grids) - limit} more grids.</p>"
    return out


def _text(value: Any) -> str:
    return html.escape("" if value is None or pd.isna(value) else str(value))


def _findings_table(findings: Findings, *, max_rows: int | None) -> str:
    if not len(findings):
        return "<p>No findings.</p>"
    extra = [c for c in ID_COLUMNS if c in findings.columns and c != "network"]
    shown = findings if max_rows is None else findings.iloc[:max_rows]
    header = ["#", "severity", "rule", "grid", *[c.replace("_", " ") for c in extra]]
    values = shown["value"].to_numpy(dtype=float)
    limits = shown["limit"].to_numpy(dtype=float)
    rows = [
        tr(
            [
                td(str(k + 1), numeric=True),
                td(badge(str(r["severity"]))),
                td(f"<code>{html.escape(str(r['rule']))}</code>"),
                td(html.escape("" if r["grid_id"] is None else str(r["grid_id"]))),
                *(td(_text(r[c])) for c in extra),
                td(number(values[k]), numeric=True),
                td(number(limits[k]), numeric=True),
                td(html.escape(str(r["message"]))),
            ]
        )
        for k, (_, r) in enumerate(shown.iterrows())
    ]
    out = html_table([*header, "value", "limit", "message"], rows)
    if max_rows is not None and len(findings) > max_rows:
        out += (
            f"\n<p>Only the first {max_rows:,} of {len(findings):,} findings are listed; "
            "write them all with <code>findings.to_file(...)</code>.</p>"
        )
    return out


def findings_to_html(
    findings: Findings,
    *,
    layer: gpd.GeoDataFrame | None = None,
    title: str = "gridgov check report",
    max_rows: int | None = 5000,
) -> str:
    """Return a self-contained HTML report of the findings.

    The page has a headline (OK, or the number of errors), the counts by
    principle and rule, the rules that did not run, a map (PNG embedded as
    base64, when matplotlib is installed), the grids with findings (worst
    first) and the list of findings.  It is laid out by the report kit
    (:mod:`gridgov._core.html`) like every gridgov report.

    Parameters
    ----------
    findings : Findings
        The findings.
    layer : GeoDataFrame, optional
        The checked grid layer, drawn on the map.
    title : str, default "gridgov check report"
        Title of the page.
    max_rows : int or None, default 5000
        Number of findings listed (all when None).

    Returns
    -------
    str
    """
    summary = findings.summary()
    css_class = "ok" if summary.ok else "bad"
    stamp = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    intro = (
        '<p class="meta">'
        + (f"{len(layer):,} grids checked; " if layer is not None else "")
        + f"generated {stamp} by gridgov</p>\n"
        + f'<div class="headline {css_class}">{html.escape(summary.headline)}</div>'
    )
    sections = [
        (
            "Findings by principle and rule",
            _counts_table(findings) if len(findings) else "<p>No findings.</p>",
        )
    ]
    if summary.skipped:
        rows = [
            tr([td(f"<code>{html.escape(rule)}</code>"), td(html.escape(reason))])
            for rule, reason in sorted(summary.skipped.items())
        ]
        sections.append(("Rules not run", html_table(["rule", "why"], rows)))
    try:
        png = map_png(findings, layer=layer)
    except ImportError as error:  # pragma: no cover - depends on the environment
        sections.append(("Map", f"<p>No map: {html.escape(str(error))}</p>"))
    else:
        sections.append(("Map", png_html(png, alt="map of the findings", css_class="map")))
    sections.append(("Grids with findings", _grid_table(findings)))
    sections.append(("All findings", _findings_table(findings, max_rows=max_rows)))
    return page(title, sections, intro=intro, lang="en")
