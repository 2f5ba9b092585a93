"""What :func:`gridgov.check` and :func:`gridgov.distributed.check` share.

The validation of a check's inputs at the boundary (:func:`validate_inputs`,
giving a :class:`CheckInputs`), the RuleSet argument (:func:`as_ruleset`)
and the Findings frame built from the rules' records (:func:`finish`).  Not
exported from :mod:`gridgov`: the two checks are the public functions.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from gridgov._core.layerinfo import layer_info
from gridgov._core.threads import thread_count
from gridgov.crs import require_metric
from gridgov.errors import LayerError, OptionTypeError
from gridgov.findings import Findings, make_findings
from gridgov.layers import validate_layer
from gridgov.rules import RULES, RuleSet
from gridgov.rules.base import Grids

if TYPE_CHECKING:
    from collections.abc import Callable

    import geopandas as gpd

__all__ = ["CheckInputs", "as_ruleset", "finish", "validate_inputs"]


def _reference(
    frame: gpd.GeoDataFrame | None, *, kind: Any, name: str, allow_empty: bool = False
) -> gpd.GeoDataFrame | None:
    """Validate a reference layer; its polygons must be valid (they are not under review)."""
    if frame is None:
        return None
    out = validate_layer(frame, kind=kind, name=name, allow_empty=allow_empty)
    info = layer_info(out)
    invalid = info.invalid_ids if info is not None else None
    if invalid:
        shown = ", ".join(repr(i) for i in invalid[:5])
        more = f" and {len(invalid) - 5} more" if len(invalid) > 5 else ""
        msg = (
            f"layer {name!r} ({kind}): {len(invalid)} invalid polygon(s) (ids {shown}{more}); "
            "reference layers must be valid: repair them first, e.g. "
            "frame.assign(geometry=shapely.make_valid(frame.geometry.values))"
        )
        raise LayerError(msg)
    return out


@dataclass(frozen=True)
class CheckInputs:
    """The validated layers of one check, all in one metric CRS."""

    grids: Grids
    crs: Any
    jurisdiction: gpd.GeoDataFrame | None
    parents: gpd.GeoDataFrame | None
    households: gpd.GeoDataFrame | None
    buildings: gpd.GeoDataFrame | None
    features: gpd.GeoDataFrame | None
    stations: gpd.GeoDataFrame | None
    roads: gpd.GeoDataFrame | None
    previous: gpd.GeoDataFrame | None

    @property
    def footprints(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Ids and polygons of the buildings that have a footprint."""
        if self.buildings is None:
            return None
        geoms = self.buildings.geometry.to_numpy()
        polygons = np.isin(shapely.get_type_id(geoms), [3, 6])
        return (
            self.buildings["building_id"].to_numpy(dtype=object)[polygons],
            np.asarray(geoms[polygons], dtype=object),
        )


def _renamed(frame: gpd.GeoDataFrame, id_column: str) -> gpd.GeoDataFrame:
    if id_column == "grid_id":
        return frame
    return frame.drop(columns=["grid_id"], errors="ignore").rename(columns={id_column: "grid_id"})


def _walkable(roads: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Walk roads, not rivers or walls: rows whose ``kind`` is missing or ``"road"``."""
    if roads is None or "kind" not in roads.columns:
        return roads
    walkable = roads["kind"].isna() | (roads["kind"].astype(object) == "road")
    return roads[walkable.to_numpy(dtype=bool)]


def _optional(frame: gpd.GeoDataFrame | None, **options: Any) -> gpd.GeoDataFrame | None:
    return None if frame is None else validate_layer(frame, allow_empty=True, **options)


def validate_inputs(
    layer: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame | None], id_column: str
) -> CheckInputs:
    """Validate every layer at the boundary, then require one metric CRS for all.

    The layers are validated concurrently (GEOS validity checks release the
    GIL); when several are bad, the error raised is the first in the fixed
    order grids, roads, jurisdiction, households, buildings, parents,
    features, stations, previous.
    """
    previous = layers["previous"]
    tasks: dict[str, Callable[[], Any]] = {
        "grids": lambda: validate_layer(
            layer, kind="grids", id_column=id_column, name="grids", allow_duplicate_ids=True
        ),
        "roads": lambda: _walkable(_optional(layers["roads"], kind="roads")),
        "jurisdiction": lambda: _reference(
            layers["jurisdiction"], kind="jurisdiction", name="jurisdiction"
        ),
        "households": lambda: _optional(layers["households"], kind="households"),
        "buildings": lambda: _reference(
            layers["buildings"], kind="buildings", name="buildings", allow_empty=True
        ),
        "parents": lambda: _reference(layers["parents"], kind="jurisdiction", name="parents"),
        "features": lambda: _optional(layers["features"], kind="roads", name="features"),
        "stations": lambda: _optional(layers["stations"], kind="stations"),
        "previous": lambda: (
            None
            if previous is None
            else _renamed(
                validate_layer(
                    previous,
                    kind="grids",
                    id_column=id_column,
                    name="previous",
                    # with recorded loads its polygons are not used: their validity is only
                    # tested (by Grids.from_frame) when households are assigned to them
                    find_invalid="households" not in previous.columns,
                ),
                id_column,
            )
        ),
    }
    with ThreadPoolExecutor(max_workers=thread_count()) as pool:
        futures = {name: pool.submit(task) for name, task in tasks.items()}
        frames: dict[str, Any] = {name: future.result() for name, future in futures.items()}
    grid_frame = frames["grids"]
    crs = require_metric(frames)
    return CheckInputs(
        grids=Grids.from_frame(_renamed(grid_frame, id_column)),
        crs=crs,
        **{name: frame for name, frame in frames.items() if name != "grids"},
    )


def as_ruleset(rules: object) -> RuleSet:
    """Return the rules to check with: ``RuleSet()`` for None, TypeError for others."""
    if rules is None:
        return RuleSet()
    if not isinstance(rules, RuleSet):
        msg = f"rules must be a gg.RuleSet, got {type(rules).__name__}"
        raise OptionTypeError(msg)
    return rules


def finish(
    parts: list[pd.DataFrame], grids: Grids, *, rules: RuleSet, crs: Any, skipped: dict[str, str]
) -> Findings:
    """Return the Findings of a check from the records of its rules.

    ``principle`` and ``severity`` (the RuleSet's) are added from the
    registry, ``network`` from the layer's column when it has one; rows are
    sorted by :func:`gridgov.make_findings`.
    """
    parts = [p for p in parts if len(p)]
    if not parts:
        return make_findings([], crs=crs, skipped=skipped)
    frame = pd.concat(parts, ignore_index=True)
    frame["principle"] = frame["rule"].map({c: info.principle for c, info in RULES.items()})
    frame["severity"] = frame["rule"].map({c: rules.severity_of(c) for c in RULES})
    networks = grids.column("network")
    if networks is not None:
        by_id = pd.Series(networks, index=pd.Index(grids.ids.astype(str)))
        by_id = by_id[~by_id.index.duplicated(keep="first")]
        names = sorted({str(n) for n in networks if n is not None})
        default = names[0] if len(names) == 1 else None
        gid = frame["grid_id"].to_numpy(dtype=object)
        has = pd.notna(gid)
        network = np.full(len(frame), default, dtype=object)
        network[has] = by_id.reindex(gid[has].astype(str)).to_numpy(dtype=object)
        network[pd.isna(network)] = default
        frame["network"] = network
    return make_findings(frame, crs=crs, skipped=skipped)
