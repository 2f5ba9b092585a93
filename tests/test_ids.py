"""Ids keep their exact text, whatever their type; ids that cannot be ids are missing.

Issue 13, item 6: integer ids of any width (uint64 included) keep their exact
text; non-integral float ids, empty and whitespace-only ids are refused as
missing, naming the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas import GeoDataFrame
from hypothesis import given
from hypothesis import strategies as st

import gridgov as gg
from gridgov._core.ids import normalise_ids
from gridgov.errors import LayerError

CRS = "EPSG:4549"


def _homes(ids: list[object] | pd.Series) -> GeoDataFrame:
    n = len(ids)
    return GeoDataFrame(
        {"household_id": ids},
        geometry=shapely.points(np.arange(n, dtype=float), np.zeros(n)),
        crs=CRS,
    )


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (
            pd.Series([2**64 - 1, 2**63], dtype="uint64"),
            ["18446744073709551615", "9223372036854775808"],
        ),
        (
            pd.Series([-(2**63), 2**63 - 1], dtype="int64"),
            ["-9223372036854775808", "9223372036854775807"],
        ),
        (pd.Series([1, None], dtype="Int64"), ["1", None]),
        (pd.Series([1e19, 320102001001001.0]), ["10000000000000000000", "320102001001001"]),
        (pd.Series([1.5, np.inf, -0.0]), [None, None, "0"]),
        (pd.Series(["  a1 ", "", "   ", "\t"]), ["a1", None, None, None]),
        (pd.Series([7, " x ", 2.5, "", 3.0], dtype=object), ["7", "x", None, None, "3"]),
    ],
)
def test_ids_keep_their_exact_text(ids: pd.Series, expected: list[str | None]) -> None:
    assert normalise_ids(ids).tolist() == expected


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_every_uint64_id_round_trips(value: int) -> None:
    assert normalise_ids(pd.Series([value], dtype="uint64")).tolist() == [str(value)]


def test_wide_integer_ids_survive_validation() -> None:
    ids = pd.Series([2**64 - 1, 2**64 - 2], dtype="uint64")
    out = gg.validate_layer(_homes(ids), kind="households")
    assert out["household_id"].tolist() == ["18446744073709551615", "18446744073709551614"]


@pytest.mark.parametrize(
    ("ids", "rows"),
    [
        ([1.0, 2.5, 3.0], "'row 1'"),
        (["a", "", "c"], "'row 1'"),
        (["a", "b", "   "], "'row 2'"),
        ([1.0, np.nan, np.inf], "'row 1', 'row 2'"),
    ],
)
def test_ids_that_are_not_ids_are_refused_as_missing(ids: list[object], rows: str) -> None:
    with pytest.raises(LayerError, match="without household_id") as caught:
        gg.validate_layer(_homes(ids), kind="households")
    message = str(caught.value)
    assert rows in message
    assert "non-integral" in message


def test_float_ids_read_from_a_csv_keep_their_digits(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "homes.csv"
    path.write_text("household_id,x,y\n10000000000000000000,1,2\n18446744073709551615,3,4\n")
    homes = gg.read_households(path, crs=CRS)
    assert homes["household_id"].tolist() == ["10000000000000000000", "18446744073709551615"]
