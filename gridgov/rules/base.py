"""Shared machinery of the rule modules: the prepared grid layer and record helpers.

Not public: :func:`gridgov.check` builds a :class:`Grids` once and hands it to
every rule function.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from gridgov._core.geometry import buffer_difference, polygonal, repair
from gridgov._core.layerinfo import layer_info
from gridgov.errors import OptionError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "EPS",
    "Grids",
    "buffer_difference",
    "fmt_area",
    "nullable",
    "polygonal",
    "present",
    "records",
]

#: Relative slack of the strict comparisons ``value > limit``: a value within
#: ``EPS * max(1, |limit|)`` of its limit is *at* the limit (floating-point noise
#: of areas and lengths is not a finding).
EPS = 1e-9


def present(values: Any) -> np.ndarray:
    """Return which of `values` are not None or NaN."""
    return np.asarray(~pd.isna(np.asarray(values, dtype=object)), dtype=bool)


def nullable(mask: Any, values: Any) -> np.ndarray:
    """Return an object array holding `values` where `mask` is true and None elsewhere."""
    mask = np.asarray(mask, dtype=bool)
    out = np.full(len(mask), None, dtype=object)
    out[mask] = np.asarray(values, dtype=object)[mask]
    return out


def above(values: Any, limit: float) -> np.ndarray:
    """Return ``values > limit`` with the slack :data:`EPS`."""
    return np.asarray(values, dtype=float) > limit + EPS * max(1.0, abs(limit))


def below(values: Any, limit: float) -> np.ndarray:
    """Return ``values < limit`` with the slack :data:`EPS`."""
    return np.asarray(values, dtype=float) < limit - EPS * max(1.0, abs(limit))


def fmt_area(value: float) -> str:
    """Format an area in m² for messages."""
    if value >= 100:
        return f"{value:,.0f} m²"
    return f"{value:.1f} m²"


def fmt_length(value: float) -> str:
    """Format a length in m for messages."""
    return f"{value:,.0f} m" if value >= 100 else f"{value:.1f} m"


def fmt_count(value: float) -> str:
    """Format a count or bound for messages (integers without decimals)."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


def records(
    rule: str,
    *,
    grid_id: Any = None,
    value: Any = np.nan,
    limit: Any = np.nan,
    message: Any,
    geometry: Any = None,
    **extra: Any,
) -> pd.DataFrame:
    """Return finding records of one rule as a DataFrame (scalars broadcast).

    ``principle`` and ``severity`` are added by :func:`gridgov.check`.
    """
    columns: dict[str, Any] = {
        "grid_id": grid_id,
        "value": value,
        "limit": limit,
        "message": message,
        "geometry": geometry,
        **extra,
    }
    lengths = {len(v) for v in columns.values() if isinstance(v, list | np.ndarray | pd.Series)}
    if len(lengths) > 1:
        msg = f"records of {rule}: columns of different lengths {sorted(lengths)}"
        raise OptionError(msg)
    n = lengths.pop() if lengths else 1
    data: dict[str, Any] = {"rule": np.full(n, rule, dtype=object)}
    for name, column in columns.items():
        numeric = name in ("value", "limit")
        if isinstance(column, list | np.ndarray | pd.Series):
            array = np.asarray(column)
            if numeric or array.dtype.kind in "fiub":
                data[name] = array.astype(float)
            else:
                data[name] = array.astype(object)
        else:
            data[name] = np.full(n, column, dtype=float if numeric else object)
    return pd.DataFrame(data)


def empty() -> pd.DataFrame:
    """Return an empty record frame."""
    return records("", message=np.array([], dtype=object)).iloc[0:0]


_LOCATION = re.compile(r"\[\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)")


def location(reason: str) -> shapely.Point | None:
    """Return the point in a GEOS validity reason such as ``Self-intersection[5 5]``."""
    found = _LOCATION.search(reason)
    if found is None:
        return None
    return shapely.Point(float(found.group(1)), float(found.group(2)))


@dataclass(frozen=True, eq=False)
class Grids:
    """A validated grid layer prepared for the rules, rows sorted by id.

    Attributes
    ----------
    frame : GeoDataFrame
        The validated layer, sorted by ``grid_id`` (then geometry), fresh index.
    ids : ndarray of str
        ``grid_id`` of each row (may repeat: ``boundary.duplicate_id``).
    geometry : ndarray of Geometry
        The geometries as given.
    shapes : ndarray of Geometry
        The geometries the geometric rules measure: the given ones, and for
        invalid ones their repair by ``shapely.make_valid`` (polygonal part).
    repaired : ndarray of bool
        Rows whose geometry was invalid and is measured repaired.
    kinds : ndarray of str
        Grid kind per row (``comprehensive`` when missing).
    """

    frame: gpd.GeoDataFrame
    ids: np.ndarray
    geometry: np.ndarray
    shapes: np.ndarray
    repaired: np.ndarray
    kinds: np.ndarray

    @classmethod
    def from_frame(cls, frame: gpd.GeoDataFrame) -> Grids:
        """Prepare a validated grid layer (``grid_id`` column).

        Rows are sorted by id; rows sharing an id by their WKB.  Validity comes
        from the ``invalid_ids`` :func:`gridgov.validate_layer` recorded.
        """
        ids = frame["grid_id"].to_numpy(dtype=object).astype(str)
        order = np.argsort(ids, kind="stable")
        dup = pd.Series(ids[order]).duplicated(keep=False).to_numpy()
        if dup.any():  # ties between duplicated ids: by geometry, whatever the row order
            wkb = np.full(len(ids), "", dtype=object)
            wkb[order[dup]] = shapely.to_wkb(frame.geometry.to_numpy()[order[dup]], hex=True)
            order = np.lexsort((wkb.astype(str), ids))
        frame = frame.iloc[order].reset_index(drop=True)
        ids = ids[order].astype(object)
        geometry = np.asarray(frame.geometry.to_numpy(), dtype=object)
        info = layer_info(frame)
        invalid = None if info is None else info.invalid_ids
        if invalid is None:
            repaired = ~shapely.is_valid(geometry)
        else:
            repaired = np.isin(ids, np.asarray(invalid, dtype=object))
            if repaired.any():
                repaired[repaired] = ~shapely.is_valid(geometry[repaired])
        shapes = geometry.copy()
        if repaired.any():
            shapes[repaired] = repair(geometry[repaired])
        if "kind" in frame.columns:
            kinds = frame["kind"].to_numpy(dtype=object)
            kinds = np.where(pd.isna(kinds), "comprehensive", kinds).astype(object)
        else:
            kinds = np.full(len(frame), "comprehensive", dtype=object)
        return cls(
            frame=frame, ids=ids, geometry=geometry, shapes=shapes, repaired=repaired, kinds=kinds
        )

    def __len__(self) -> int:
        return len(self.ids)

    def note(self, rows: Any) -> np.ndarray:
        """Return the message suffix for `rows`: a note on the repair for invalid grids."""
        rows = np.asarray(rows, dtype=np.int64)
        return np.where(
            self.repaired[rows],
            " (measured on shapely.make_valid of the invalid geometry)",
            "",
        ).astype(object)

    def column(self, name: str) -> np.ndarray | None:
        """Return a column as an object array with None for missing values, or None."""
        if name not in self.frame.columns:
            return None
        values = self.frame[name].to_numpy(dtype=object)
        return nullable(present(values), values)
