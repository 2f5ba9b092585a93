"""The function :func:`unify`.

Part of :mod:`gridgov.unify`; see :func:`gridgov.unify.unify`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from gridgov.crs import require_metric
from gridgov.errors import OptionError
from gridgov.unify._base import (
    _check_names,
    _check_options,
    _Network,
    _overlaps_frame,
    _prepare,
    _resolve,
)
from gridgov.unify._cells import _build_cells, _cells_frame, _refine
from gridgov.unify._result import OneNetwork
from gridgov.unify._tables import _crosswalk, _grid_areas, _relation, _relations_frame, _State
from gridgov.unify._unified import _unified

if TYPE_CHECKING:
    from collections.abc import Mapping

    import geopandas as gpd
    import pandas as pd

# ---------------------------------------------------------------------------
# unify


def _assign(households: gpd.GeoDataFrame, networks: list[_Network]) -> pd.DataFrame:
    from gridgov.assign import assign

    return assign(households, {net.name: net.frame for net in networks})


def unify(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    base: str | None = None,
    tolerance: float = 1.0,
    share_tolerance: float = 0.05,
    straddle_share: float = 0.25,
    households: gpd.GeoDataFrame | None = None,
    id_column: str = "grid_id",
    progress: bool = False,
) -> OneNetwork:
    """Lay several grid networks on one another and propose one network (多网合一).

    The **cells** are the common refinement of the layers: the polygons cut by
    every grid boundary of every network, each carrying one grid id per
    network (null where the network does not cover it), dissolved so that each
    combination of ids is one cell.  The cells do not overlap, their total area
    is the area of the union of the layers, and -- but for absorbed slivers --
    the cells of a grid add up to the grid.

    **Slivers.**  Boundaries that should coincide but were digitised apart
    leave thin faces between them.  A face is a sliver when it is thinner than
    `tolerance` everywhere: an inward buffer of ``tolerance / 2`` empties it
    (its largest inscribed circle is narrower than `tolerance`).  A sliver is
    absorbed into the neighbouring face with which it shares the longest
    boundary (ties: the neighbour whose ids sort first), chains of slivers
    included; the absorbed area takes the ids of that neighbour.  This is the
    only place where ids of an area change, and total area is still conserved.
    Slivers that make up the whole of a grid are kept (absorbing them would
    erase the grid).  :attr:`OneNetwork.slivers` lists every absorbed face.

    **Overlaps inside one network** are resolved first: the grid with the
    smaller id keeps the overlapping area (the rule of
    ``gg.assign(on_boundary="smallest_id")``), so every cell carries exactly
    one id per network; :attr:`OneNetwork.overlaps` lists them.

    **Relations.**  For a grid *g* of one network and another network, with
    *s* = `share_tolerance`, *t* = `straddle_share` and shares taken of the
    areas in the cells, *g* is, in this order of precedence:

    - ``uncovered`` when less than *s* of it is covered by the other network;
    - ``equal`` to a grid *h* holding at least 1 - *s* of it and at least
      1 - *s* of which lies in *g*; ``nested`` in *h* when only the first
      holds;
    - ``contains`` when every *partner* -- a grid of the other network holding
      at least *s* of *g*, or at least *s* of which lies in *g* -- lies in *g*
      for at least 1 - *s* of its area (*g* is a union of whole grids);
    - ``partial`` when it has a single partner, which is not inside it, and
      at least *s* of it is covered by no grid;
    - ``similar`` when one grid holds at least 1 - *t* of it (the rest spills
      over into other grids);
    - ``straddles`` otherwise: it is split across several grids whose
      boundaries cut it, none holding 1 - *t* of it.

    **Conflicts** are reported for the grids of every other network against
    the base network, which the unified layer is aligned on (principle
    ``boundary``, severity ``warning``, extra columns ``network``,
    ``other_network``, ``other_id``):

    - ``boundary.straddles_network``: a grid that ``straddles`` the base
      network; value its largest share in one base grid, limit 1 - *t*;
      ``other_id`` the base grids holding at least *s* of it (sorted);
      geometry the part of the grid outside its largest base grid (slivers
      dropped).
    - ``boundary.unmatched_grid``: more than *s* of a grid is covered by no
      grid of the base network -- or, for a base grid (``network`` the
      base), by no grid of the other network; value the uncovered share,
      limit *s*; geometry the uncovered cells.
    - ``boundary.boundary_mismatch``: a grid and its *counterpart* -- the base
      grid sharing most area with it, when that area is at least 1 - *t* of
      both, so the two are meant to be one grid -- that are not ``equal``, and
      whose boundaries part: the grid's boundary lies farther than
      `tolerance` from the counterpart's over a length greater than
      `tolerance`; or a ``similar`` grid without counterpart (mostly inside a
      much larger base grid) whose boundary runs outside that grid, farther
      than `tolerance`, over such a length.  Parts running along a grid of the
      same network that straddles the base network are left out (that cut is
      the straddle).
      Value that length (m), limit `tolerance`, ``other_id`` the
      counterpart, extra column ``distance`` the largest distance (m) from
      the counterpart's boundary; geometry those boundary lines.

    **Unified layer.**  The base network (default: the one with the most
    grids, ties by the order of `layers`) keeps its grids and geometry; each
    base grid carries, for every other network, the grid holding the largest
    share of its area (ties: the smaller id), so each grid of another network
    is redrawn as the union of the base grids that lie mostly in it
    (:meth:`OneNetwork.redrawn`).  The geometry being the base geometry, the
    unified layer passes the coverage rules of :func:`gridgov.check` whenever
    the base layer does.

    Parameters
    ----------
    layers : dict of str to GeoDataFrame
        ``{network: grid layer}``, all in one projected CRS in metres.  The
        order of the dict is the order of the networks in the results.
        Geometry must be valid.
    base : str, optional
        The network the unified layer is aligned on.
    tolerance : float, default 1.0
        Digitising noise, in metres: faces thinner than this are slivers,
        and boundaries closer than this coincide.  ``0`` keeps every face.
    share_tolerance : float, default 0.05
        A fraction of a grid's area, in [0, 0.5): shares below it are noise,
        shares of at least ``1 - share_tolerance`` are whole (see Relations).
    straddle_share : float, default 0.25
        A fraction of a grid's area, in [`share_tolerance`, 0.5): a grid with
        at least ``1 - straddle_share`` of its area in one grid of the other
        network is ``similar`` to it (a boundary mismatch at most), with less
        it ``straddles`` (see Relations and Conflicts).
    households : GeoDataFrame, optional
        Household points (``household_id``).  Assigned to one grid of each
        network with :func:`gridgov.assign` (defaults), they add
        ``shared_households`` to the crosswalk and ``households`` to the
        unified layer.
    id_column : str, default "grid_id"
        Grid id column of every layer (results always call it ``grid_id``).
    progress : bool, default False
        Show a progress bar over the steps.

    Returns
    -------
    OneNetwork
        ``cells``, ``crosswalk``, ``relations``, ``conflicts``, ``unified``,
        ``slivers``, ``overlaps``; ``agreement()``, ``redrawn()``,
        ``summary()``, ``plot()``, ``to_file()``.

    Raises
    ------
    CRSError
        When the layers (and households) are not in one projected CRS in metres.
    LayerError
        When a layer is not a valid grid layer (duplicated ids, invalid
        polygons) or a network name collides with a result column.
    ValueError
        When `base` is not a network or an option is out of range.

    See Also
    --------
    gridgov.compare : matches two editions of the same network.
    gridgov.check : the rules a single layer is checked against.

    Examples
    --------
    A governance network of four grids and a party network of two whose
    common boundary was digitised 0.4 m off:

    >>> import geopandas as gpd
    >>> from shapely import box
    >>> governance = gpd.GeoDataFrame({"grid_id": ["G1", "G2", "G3", "G4"]}, geometry=[
    ...     box(0, 0, 100, 100), box(100, 0, 200, 100),
    ...     box(0, 100, 100, 200), box(100, 100, 200, 200)], crs=4549)
    >>> party = gpd.GeoDataFrame({"grid_id": ["P1", "P2"]}, geometry=[
    ...     box(0, 0, 200, 100.4), box(0, 100.4, 200, 200)], crs=4549)
    >>> one = unify({"governance": governance, "party": party})
    >>> one.cells[["governance", "party", "area"]]
      governance party     area
    0         G1    P1  10040.0
    1         G2    P1  10040.0
    2         G3    P2   9960.0
    3         G4    P2   9960.0

    The two strips 0.4 m wide were absorbed (each shares 100 m with the cells
    on both sides; the tie goes to the ids that sort first):

    >>> one.slivers[["governance", "party", "area", "cell_id"]]
      governance party  area  cell_id
    0         G3    P1  40.0        0
    1         G4    P1  40.0        1
    >>> one.relations[["network", "grid_id", "relation", "other_ids"]]
          network grid_id  relation other_ids
    0  governance      G1    nested        P1
    1  governance      G2    nested        P1
    2  governance      G3    nested        P2
    3  governance      G4    nested        P2
    4       party      P1  contains    G1, G2
    5       party      P2  contains    G3, G4
    >>> len(one.conflicts), one.agreement()["agreement"].item()
    (0, 1.0)
    >>> one.unified[["grid_id", "party", "party_share"]]
      grid_id party  party_share
    0      G1    P1          1.0
    1      G2    P1          1.0
    2      G3    P2          1.0
    3      G4    P2          1.0
    """
    _check_options(tolerance, share_tolerance, straddle_share)
    names = _check_names(layers)
    if base is not None and base not in names:
        msg = f"base {base!r} is not one of the networks ({', '.join(names)})"
        raise OptionError(msg)
    crs = require_metric({**{name: layers[name] for name in names}, "households": households})
    tolerance = float(tolerance)
    share_tolerance = float(share_tolerance)
    steps = len(names) * 2 + 3 + (households is not None)
    with tqdm(total=steps, disable=not progress, unit="step", desc="unify") as bar:
        networks: list[_Network] = []
        for name in names:
            bar.set_postfix_str(f"validate {name}")
            networks.append(_prepare(name, layers[name], id_column))
            bar.update(1)
        sizes = [len(net.ids) for net in networks]
        # the finest network first, then the coarsest: faces are then most often
        # covered whole by a grid, which saves an intersection
        by_size = sorted(range(len(networks)), key=lambda j: (-sizes[j], j))
        order = by_size[:1] + sorted(by_size[1:], key=lambda j: (sizes[j], j))
        base_default = by_size[0]
        base_index = base_default if base is None else names.index(base)
        bar.set_postfix_str("refine")
        if len(networks) == 1:
            _resolve(networks[0], np.arange(sizes[0]))
        for _attempt in range(len(networks) + 1):
            faces, labels, suspects = _refine(networks, order, bar)
            changed = [_resolve(networks[j], grids) for j, grids in suspects.items()]
            if not any(changed):
                break
            bar.total += len(networks)
        bar.set_postfix_str("slivers and cells")
        cells = _build_cells(faces, labels, networks, tolerance, crs)
        bar.update(1)
        areas = [_grid_areas(cells, j, size) for j, size in enumerate(sizes)]
        assigned = None
        if households is not None:
            bar.set_postfix_str("households")
            assigned = _assign(households, networks)
            bar.update(1)
        bar.set_postfix_str("tables")
        crosswalk = _crosswalk(networks, cells, areas, assigned)
        relation_list = [
            _relation(
                networks,
                cells,
                areas,
                i,
                j,
                share_tolerance=share_tolerance,
                straddle_share=straddle_share,
            )
            for i in range(len(networks))
            for j in range(len(networks))
            if i != j
        ]
        relations = _relations_frame(networks, relation_list, areas)
        bar.update(1)
        by_pair = {(rel.network, rel.other): rel for rel in relation_list}
        unified = _unified(networks, base_index, by_pair, assigned)
        bar.update(1)
    overlaps = _overlaps_frame(networks, crs)
    return OneNetwork(
        cells=_cells_frame(cells, networks, crs),
        crosswalk=crosswalk,
        relations=relations,
        unified=unified,
        slivers=cells.slivers,
        overlaps=overlaps,
        networks=tuple(names),
        base=names[base_index],
        tolerance=tolerance,
        share_tolerance=share_tolerance,
        straddle_share=straddle_share,
        _layers={net.name: net.frame for net in networks},
        _state=_State(networks, cells, by_pair, areas, base_index),
    )
