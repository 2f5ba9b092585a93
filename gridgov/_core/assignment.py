"""The assignment table: the ``how`` codes and the networks of a result of ``gg.assign``.

A result has, per network, the columns ``<network>`` (grid id),
``<network>_how`` (categorical with the categories of :data:`HOW`) and
``<network>_distance``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridgov.errors import OptionError

__all__ = [
    "BOUNDARY",
    "BUILDING",
    "HOW",
    "HOW_DTYPE",
    "INSIDE",
    "NEAREST",
    "UNASSIGNED",
    "how_codes",
    "networks_of",
]

#: The values of the ``<network>_how`` columns, in the order of their categories.
HOW: tuple[str, ...] = ("inside", "boundary", "nearest", "building", "unassigned")
#: The code (position in :data:`HOW`) of each value.
INSIDE, BOUNDARY, NEAREST, BUILDING, UNASSIGNED = range(5)
#: The dtype of the ``<network>_how`` columns.
HOW_DTYPE = pd.CategoricalDtype(list(HOW))


def networks_of(result: pd.DataFrame) -> list[str]:
    """Return the networks of an assignment table, in column order.

    A network is a column ``c`` with the columns ``c_how`` and ``c_distance``
    beside it.

    Raises
    ------
    OptionError
        When `result` holds no network (it is not what ``gg.assign`` returns).

    Examples
    --------
    >>> networks_of(pd.DataFrame(columns=["party", "party_how", "party_distance", "x"]))
    ['party']
    """
    networks = [
        str(c)
        for c in result.columns
        if f"{c}_how" in result.columns and f"{c}_distance" in result.columns
    ]
    if not networks:
        columns = ", ".join(map(str, result.columns))
        msg = (
            "result is not an assignment: no network has the three columns <network>, "
            f"<network>_how and <network>_distance (columns: {columns}); "
            "pass what gg.assign returns"
        )
        raise OptionError(msg)
    return networks


def how_codes(values: pd.Series, network: str) -> np.ndarray:
    """Return the codes (positions in :data:`HOW`) of a ``<network>_how`` column.

    Raises
    ------
    OptionError
        When the column holds a value that is not in :data:`HOW`.
    """
    if isinstance(values.dtype, pd.CategoricalDtype) and list(values.cat.categories) == list(HOW):
        codes = values.cat.codes.to_numpy(dtype=np.int64)
    else:
        codes = pd.Categorical(values.astype(object), categories=list(HOW)).codes.astype(np.int64)
    if (codes < 0).any():
        found = sorted({str(v) for v in values[codes < 0].tolist()})
        msg = f"column {network + '_how'!r} holds unknown values {found}; expected {list(HOW)}"
        raise OptionError(msg)
    return codes
