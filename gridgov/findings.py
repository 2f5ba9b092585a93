"""Findings: the violations of the four principles, one row each, as a GeoDataFrame.

Every check in gridgov answers with a :class:`Findings` frame, built by
:func:`make_findings`.  Its columns are :data:`FINDING_COLUMNS`:

``principle``
    ``scale``, ``boundary``, ``coverage`` or ``adjustment`` (规模适度、边界清晰、
    无缝覆盖、动态调整).
``rule``
    The stable rule code ``<principle>.<name>``, e.g. ``scale.too_many_households``.
``severity``
    ``error``, ``warning`` or ``info``.
``grid_id``
    The grid the finding belongs to, null when it belongs to no single grid (a gap).
``value``, ``limit``
    The measured quantity and the bound it broke (floats; NaN when the rule has none).
``message``
    One readable sentence.
``geometry``
    Where the problem is, in the CRS of the checked layer.

Extra columns are kept: ``network``, ``parent_id``, ``other_id`` (the other
grid of an overlap), ``household_id`` and any other a rule adds.  Rows are
sorted deterministically -- by principle (in the order above), rule, grid id
(nulls last), the extra id columns, value, message and geometry -- and carry a
fresh ``RangeIndex``, so the same violations give the same frame whatever the
row order of the input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgov._core.vocabulary import PRINCIPLES, SEVERITIES
from gridgov.crs import require_crs
from gridgov.errors import CRSError, OptionError, OptionTypeError
from gridgov.summary import FindingsSummary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "FINDING_COLUMNS",
    "ID_COLUMNS",
    "PRINCIPLES",
    "SEVERITIES",
    "Findings",
    "FindingsSummary",
    "make_findings",
]

#: The columns every Findings frame has, in this order (extra columns follow).
FINDING_COLUMNS: tuple[str, ...] = (
    "principle",
    "rule",
    "severity",
    "grid_id",
    "value",
    "limit",
    "message",
    "geometry",
)


#: Optional id columns, in the order they break ties after ``grid_id``.
ID_COLUMNS: tuple[str, ...] = ("network", "parent_id", "other_id", "household_id", "building_id")

_TEXT_COLUMNS = ("principle", "rule", "severity", "grid_id", "message")
_NUMBER_COLUMNS = ("value", "limit")


def _text(values: Any) -> np.ndarray:
    """Values as an object array of ``str`` with ``None`` for missing values."""
    array = np.asarray(pd.Series(values, dtype=object).to_numpy(), dtype=object)
    missing = np.asarray(pd.isna(array), dtype=bool)
    if pd.api.types.infer_dtype(array, skipna=True) in {"string", "empty"}:
        out = array.copy()  # str already (as the rules give them): nothing to convert
    else:
        out = array.astype(str).astype(object)
    out[missing] = None
    return out


def _rank(values: np.ndarray) -> np.ndarray:
    """Integer sort key of `values` (``str`` by code point; missing last)."""
    codes, _ = pd.factorize(values, sort=True, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    codes[codes < 0] = np.iinfo(np.int64).max
    return codes


class Findings(gpd.GeoDataFrame):  # type: ignore[misc]
    """A GeoDataFrame of findings, one row per violation of a rule.

    Build it with :func:`make_findings` (or get it from :func:`gridgov.check`);
    it is a plain :class:`geopandas.GeoDataFrame` otherwise: slicing keeps the
    class, and ``to_file`` / ``to_parquet`` write it like any other frame
    (:attr:`skipped` is not written).

    See Also
    --------
    make_findings : the constructor with validation and deterministic order.
    gridgov.check : the checks that produce findings.
    """

    _metadata = ["_geometry_column_name", "_skipped"]  # noqa: RUF012 - pandas protocol
    _skipped: dict[str, str] | None = None

    @property
    def skipped(self) -> dict[str, str]:
        """Rules that did not run, mapped to the reason (a copy).

        Examples
        --------
        >>> make_findings([], crs=4549, skipped={"coverage.gap": "no jurisdiction"}).skipped
        {'coverage.gap': 'no jurisdiction'}
        """
        return dict(self._skipped or {})

    @property
    def ok(self) -> bool:
        """Whether there is no finding of severity ``error``.

        Examples
        --------
        >>> make_findings([], crs=4549).ok
        True
        """
        return not bool((self["severity"] == "error").any()) if "severity" in self else True

    @property
    def errors(self) -> Findings:
        """The findings of severity ``error`` (a Findings frame, fresh index)."""
        out = self[(self["severity"] == "error").to_numpy(dtype=bool)].reset_index(drop=True)
        object.__setattr__(out, "_skipped", self.skipped)
        return out  # type: ignore[no-any-return]

    @property
    def warnings(self) -> Findings:
        """The findings of severity ``warning`` (a Findings frame, fresh index)."""
        out = self[(self["severity"] == "warning").to_numpy(dtype=bool)].reset_index(drop=True)
        object.__setattr__(out, "_skipped", self.skipped)
        return out  # type: ignore[no-any-return]

    def summary(self) -> FindingsSummary:
        """Summarise the findings: counts by principle and rule, and a per-grid table.

        Returns
        -------
        FindingsSummary
            Printable (``print(findings.summary())``); its ``counts`` and
            ``grids`` attributes are DataFrames.

        Examples
        --------
        >>> from shapely import box
        >>> findings = make_findings([
        ...     {"principle": "coverage", "rule": "coverage.overlap", "severity": "error",
        ...      "grid_id": "A", "value": 12.5, "limit": 1.0, "message": "A overlaps B",
        ...      "geometry": box(0, 0, 1, 12.5), "other_id": "B"},
        ... ], crs=4549)
        >>> print(findings.summary())
        NOT OK: 1 finding (1 error, 0 warnings, 0 infos)
        <BLANKLINE>
        findings by rule:
                          error  warning  info  total
          rule
          coverage.overlap      1        0     0      1
        <BLANKLINE>
        grids with findings (1, worst first):
                   error  warning  info  total             rules
          grid_id
          A            1        0     0      1  coverage.overlap
        """
        severity = self["severity"].to_numpy(dtype=object)
        counts_by = {s: int(np.count_nonzero(severity == s)) for s in SEVERITIES}
        frame = pd.DataFrame(
            {
                "principle": self["principle"].to_numpy(dtype=object),
                "rule": self["rule"].to_numpy(dtype=object),
                "grid_id": self["grid_id"].to_numpy(dtype=object),
                "severity": severity,
            }
        )
        for s in SEVERITIES:
            frame[s] = (severity == s).astype(np.int64)
        frame["total"] = np.int64(1)
        numbers = [*SEVERITIES, "total"]
        counts = frame.groupby(["principle", "rule"], sort=False)[numbers].sum().reset_index()
        counts["_rank"] = counts["principle"].map(_PRINCIPLE_RANK).astype(np.int64)
        counts = counts.sort_values(["_rank", "rule"], kind="stable").drop(columns="_rank")
        counts = counts.astype(dict.fromkeys(["principle", "rule"], object)).reset_index(drop=True)
        gridded = frame[frame["grid_id"].notna().to_numpy(dtype=bool)]
        grids = gridded.groupby("grid_id", sort=True)[numbers].sum()
        rules = gridded.groupby("grid_id", sort=True)["rule"].agg(
            lambda r: ", ".join(sorted(set(r)))
        )
        grids["rules"] = rules.astype(object)
        if len(grids):
            order = np.lexsort(
                (
                    grids.index.to_numpy(dtype=str),
                    -grids["info"].to_numpy(),
                    -grids["warning"].to_numpy(),
                    -grids["error"].to_numpy(),
                )
            )
            grids = grids.iloc[order]
        grids.index = pd.Index(grids.index.to_numpy(dtype=object), dtype=object, name="grid_id")
        return FindingsSummary(
            counts=counts,
            grids=grids,
            skipped=self.skipped,
            total=len(self),
            errors=counts_by["error"],
            warnings=counts_by["warning"],
            infos=counts_by["info"],
        )

    def plot(
        self,
        ax: Axes | None = None,
        *,
        layer: gpd.GeoDataFrame | None = None,
        title: str | None = None,
        figsize: tuple[float, float] = (9.0, 9.0),
    ) -> Axes:
        """Draw a map of the findings with matplotlib: grids with findings highlighted.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure is made when omitted.
        layer : GeoDataFrame, optional
            The checked grid layer (``grid_id``), drawn underneath: grids
            without findings in grey, grids with findings tinted by their worst
            severity.
        title : str, optional
            Title of the map; by default the headline of :meth:`summary`.
        figsize : tuple of float, default (9, 9)
            Size of a new figure in inches.

        Returns
        -------
        matplotlib Axes
        """
        from gridgov.report import plot_findings

        return plot_findings(self, ax=ax, layer=layer, title=title, figsize=figsize)

    def explore(self, *, layer: gpd.GeoDataFrame | None = None, **kwargs: Any) -> Any:
        """Draw an interactive folium map of the findings (for notebooks).

        Parameters
        ----------
        layer : GeoDataFrame, optional
            The checked grid layer, drawn underneath.
        **kwargs
            Passed to :meth:`geopandas.GeoDataFrame.explore` for the findings.

        Returns
        -------
        folium.Map
        """
        from gridgov.report import explore_findings

        return explore_findings(self, layer=layer, **kwargs)

    def to_html(
        self,
        path: str | Path | None = None,
        *,
        layer: gpd.GeoDataFrame | None = None,
        title: str = "gridgov check report",
        max_rows: int | None = 5000,
    ) -> str:
        """Write a self-contained HTML report (summary, map, list of findings).

        The map is a PNG embedded in the file (base64), so the report is one
        file to e-mail or archive.  Needs matplotlib (the ``plot`` extra).

        Parameters
        ----------
        path : path-like, optional
            Where to write the report; when omitted only the HTML is returned.
        layer : GeoDataFrame, optional
            The checked grid layer, drawn on the map.
        title : str, default "gridgov check report"
            Title of the page.
        max_rows : int or None, default 5000
            Number of findings listed in full (all when None); the counts
            always cover every finding.

        Returns
        -------
        str
            The HTML document.
        """
        from gridgov.report import findings_to_html

        html = findings_to_html(self, layer=layer, title=title, max_rows=max_rows)
        if path is not None:
            from gridgov._core.html import write_html  # atomic: no partial report on failure

            write_html(Path(path), html)
        return html


_PRINCIPLE_RANK = {p: i for i, p in enumerate(PRINCIPLES)}


def _records_frame(records: Any) -> pd.DataFrame:
    if isinstance(records, pd.DataFrame):
        frame = pd.DataFrame(records)
        if isinstance(records, gpd.GeoDataFrame) and "geometry" not in frame.columns:
            frame["geometry"] = records.geometry.to_numpy()
        return frame.reset_index(drop=True)
    if isinstance(records, Mapping):
        msg = "records must be an iterable of dicts or a DataFrame, got a single mapping"
        raise OptionTypeError(msg)
    rows = list(records)
    if not rows:
        return pd.DataFrame({column: [] for column in FINDING_COLUMNS})
    if all(isinstance(row, pd.DataFrame) for row in rows):
        parts = [_records_frame(row) for row in rows]
        return pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    return pd.DataFrame.from_records(rows)


def _sort_keys(frame: pd.DataFrame, extra: list[str]) -> list[np.ndarray]:
    """Sort keys, most significant first (for np.lexsort, reverse them)."""
    # text keys as integer ranks (sorting by rank is sorting by text, and much faster)
    keys: list[np.ndarray] = [
        frame["principle"].map(_PRINCIPLE_RANK).to_numpy(dtype=np.int64),
        _rank(frame["rule"].to_numpy(dtype=object)),
    ]
    keys.extend(_rank(frame[c].to_numpy(dtype=object)) for c in ["grid_id", *extra])
    value = frame["value"].to_numpy(dtype=float)
    keys.append(np.isnan(value))
    keys.append(np.nan_to_num(value, nan=0.0))
    keys.append(_rank(frame["message"].fillna("").to_numpy(dtype=object)))
    # the geometry breaks the remaining ties only: WKB of the tied rows alone
    tied = pd.DataFrame({str(k): key for k, key in enumerate(keys)}).duplicated(keep=False)
    wkb = np.full(len(frame), "", dtype=object)
    rows = np.flatnonzero(tied.to_numpy())
    if len(rows):
        geoms = frame["geometry"].to_numpy()[rows]
        hexes = shapely.to_wkb(geoms, hex=True)
        wkb[rows] = np.where(pd.isna(hexes), "", hexes)
    keys.append(_rank(wkb))
    return keys


def _columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Check the records and normalise their columns (text, floats, geometries)."""
    if "geometry" not in frame.columns:
        frame = frame.assign(geometry=None)
    missing = [c for c in FINDING_COLUMNS if c not in frame.columns]
    if missing:
        msg = (
            f"findings records lack the columns {', '.join(missing)}; every record needs "
            f"{', '.join(FINDING_COLUMNS)}"
        )
        raise OptionError(msg)
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for column in _TEXT_COLUMNS:
        out[column] = pd.Series(_text(frame[column]), dtype=object)
    for column in _NUMBER_COLUMNS:
        out[column] = pd.to_numeric(frame[column].astype(object), errors="coerce").astype(float)
    out["message"] = out["message"].fillna("")
    for column, known in (("principle", PRINCIPLES), ("severity", SEVERITIES)):
        unknown = sorted({str(v) for v in out[column]} - set(known))
        if unknown:
            msg = f"unknown {column} {unknown}; expected one of {', '.join(known)}"
            raise OptionError(msg)
    if out["rule"].isna().any():
        msg = "every finding needs a rule code"
        raise OptionError(msg)
    geometry = np.asarray(frame["geometry"].to_numpy(dtype=object), dtype=object)
    if (~(shapely.is_geometry(geometry) | pd.isna(geometry))).any():
        msg = "findings geometry must be shapely geometries or None"
        raise OptionError(msg)
    out["geometry"] = geometry
    for column in sorted(str(c) for c in frame.columns if c not in FINDING_COLUMNS):
        values = frame[column]
        if column in ID_COLUMNS or values.dtype == object or pd.api.types.is_string_dtype(values):
            out[column] = pd.Series(_text(values), dtype=object)
        else:
            out[column] = values.to_numpy()
    return out


