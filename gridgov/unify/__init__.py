"""One network (多网合一): the common refinement of several grid networks and a unified layer.

Cities run several grid networks side by side -- comprehensive governance
(``governance``), party building (``party``), services (``service``) -- drawn
by different offices at different times.  :func:`unify` lays them on top of
each other and answers, in one pass:

``cells``
    The common refinement: atomic polygons, each carrying one grid id per
    network (null where that network does not cover it).  Every combination of
    ids occurs in exactly one cell; the cells do not overlap and their area is
    the area of the union of the networks.
``crosswalk``
    Grid to grid: every pair of grids of different networks that share area,
    with the shared area, the share of each grid and, with households, the
    shared households.
``relations``
    Grid to network: whether a grid is ``equal`` to a grid of another network,
    ``nested`` in one, ``contains`` whole grids of it, lies mostly in one
    (``similar``), ``straddles`` several, or lies ``partial``-ly or wholly
    outside it (``uncovered``).
``conflicts``
    A :class:`~gridgov.findings.Findings` frame (principle ``boundary``) of the
    other networks against the base network: ``boundary.straddles_network``,
    ``boundary.unmatched_grid``, ``boundary.boundary_mismatch``.
``unified``
    A proposed single layer aligned on the base network: the base grids, each
    carrying the id of the grid of every other network it mostly lies in.

How it works.  The refinement is built network by network, the finest first,
then the others from the coarsest: the faces built so far are intersected
with the grids of the next network through one STRtree query, and a face that
a grid covers (or a grid that a face covers), decided with prepared predicates
where the bounding boxes allow it, is kept whole instead of being intersected;
the parts of faces and grids that the other side does not cover are added
with their null ids.  The intersections run in chunks on several threads
(shapely releases the GIL).  The lineage (which grid of each network) is
carried along, so nothing is looked up afterwards.  Overlaps inside a network
show in the area accounts of these steps; they are then resolved exactly and
the refinement is run again.  Then slivers -- faces thinner than
``tolerance``, left by boundaries that differ by digitising noise -- are
absorbed into the neighbour sharing the longest boundary, and faces are
dissolved by their combination of ids.  Everything else is arithmetic on the
ids and areas of the cells.  Conflicts and :meth:`OneNetwork.agreement` are
computed on first use.
"""

from __future__ import annotations

from gridgov.unify._base import RELATIONS, UNIFY_RULES
from gridgov.unify._result import OneNetwork
from gridgov.unify._unify import unify

__all__ = ["RELATIONS", "UNIFY_RULES", "OneNetwork", "unify"]
