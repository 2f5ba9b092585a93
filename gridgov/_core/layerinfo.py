"""What validation learnt about a layer, carried with the frame as a typed value.

:func:`gridgov.validate_layer` records a :class:`LayerInfo` on the frame it
returns (in ``frame.attrs["gridgov"]``); the consumers read it back with
:func:`layer_info` instead of testing again what validation already knows
(for example the GEOS validity of every polygon).

pandas and geopandas copy ``attrs`` on many operations (``copy``, filtering,
``iloc``, ``concat`` of frames with equal attrs), some of them with
:func:`copy.deepcopy`.  A :class:`LayerInfo` is frozen, holds only immutable
values (tuples, strings) and compares by value, so every copy is the same
value and costs nothing: ``deepcopy`` returns the object itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Self, TypeVar

import pandas as pd

__all__ = [
    "ATTRS_KEY",
    "DEFAULT_ID_COLUMNS",
    "LayerInfo",
    "LayerKind",
    "layer_info",
    "with_layer_info",
]

#: The kinds of layer gridgov validates.
LayerKind = Literal["grids", "jurisdiction", "households", "buildings", "roads", "stations"]

#: The default id column of each layer kind (roads need none).
DEFAULT_ID_COLUMNS: dict[str, str | None] = {
    "grids": "grid_id",
    "jurisdiction": "unit_id",
    "households": "household_id",
    "buildings": "building_id",
    "roads": None,
    "stations": "station_id",
}

_F = TypeVar("_F", bound=pd.DataFrame)

#: The key of ``frame.attrs`` under which the layer information travels.
ATTRS_KEY = "gridgov"


@dataclass(frozen=True)
class LayerInfo:
    """The facts :func:`gridgov.validate_layer` established about a layer.

    Attributes
    ----------
    kind : str
        The layer kind (one of :data:`LayerKind`).
    name : str
        The layer's name in messages.
    id_column : str or None
        The column holding the row ids (normalised to ``str``); None for a
        layer without ids (roads).
    invalid_ids : tuple of str or None
        Ids of the polygons that are invalid in the GEOS sense, in row order;
        None when validity was not tested (``find_invalid=False``).

    Examples
    --------
    >>> import copy
    >>> info = LayerInfo("grids", "governance", "grid_id", ("g2",))
    >>> copy.deepcopy(info) is info, info["invalid_ids"]
    (True, ['g2'])
    """

    kind: str
    name: str
    id_column: str | None
    invalid_ids: tuple[str, ...] | None

    def __post_init__(self) -> None:
        if self.invalid_ids is not None and not isinstance(self.invalid_ids, tuple):
            object.__setattr__(self, "invalid_ids", tuple(self.invalid_ids))

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self

    def __getitem__(self, key: str) -> Any:
        """Read a field by name, as from the dict that used to travel in ``attrs``.

        Kept for code written against ``frame.attrs["gridgov"]["invalid_ids"]``
        (documented by :func:`gridgov.validate_layer`): ``invalid_ids`` reads
        as a new list (or None), the other fields as they are.
        """
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        value = getattr(self, key)
        return list(value) if isinstance(value, tuple) else value

    def get(self, key: str, default: Any = None) -> Any:
        """Return ``self[key]``, or `default` for an unknown key (the dict's ``get``)."""
        try:
            return self[key]
        except KeyError:
            return default


def layer_info(frame: pd.DataFrame) -> LayerInfo | None:
    """Return the :class:`LayerInfo` recorded on `frame`, or None when there is none.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = with_layer_info(pd.DataFrame(), LayerInfo("roads", "roads", None, None))
    >>> layer_info(frame).kind, layer_info(pd.DataFrame())
    ('roads', None)
    """
    info = frame.attrs.get(ATTRS_KEY)
    return info if isinstance(info, LayerInfo) else None


def with_layer_info(frame: _F, info: LayerInfo) -> _F:
    """Record `info` on `frame` (in place, with fresh ``attrs``) and return `frame`.

    The other entries of ``frame.attrs`` are kept; the ``attrs`` dict itself
    is replaced, so a frame sharing it (a shallow copy's source) is untouched.
    """
    frame.attrs = {**frame.attrs, ATTRS_KEY: info}
    return frame