def make_findings(
    records: Iterable[Mapping[str, Any]] | pd.DataFrame | Iterable[pd.DataFrame],
    *,
    crs: Any,
    skipped: Mapping[str, str] | None = None,
) -> Findings:
    """Build a :class:`Findings` frame from records, in a deterministic order.

    Parameters
    ----------
    records : iterable of dict, DataFrame or iterable of DataFrames
        One record per finding with at least the keys of
        :data:`FINDING_COLUMNS` (``geometry`` may be missing or None; ``value``
        and ``limit`` may be None).  Extra keys such as ``other_id``,
        ``household_id``, ``network`` or ``parent_id`` are kept as columns.
    crs : CRS-like
        CRS of the geometries (that of the checked layer).
    skipped : mapping of str to str, optional
        Rules that did not run, mapped to the reason.

    Returns
    -------
    Findings
        Columns :data:`FINDING_COLUMNS` then the extra columns (sorted by
        name), sorted by principle (``scale``, ``boundary``, ``coverage``,
        ``adjustment``), rule, grid id (nulls last), the extra id columns
        :data:`ID_COLUMNS`, value, message and geometry, with a fresh
        ``RangeIndex``.  Text columns hold ``str`` (``None`` when missing),
        ``value`` and ``limit`` are floats.

    Raises
    ------
    OptionError
        When a required column is missing, or a principle or severity is unknown (also a
        ``ValueError``).
    CRSError
        When `records` is a GeoDataFrame whose CRS differs from `crs`.

    Examples
    --------
    >>> from shapely import Point, box
    >>> findings = make_findings([
    ...     {"principle": "coverage", "rule": "coverage.gap", "severity": "error",
    ...      "grid_id": None, "value": 20.0, "limit": 1.0, "message": "gap of 20 m²",
    ...      "geometry": box(0, 0, 2, 10)},
    ...     {"principle": "scale", "rule": "scale.too_many_households", "severity": "error",
    ...      "grid_id": "G1", "value": 612, "limit": 500, "message": "612 households",
    ...      "geometry": box(0, 0, 100, 100)},
    ... ], crs=4549)
    >>> findings[["principle", "rule", "grid_id", "value"]]
      principle                       rule grid_id  value
    0     scale  scale.too_many_households      G1  612.0
    1  coverage               coverage.gap    None   20.0
    >>> findings.ok, len(findings.errors)
    (False, 2)
    >>> make_findings([], crs=4549).columns.tolist()
    ['principle', 'rule', 'severity', 'grid_id', 'value', 'limit', 'message', 'geometry']
    """
    frame = _records_frame(records)
    if isinstance(records, gpd.GeoDataFrame) and records.crs is not None and crs is not None:
        given = require_crs(records, layer="findings")
        if given != require_crs(gpd.GeoSeries([], crs=crs), layer="findings"):
            msg = f"records are in {given.to_string()} but crs={crs!r} was given"
            raise CRSError(msg)
    out = _columns(frame)
    extra = [c for c in out.columns if c not in FINDING_COLUMNS]
    id_extra = [c for c in ID_COLUMNS if c in extra]
    if len(out):
        keys = _sort_keys(out, id_extra)
        order = np.lexsort(keys[::-1])
        out = out.iloc[order].reset_index(drop=True)
    columns = [*FINDING_COLUMNS, *extra]
    result = Findings(out[columns], geometry="geometry", crs=crs)
    object.__setattr__(result, "_skipped", dict(skipped or {}))
    return result
