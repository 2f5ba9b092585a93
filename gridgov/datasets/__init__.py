"""The embedded demo: a synthetic street (街道) with three grid networks and known defects.

玄清街道 (street code ``320102001000``) is a fictional street of about 3 km²
near lon 118.80, lat 32.05, bounded by main roads and, to the south, by the
青溪河 river.  It holds five communities (社区), a road network with estate lanes and
compound walls, about 430 buildings, 12,400 households, 38 service stations,
and four grid layers: the ``governance`` network, the ``party`` and ``service``
networks, and the ``previous`` edition of the governance network.  Defects
are planted in them on purpose, and :func:`demo_defects` lists every finding
they must produce, computed from the data and verified when the files were
built (by the generator ``python -m tools.demo.build`` of the source
repository, which is not installed with the package).

Layers
------
``street``, ``communities``
    Jurisdiction polygons: ``unit_id`` (12-digit code), ``name``, ``level``
    (and ``parent_id`` for communities).  The communities partition the street
    exactly (a valid coverage).
``roads``
    LineStrings: ``feature_id``, ``kind`` (``road``, ``river``, ``wall``),
    ``name``, ``length`` (m).  Roads are split at every junction, ready for a
    graph; the blocks are the faces of the road and river lines.
``buildings``
    Footprints: ``building_id``, ``use``, ``floors``, ``households``
    (count of household records), ``year_built``.
``households``
    Points inside their building: ``household_id``, ``building_id``,
    ``persons`` -- except five geocoding errors far outside the street.
``stations``
    Service stations beside the roads: ``station_id``, ``name``, ``capacity``.
``governance``, ``party``, ``service``, ``previous``
    Grid layers: ``grid_id`` (15 digits: community code + sequence),
    ``network``, ``parent_id``, ``kind``, ``name``, ``valid_from``,
    ``valid_to``; ``previous`` also has ``households``, the load recorded with
    that edition.

Planted defects
---------------
Governance (ids ``320102001`` + community + sequence; see :func:`demo_defects`):

- ``…001005`` overloaded (718 households: a new compound of two towers; it
  held 458 in the previous edition, so its load drifted), splittable along
  杏花巷 into two blocks of about 360;
- ``…001006`` underloaded (116; merged with ``…001007`` it would hold 461),
  which also unbalances community ``320102001001`` (CV 0.40);
- a gap open to the outer edge along 龙园大道 (next to ``…001002``) and a hole
  beside 和平巷 (between ``…004004`` and ``…004011``) with a house of four
  households in it;
- ``…002001`` and ``…002003`` overlap north of 双桥街 over a building of
  twelve households (ten of them inside both grids);
- ``…005003`` has a sliver spike 0.4 m wide and 50 m long;
- ``…002005`` crosses into community ``320102001003`` (a parking lot of
  1,598 m²);
- ``…002001`` is multi-part (a detached triangular block);
- ``…003001`` has a tiny self-intersecting bow-tie (invalid geometry);
- a building is cut 43/57 between ``…004007`` and ``…004008``;
- ``32010200101004`` has a bad code (14 digits, a digit dropped);
- ``…004002`` is a rectangle drawn through blocks (3 % of its boundary on
  features);
- ``…002004`` dates from 2022-09-15 (review due);
- five households are geocoded 600-725 m outside the street, and a riverside
  compound (88 households) in the south-east corner is 750-965 m along the
  roads from every station (all others are within 420 m).

Party: ``…003103`` straddles governance ``…003002`` and ``…003003`` (50 %
each), from a different cut of those two grids.  Service: governance
``…005001``-``…005002`` and ``…005004``-``…005006`` merged into two larger
grids, the walled compound 书香苑 moved from ``…001001``'s counterpart to
``…001003``'s (a boundary 78 m off the governance one), and digitising noise
under 0.5 m on the grid boundaries along 梧桐路, 丹桂街, 竹林巷, 翠屏街 and
和平巷.  Previous edition:
``…004001`` was split into ``…004009`` and ``…004010`` since, and
``…004005`` and ``…004006`` merged into ``…004011``.

The ground truth assumes ``RuleSet.urban()`` with ``as_of`` =
:data:`DEMO_AS_OF`, and the context ``jurisdiction=street``,
``parents=communities``, ``households=households``, ``buildings=buildings``,
``features=roads``, ``stations=stations``, ``roads=roads[roads.kind ==
"road"]`` and ``previous=previous``, all in EPSG:4549 (``metric=True``).

Examples
--------
>>> from gridgov.datasets import load_demo, demo_defects
>>> demo = load_demo(metric=True)
>>> demo.governance.crs.to_epsg(), len(demo.governance), len(demo.households)
(4549, 31, 12448)
>>> sorted(demo.networks)
['governance', 'party', 'service']
>>> demo_defects().query("stage == 'check'")["rule"].value_counts()["coverage.gap"]
np.int64(2)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gridgov.errors import OptionError

__all__ = [
    "DEFECT_COLUMNS",
    "DEMO_AS_OF",
    "DemoData",
    "demo_defects",
    "demo_gcj02_csv_path",
    "demo_path",
    "load_demo",
    "score_defects",
]

#: Reference date of the demo: ``adjustment.review_due`` ages are counted to it.
DEMO_AS_OF = date(2026, 6, 30)

#: Columns of :func:`demo_defects`, in order.
DEFECT_COLUMNS: tuple[str, ...] = (
    "stage",
    "network",
    "principle",
    "rule",
    "grid_id",
    "household_id",
    "other_id",
    "value",
    "description",
)

_GPKG = "demo_street.gpkg"
_CSV = "households_gcj02.csv"
_DEFECTS = "demo_defects.csv"
_STORED_EPSG = 4490
_METRIC_EPSG = 4549


def _data_file(name: str) -> Path:
    return Path(str(resources.files(__name__).joinpath("data", name)))


def demo_path() -> Path:
    """Return the path of the demo GeoPackage (one layer per frame, EPSG:4490).

    Returns
    -------
    pathlib.Path

    See Also
    --------
    load_demo : the layers as GeoDataFrames.

    Examples
    --------
    >>> import pyogrio
    >>> [name for name, _ in pyogrio.list_layers(demo_path())][:3]
    ['street', 'communities', 'roads']
    """
    return _data_file(_GPKG)


def demo_gcj02_csv_path() -> Path:
    """Return the path of the demo households as a web map exports them (GCJ-02).

    The CSV (UTF-8) has columns ``household_id``, ``building_id``,
    ``persons``, ``lng``, ``lat``; the coordinates are the households of
    :func:`load_demo` offset to GCJ-02 (Amap/Gaode, Tencent), as an export
    from such a map would give them.  Convert them back with
    :func:`gridgov.from_gcj02` before any analysis.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.read_csv(demo_gcj02_csv_path(), dtype={"household_id": str})
    >>> list(table.columns)
    ['household_id', 'building_id', 'persons', 'lng', 'lat']
    """
    return _data_file(_CSV)


@dataclass(frozen=True)
class DemoData:
    """The layers of the demo street.

    Attributes
    ----------
    street, communities : GeoDataFrame
        The jurisdiction (one polygon) and its five communities.
    roads : GeoDataFrame
        Roads, the river and compound walls.
    buildings, households, stations : GeoDataFrame
        Footprints, household points and service stations.
    governance, party, service : GeoDataFrame
        The three grid networks of the current edition.
    previous : GeoDataFrame
        The previous edition of the governance network, with the recorded
        load of each grid in column ``households``.
    """

    street: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    households: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    governance: gpd.GeoDataFrame
    party: gpd.GeoDataFrame
    service: gpd.GeoDataFrame
    previous: gpd.GeoDataFrame

    @property
    def networks(self) -> dict[str, gpd.GeoDataFrame]:
        """The three grid networks of the current edition, by network name.

        Returns
        -------
        dict of str to GeoDataFrame
            ``governance``, ``party`` and ``service`` (the frames themselves,
            not copies).
        """
        return {"governance": self.governance, "party": self.party, "service": self.service}


def load_demo(*, metric: bool = False) -> DemoData:
    """Load the demo street.

    Parameters
    ----------
    metric : bool, default False
        Return every layer in EPSG:4549 (CGCS2000 3-degree Gauss-Krüger, CM
        120°E; metres), converted from the stored EPSG:4490 with ``to_crs``.
        The ground truth of :func:`demo_defects` is measured in that CRS.

    Returns
    -------
    DemoData
        Fresh GeoDataFrames in EPSG:4490 (longitude/latitude) or EPSG:4549.

    See Also
    --------
    demo_defects : the findings the planted defects must produce.

    Examples
    --------
    >>> demo = load_demo()
    >>> demo.street.crs.to_epsg(), demo.street["unit_id"].item()
    (4490, '320102001000')
    >>> load_demo(metric=True).communities["name"].tolist()
    ['东园社区', '西华社区', '北岗社区', '南湖社区', '青溪社区']
    """
    path = demo_path()
    layers = {}
    for field in fields(DemoData):
        frame = gpd.read_file(path, layer=field.name, engine="pyogrio")
        layers[field.name] = frame.to_crs(_METRIC_EPSG) if metric else frame
    return DemoData(**layers)


def demo_defects() -> pd.DataFrame:
    """Return the ground truth of the demo: one row per expected finding.

    Columns (:data:`DEFECT_COLUMNS`):

    ``stage``
        ``check`` (``gg.check`` of the governance network with the context of
        the module docstring), ``unify`` (relations of the party and service
        networks to the governance network, the base) or ``compare``
        (``gg.compare(previous, governance)``).
    ``network``
        The network the row is about: ``governance``, ``party`` or ``service``.
    ``principle``
        ``scale``, ``boundary``, ``coverage`` or ``adjustment``.
    ``rule``
        The finding's rule code (``scale.too_many_households``, ...), for
        unify ``boundary.straddles_network``, ``boundary.boundary_mismatch``
        or the relation ``nested``, for compare the change class ``split`` or
        ``merged``.
    ``grid_id``
        The grid the finding names (null for gaps and the parent's balance;
        for household rows, the grid the household is counted in; for compare,
        the previous edition's ids, joined by ``", "``).
    ``household_id``
        The household of household-level findings.
    ``other_id``
        The other grid or unit involved, ids joined by ``", "``: the other
        grid of an overlap, a split building or a multiply covered household,
        the grids around a gap, the community a grid crosses into, the parent
        of ``scale.unbalanced_parent``, the governance grid(s) of a unify row,
        the current ids of a compare row.
    ``value``
        The measured value: a load (households), an area (m²), a share
        (0-1), a number of parts or grids, a distance (m), an age (days), a
        coefficient of variation; null where the rule measures nothing.
    ``description``
        One sentence a planner understands.

    Returns
    -------
    DataFrame

    Notes
    -----
    Check rows follow ``docs/rules.md``.  Loads count a household in the grid
    whose interior holds it, the smallest grid id when two do.  The service
    distance is along the roads (``kind == "road"``), from the household's
    nearest road point to the station's, plus both straight snap legs; the
    service-gap households stay above 500 m without the household's own leg
    too.  Sliver areas are what a ``buffer(-0.5).buffer(0.5)`` opening removes
    (round joins, shapely's default 8 segments per quarter circle): compare
    with a tolerance of a few percent.

    Unify rows relate each party or service grid to the governance grids
    (the base; shared area as a share of each grid, the governance geometry
    repaired with ``make_valid``):

    - ``nested``: one grid of the pair lies at least 99 % inside the other and
      covers less than 99 % of it (the description says which is inside);
      value: the share of the larger grid that the smaller one covers;
    - ``boundary.straddles_network``: the grid has at least 25 % of its area
      in each of two or more governance grids (listed in ``other_id``) and
      only partly overlaps one of them; value: the largest share;
    - ``boundary.boundary_mismatch``: the grid's boundary runs more than 50 m
      from every governance boundary over more than 100 m; ``other_id`` its
      counterpart, the governance grid sharing most area with it; value: the
      length (m) of its boundary farther than 1 m (the unify tolerance) from
      the counterpart's boundary.

    Every other pair of grids shares at least 99.4 % of both areas or less
    than 1 % of either, and the digitising noise of the service network
    (vertices moved by less than 0.5 m, alike in both neighbours) never counts.

    Compare rows need the governance layer repaired first (its one invalid
    grid): ``shapely.make_valid``.  Every other grid is unchanged.

    Examples
    --------
    >>> truth = demo_defects()
    >>> row = truth[truth["rule"] == "scale.too_many_households"].iloc[0]
    >>> row["grid_id"], float(row["value"])
    ('320102001001005', 718.0)
    >>> truth.groupby("stage").size()
    stage
    check      128
    compare      2
    unify       12
    dtype: int64
    """
    text = {c: "str" for c in DEFECT_COLUMNS if c != "value"}
    return pd.read_csv(
        _data_file(_DEFECTS),
        dtype={**text, "value": "float64"},
        keep_default_na=False,
        na_values={"value": [""], "grid_id": [""], "household_id": [""], "other_id": [""]},
        encoding="utf-8",
    )


_KEYS = ["rule", "grid_id", "household_id", "other_id"]


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reindex(columns=[*_KEYS, "value"]).copy()
    for key in _KEYS:
        values = out[key].astype(object)
        out[key] = values.where(values.notna(), "").astype(str)
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype("float64")
    return out


def score_defects(findings: pd.DataFrame, *, stage: str = "check") -> pd.DataFrame:
    """Match findings against the planted defects of one stage of the demo.

    A finding matches a planted defect when ``rule``, ``grid_id``,
    ``household_id`` and ``other_id`` are equal (missing ids count as equal).

    Parameters
    ----------
    findings : DataFrame
        Findings of ``gg.check`` on the demo governance network (``stage=
        "check"``), or the conflicts of ``gg.unify`` (``stage="unify"``).
    stage : {"check", "unify", "compare"}
        The stage of :func:`demo_defects` to score against.

    Returns
    -------
    DataFrame
        One row per planted defect or finding: the four keys, ``value`` (the
        finding's measure), ``value_truth`` (the planted one) and ``status``:
        ``found``, ``missed`` (planted, not found) or ``unexpected`` (found,
        not planted); sorted by status then keys.

    Examples
    --------
    >>> import gridgov as gg
    >>> demo = load_demo(metric=True)
    >>> findings = gg.check(demo.governance, jurisdiction=demo.street)
    >>> score = score_defects(findings)
    >>> score["status"].value_counts().to_dict()
    {'missed': 120, 'found': 8}
    """
    truth = demo_defects()
    truth = truth[truth["stage"] == stage]
    if truth.empty:
        msg = f"stage must be one of {sorted(set(demo_defects()['stage']))}, got {stage!r}"
        raise OptionError(msg)
    merged = _keyed(findings).merge(
        _keyed(truth), on=_KEYS, how="outer", suffixes=("", "_truth"), indicator=True
    )
    status = (
        merged["_merge"]
        .astype(str)
        .map({"both": "found", "right_only": "missed", "left_only": "unexpected"})
    )
    out = merged[[*_KEYS, "value", "value_truth"]].assign(status=status.to_numpy())
    return out.sort_values(["status", *_KEYS], kind="stable").reset_index(drop=True)
