"""Number arguments of the public functions: a number, or an OptionTypeError naming the argument.

Part of the internal core.
"""

from __future__ import annotations

import numbers
from typing import Any

from gridgov.errors import OptionTypeError

__all__ = ["as_number"]


def as_number(value: Any, *, name: str) -> float:
    """Return `value` as a float, or raise OptionTypeError naming the argument `name`.

    Integers and floats of Python and numpy are numbers; booleans, strings
    and None are not (``"5"`` is refused rather than parsed).

    Examples
    --------
    >>> as_number(5, name="max_distance")
    5.0
    >>> as_number("5", name="max_distance")
    Traceback (most recent call last):
    ...
    gridgov.errors.OptionTypeError: max_distance must be a number (metres), got '5'
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"{name} must be a number (metres), got {value!r}"
        raise OptionTypeError(msg)
    return float(value)
