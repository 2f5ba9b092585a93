"""Scale-out: the same assignment and checks on a dask cluster.

A province has tens of millions of households and hundreds of thousands of
grids.  This module runs :func:`gridgov.assign` and :func:`gridgov.check` on
`dask-geopandas <https://dask-geopandas.readthedocs.io>`_ frames with
:mod:`distributed`, the same way on a laptop (a ``LocalCluster``) and on a
cluster (a scheduler address).  It has no logic of its own beyond
partitioning: every partition is handed to the same pure function as
in-process work, so boundary, outside and tie rules are identical.

Partitioning
    Households are read lazily, one partition per GeoParquet file
    (:func:`read_households`).  Each household partition is joined with the
    grids whose bounds can reach the partition's bounds -- the bounds
    themselves for points inside or on a grid, widened by ``max_distance``
    (or by a distance that provably holds every nearest grid) for
    ``outside="nearest"`` -- and :func:`gridgov.assign` runs on that pair.
    A household lives in exactly one partition and every grid it could be
    assigned to is in its partition's pair, so each household is assigned
    exactly once, with the answer :func:`gridgov.assign` gives on the whole
    data.  Grids given in memory are sent to each worker once (broadcast);
    grids given as a dask frame are spatially partitioned (Hilbert curve) and
    only the grid partitions whose extent can reach a household partition
    are joined with it.

Tiles
    :func:`check` cuts the extent of the data into square tiles aligned on
    multiples of ``tile_size``.  A tile runs the rules of one grid at a
    time on the grids whose lower-left corner lies in it, with the context
    around them; and the overlap and building rules on the grids that meet
    it, keeping a finding only when the lower-left corner of the finding's
    geometry falls in the tile (``[xmin, xmax) × [ymin, ymax)``) -- the
    corner lies in the bounds of every grid involved, so they are all there
    -- so a finding at a tile edge is reported once.  Gaps are measured in a
    window around the tile (its *halo*); a gap belongs to the tile holding
    its first vertex (smallest x, then y), and a gap cut by the window is
    measured again in a window twice as wide around it, until whole: a gap
    across tile edges is one finding with its full area.  The household
    rules run per household partition, and the loads they count add up to
    the load table the scale rules read.

Outputs
    :func:`assign` with ``output=`` writes its partitions into a temporary
    folder beside the output, adds an empty ``_SUCCESS`` file once every
    partition is written and renames the folder into place (replacing an
    earlier result whole), so an interrupted run leaves no folder under the
    final name; :func:`load_table` refuses a folder without ``_SUCCESS``.

Clusters
    :func:`client_for` starts a ``LocalCluster`` (``"local"``) or connects to a
    scheduler address for the duration of a ``with`` block; without one, dask's
    default scheduler runs the same graphs in threads.
"""

from __future__ import annotations

from gridgov.distributed._assign import assign
from gridgov.distributed._check import check
from gridgov.distributed._cluster import client_for
from gridgov.distributed._read import read_households
from gridgov.distributed._tables import load_table

__all__ = [
    "assign",
    "check",
    "client_for",
    "load_table",
    "read_households",
]
