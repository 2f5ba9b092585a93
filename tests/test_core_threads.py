"""The one thread policy: GRIDGOV_THREADS, else the cores available to the process."""

from __future__ import annotations

import os

import geopandas as gpd
import pytest
from shapely import Point, box

import gridgov as gg
from gridgov._core import threads
from gridgov._core.threads import ENVIRONMENT_VARIABLE, batches, thread_count
from gridgov.errors import OptionError


@pytest.fixture(autouse=True)
def _no_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)


def test_default_is_the_available_cores() -> None:
    if hasattr(os, "sched_getaffinity"):
        expected = len(os.sched_getaffinity(0))
    else:  # pragma: no cover - not Linux
        expected = os.cpu_count() or 1
    assert thread_count() == expected
    assert thread_count(limit=1) == 1
    assert thread_count(limit=0) == 1  # at least one


def test_without_affinity_the_cpu_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert thread_count() == 1
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert thread_count() == 6


@pytest.mark.parametrize(("value", "expected"), [("3", 3), (" 12 ", 12), ("1", 1), ("", None)])
def test_the_variable_sets_it(monkeypatch: pytest.MonkeyPatch, value: str, expected) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, value)
    assert thread_count() == (threads._available_cores() if expected is None else expected)
    assert thread_count(limit=2) == min(2, expected or 2)


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5", "4 threads"])
def test_a_bad_value_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, value)
    with pytest.raises(OptionError, match=rf"GRIDGOV_THREADS='{value}'.*positive integer"):
        thread_count()


def test_assign_follows_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    grids = gpd.GeoDataFrame({"grid_id": ["a"]}, geometry=[box(0, 0, 10, 10)], crs="EPSG:4549")
    homes = gpd.GeoDataFrame({"household_id": ["h"]}, geometry=[Point(5, 5)], crs="EPSG:4549")
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "1")
    assert gg.assign(homes, grids)["grid"].tolist() == ["a"]
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "nope")
    with pytest.raises(OptionError, match="GRIDGOV_THREADS"):
        gg.assign(homes, grids)


def test_batches() -> None:
    assert batches(0) == []
    assert batches(1) == [slice(0, 1)]
    assert batches(4) == [slice(0, 2), slice(2, 4)]
    assert [s.stop - s.start for s in batches(10, 3)] == [3, 3, 3, 1]
