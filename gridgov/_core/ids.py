"""Row ids as text: the one normalisation every layer's ids go through."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["normalise_ids"]


def normalise_ids(values: pd.Series) -> pd.Series:
    """Return ids as ``str`` objects (``None`` where missing), vectorised.

    * Integers keep their exact decimal text, whatever their width (``uint64``
      included).
    * Integral floats (ids read as numbers) lose their ``.0`` and keep their
      exact value (``1e19`` is ``'10000000000000000000'``).
    * Non-integral and non-finite floats are not ids: they become missing
      (a float id of 1.5 is a mangled code, not the code ``'1.5'``).
    * Strings lose surrounding whitespace; empty and blank strings become
      missing.

    Only mixed-type object columns fall back to a per-row conversion, with the
    same rules.  Callers refuse missing ids, naming the rows.

    Examples
    --------
    >>> normalise_ids(pd.Series([1.0, None, 3.0, 1.5])).tolist()
    ['1', None, '3', None]
    >>> normalise_ids(pd.Series([" a ", "b", "  "])).tolist()
    ['a', 'b', None]
    >>> normalise_ids(pd.Series([2**64 - 1], dtype="uint64")).tolist()
    ['18446744073709551615']
    >>> normalise_ids(pd.Series([1e19])).tolist()
    ['10000000000000000000']
    """
    notna = values.notna().to_numpy()
    out = np.full(len(values), None, dtype=object)
    if pd.api.types.is_bool_dtype(values):
        out[notna] = values.to_numpy(dtype=object)[notna].astype(str)
    elif pd.api.types.is_integer_dtype(values):
        kept = values[notna] if not notna.all() else values
        out[notna] = kept.astype("str").to_numpy(dtype=object)  # exact, any width
    elif pd.api.types.is_float_dtype(values):
        out[notna] = _float_ids(values.to_numpy(dtype=float)[notna])
    elif pd.api.types.infer_dtype(values, skipna=True) in {"string", "empty"}:
        kept = values[notna] if not notna.all() else values
        text = kept.astype("str").str.strip().to_numpy(dtype=object)
        text[text == ""] = None
        out[notna] = text
    else:  # mixed types: rare, converted row by row
        out[notna] = [_one_id(v) for v in values.to_numpy(dtype=object)[notna]]
    return pd.Series(out, index=values.index, dtype=object, name=values.name)


#: Floats of magnitude below this are integers exactly representable in int64.
_INT64_SAFE = 2.0**62


def _float_ids(values: np.ndarray) -> np.ndarray:
    """Return the exact decimal text of integral floats, None for the others."""
    out = np.full(len(values), None, dtype=object)
    finite = np.isfinite(values)
    integral = finite.copy()
    integral[finite] = np.mod(values[finite], 1) == 0
    small = integral & (np.abs(values) < _INT64_SAFE)
    out[small] = values[small].astype(np.int64).astype(str)
    for k in np.flatnonzero(integral & ~small):  # beyond int64: rare, exact through int
        out[k] = str(int(values[k]))
    return out


def _one_id(value: object) -> str | None:
    """Return one id of a mixed-type column as text, by the rules of :func:`normalise_ids`."""
    if isinstance(value, float | np.floating):
        return _float_ids(np.array([float(value)]))[0]  # type: ignore[no-any-return]
    text = str(value).strip()
    return text or None
