"""Row ids as text: the one normalisation every layer's ids go through."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["normalise_ids"]


def normalise_ids(values: pd.Series) -> pd.Series:
    """Return ids as ``str`` objects (``None`` where missing), vectorised.

    Integers become their decimal text, integral floats (ids read as
    numbers) lose their ``.0`` and strings lose surrounding whitespace.  Only
    mixed-type object columns fall back to a per-row conversion.

    Examples
    --------
    >>> normalise_ids(pd.Series([1.0, None, 3.0])).tolist()
    ['1', None, '3']
    >>> normalise_ids(pd.Series([" a ", "b"])).tolist()
    ['a', 'b']
    """
    notna = values.notna().to_numpy()
    out = np.full(len(values), None, dtype=object)
    if pd.api.types.is_bool_dtype(values):
        out[notna] = values.to_numpy(dtype=object)[notna].astype(str)
    elif pd.api.types.is_integer_dtype(values):
        kept = values[notna] if not notna.all() else values
        out[notna] = kept.astype(np.int64).astype("str").to_numpy(dtype=object)
    elif pd.api.types.is_float_dtype(values):
        finite = values.to_numpy(dtype=float)[notna]
        if len(finite) and bool(np.all(np.mod(finite, 1) == 0)):
            out[notna] = finite.astype(np.int64).astype(str)
        else:
            out[notna] = finite.astype(str)
    elif pd.api.types.infer_dtype(values, skipna=True) in {"string", "empty"}:
        kept = values[notna] if not notna.all() else values
        out[notna] = kept.astype("str").str.strip().to_numpy(dtype=object)
    else:  # mixed types: rare, converted row by row
        out[notna] = [str(v).strip() for v in values.to_numpy(dtype=object)[notna]]
    return pd.Series(out, index=values.index, dtype=object, name=values.name)
