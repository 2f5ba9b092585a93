"""The rule registry: declarations are checked, and every rule is run by both checks.

``gg.check`` and ``gridgov.distributed.check`` dispatch rules from the
registry alone.  The tests below (1) reject broken declarations, (2) run
every registered rule through both checks and fail for a rule either of them
does not call, and (3) declare new rules of every scope with the decorator
and find their findings, identical, in both checks.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import gridgov as gg
from gridgov.rules import RULES, registry
from gridgov.rules.base import Grids, empty, records
from gridgov.rules.registry import RegistryError, RuleDoc, Scope, owned, rule

if TYPE_CHECKING:
    from collections.abc import Iterator

CRS = "EPSG:4549"


# -- declarations ------------------------------------------------------------------------


@pytest.fixture
def scratch() -> Iterator[list[str]]:
    """Codes declared by a test, removed from the registry afterwards."""
    codes: list[str] = []
    yield codes
    for code in codes:
        registry.unregister(code)


def test_every_rule_is_declared_with_its_principle_and_documented() -> None:
    assert list(RULES)[:2] == ["scale.too_many_households", "scale.too_few_households"]
    principles = [info.principle for info in RULES.values()]
    rank = [registry.PRINCIPLE_ORDER.index(p) for p in principles]
    assert rank == sorted(rank)  # grouped by principle, in the principles' order
    for code, info in RULES.items():
        assert info.code == code
        assert code.startswith(info.principle + ".")
        module = info.function.__module__
        assert module.startswith(f"gridgov.rules.{info.principle}")  # declared next to its code
        assert info.description
        assert info.doc.default
        assert info.doc.geometry
        assert set(info.products) <= registry.SCOPE_PRODUCTS[info.scope]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"code": "scale.too_many_households"}, "declared twice"),
        ({"code": "size.big"}, "principle among"),
        ({"code": "scale.Big"}, "lower case"),
        ({"severity": "fatal"}, "severity 'fatal'"),
        ({"scope": "province"}, "scope 'province'"),
        ({"needs": ("census",)}, "unknown input"),
        ({"merge": "regions"}, "threshold"),
    ],
)
def test_broken_declarations_are_refused(kwargs: dict[str, Any], message: str) -> None:
    options: dict[str, Any] = {
        "code": "scale.scratch",
        "severity": "warning",
        "scope": Scope.GRID,
        "description": "a test rule",
    }
    options.update(kwargs)
    with pytest.raises(RegistryError, match=message):
        rule(**options)(lambda grids: empty())
    assert "scale.scratch" not in RULES


def test_a_product_the_scope_lacks_or_an_unknown_one_is_refused() -> None:
    declare = rule("scale.scratch", severity="info", scope=Scope.GRID, description="test")
    with pytest.raises(RegistryError, match="cannot take \\['loads'\\]"):
        declare(lambda grids, loads: empty())
    with pytest.raises(RegistryError, match="'weather' is not a product"):
        declare(lambda grids, weather: empty())
    with pytest.raises(RegistryError, match="named products"):
        declare(lambda grids, **more: empty())
    assert "scale.scratch" not in RULES
    regions = rule(
        "coverage.scratch",
        severity="info",
        scope=Scope.TILE,
        description="test",
        merge="regions",
        threshold="min_gap_area",
    )
    with pytest.raises(RegistryError, match="merge='regions' takes coverage"):
        regions(lambda grids, footprints: empty())
    assert "coverage.scratch" not in RULES
    # an optional product is fine in any scope: passed where provided
    declare(lambda grids, loads=None: empty())
    assert RULES["scale.scratch"].optional == ("loads",)
    registry.unregister("scale.scratch")


def test_ruleset_validation_reads_the_registry(scratch: list[str]) -> None:
    with pytest.raises(gg.RuleSetError, match=r"unknown rule code 'scale\.scratch'"):
        gg.RuleSet(disabled=("scale.scratch",))
    rule("scale.scratch", severity="info", scope=Scope.GRID, description="test")(
        lambda grids: empty()
    )
    scratch.append("scale.scratch")
    rules = gg.RuleSet(disabled=("scale.scratch",), severity={"scale.scratch": "error"})
    assert not rules.enabled("scale.scratch")
    assert rules.severity_of("scale.scratch") == "error"


# -- every registered rule runs in both checks ---------------------------------------------


def _context() -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """The demo with every input, so that every registered rule runs."""
    demo = gg.datasets.load_demo(metric=True)
    inputs = {
        "jurisdiction": demo.street,
        "parents": demo.communities,
        "households": demo.households,
        "buildings": demo.buildings,
        "features": demo.roads,
        "stations": demo.stations,
        "roads": demo.roads,
        "previous": demo.previous.drop(columns="households"),
        "rules": gg.RuleSet(max_persons=2_000, min_area=1.0),
    }
    return demo.governance, inputs


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the calls of every registered rule (the function wrapped in the registry)."""
    counted: dict[str, int] = dict.fromkeys(RULES, 0)
    for code, info in list(RULES.items()):

        def spy(*, _code: str = code, _function: Any = info.function, **products: Any) -> Any:
            counted[_code] += 1
            return _function(**products)

        monkeypatch.setitem(registry._REGISTRY, code, dataclasses.replace(info, function=spy))
    return counted


def test_gg_check_runs_every_registered_rule(calls: dict[str, int]) -> None:
    layer, inputs = _context()
    findings = gg.check(layer, **inputs)
    assert findings.skipped == {}
    assert [code for code, n in calls.items() if n != 1] == []


def test_distributed_check_runs_every_registered_rule(calls: dict[str, int]) -> None:
    dask_geopandas = pytest.importorskip("dask_geopandas")
    from gridgov import distributed as ggd

    layer, inputs = _context()
    homes = dask_geopandas.from_geopandas(inputs.pop("households"), npartitions=3)
    findings = ggd.check(layer, households=homes, tile_size=600.0, **inputs)  # dask's threads
    assert findings.skipped == {}
    assert [code for code, n in calls.items() if n == 0] == []


def test_a_rule_the_checks_do_not_call_fails_the_test_above(calls: dict[str, int]) -> None:
    """The spy counts what the checks call: a rule left out is seen as never called."""
    layer, inputs = _context()
    skipped = dict(RULES)
    skipped.pop("boundary.sliver")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry, "RULES", skipped)  # what the dispatch would read if it forgot one
        internals = importlib.import_module("gridgov.check")  # gg.check is the function
        patch.setattr(internals, "RULES", skipped)
        gg.check(layer, **inputs)
    assert calls["boundary.sliver"] == 0


# -- new rules of every scope, declared with the decorator, run in both checks -------------


def _grids() -> gpd.GeoDataFrame:
    cells = [shapely.box(x, y, x + 100, y + 100) for x in range(0, 800, 100) for y in (0, 100)]
    ids = [f"320102001001{k:03d}" for k in range(len(cells))]
    return gpd.GeoDataFrame({"grid_id": ids}, geometry=cells, crs=CRS).sample(
        frac=1.0, random_state=3
    )


def _homes() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(5)
    xy = rng.uniform(1, 799, (400, 2)) * [1.0, 0.25]
    return gpd.GeoDataFrame(
        {"household_id": [f"H{i:04d}" for i in range(len(xy))]},
        geometry=shapely.points(xy),
        crs=CRS,
    )


@pytest.fixture
def new_rules(scratch: list[str]) -> list[str]:
    """One new rule of each scope, declared as a contributor would."""

    @rule(
        "boundary.test_wide",
        severity="warning",
        scope=Scope.GRID,
        description="grid wider than 99 m",
        doc=RuleDoc(default="warning", geometry="the grid"),
    )
    def wide(grids: Grids) -> pd.DataFrame:
        bounds = shapely.bounds(grids.shapes)
        rows = np.flatnonzero(bounds[:, 2] - bounds[:, 0] > 99)
        return records(
            "boundary.test_wide",
            grid_id=grids.ids[rows],
            value=bounds[rows, 2] - bounds[rows, 0],
            limit=99.0,
            message=np.array([f"grid {g} is wide" for g in grids.ids[rows]], dtype=object),
            geometry=grids.geometry[rows],
        )

    @rule(
        "coverage.test_corner",
        severity="info",
        scope=Scope.TILE,
        description="grid with a corner at the origin of a 200 m block",
    )
    def corner(
        grids: Grids, *, tile: tuple[float, float, float, float] | None = None
    ) -> pd.DataFrame:
        corners = shapely.bounds(grids.shapes)[:, :2]
        rows = np.flatnonzero(np.all(corners % 200 == 0, axis=1) & owned(corners, tile))
        return records(
            "coverage.test_corner",
            grid_id=grids.ids[rows],
            message=np.array([f"corner of {g}" for g in grids.ids[rows]], dtype=object),
            geometry=grids.geometry[rows],
        )

    @rule(
        "coverage.test_west",
        severity="info",
        scope=Scope.HOUSEHOLD,
        description="household in the west 50 m",
        needs=("households",),
    )
    def west(household_ids: np.ndarray, household_points: np.ndarray) -> pd.DataFrame:
        rows = np.flatnonzero(shapely.get_x(household_points) < 50)
        return records(
            "coverage.test_west",
            value=shapely.get_x(household_points[rows]),
            message=np.array([f"household {h}" for h in household_ids[rows]], dtype=object),
            geometry=household_points[rows],
            household_id=household_ids[rows],
        )

    @rule(
        "scale.test_busy",
        severity="error",
        scope=Scope.LAYER,
        description="grid with more than 20 households",
        needs=("households",),
    )
    def busy(grids: Grids, loads: np.ndarray) -> pd.DataFrame:
        rows = np.flatnonzero(loads > 20)
        return records(
            "scale.test_busy",
            grid_id=grids.ids[rows],
            value=loads[rows],
            limit=20.0,
            message=np.array([f"grid {g} is busy" for g in grids.ids[rows]], dtype=object),
            geometry=grids.geometry[rows],
        )

    codes = ["boundary.test_wide", "coverage.test_corner", "coverage.test_west", "scale.test_busy"]
    scratch.extend(codes)
    return codes


def _of(findings: gg.Findings, codes: list[str]) -> pd.DataFrame:
    mine = findings[findings["rule"].isin(codes)].drop(columns="geometry")
    return mine.sort_values(["rule", "grid_id", "household_id"]).reset_index(drop=True)


def test_new_rules_of_every_scope_run_in_both_checks(new_rules: list[str]) -> None:
    dask_geopandas = pytest.importorskip("dask_geopandas")
    from gridgov import distributed as ggd

    grids, homes = _grids(), _homes()
    want = gg.check(grids, households=homes)
    got = ggd.check(
        grids,
        households=dask_geopandas.from_geopandas(homes, npartitions=2),
        tile_size=250.0,
        halo=20.0,
    )
    mine = _of(want, new_rules)
    counts = mine["rule"].value_counts().to_dict()
    assert counts["boundary.test_wide"] == 16  # every grid is 100 m wide
    assert counts["coverage.test_corner"] == 4  # (0, 0), (200, 0), (400, 0), (600, 0)
    assert counts["coverage.test_west"] == (shapely.get_x(homes.geometry.values) < 50).sum()
    assert counts["scale.test_busy"] >= 1
    assert set(want.loc[want["rule"] == "scale.test_busy", "principle"]) == {"scale"}
    assert set(want.loc[want["rule"] == "scale.test_busy", "severity"]) == {"error"}
    pd.testing.assert_frame_equal(_of(got, new_rules), mine)


def test_new_rules_are_skipped_with_reasons(new_rules: list[str]) -> None:
    findings = gg.check(_grids(), rules=gg.RuleSet(disabled=("boundary.test_wide",)))
    assert findings.skipped["boundary.test_wide"] == "disabled in the RuleSet"
    assert findings.skipped["scale.test_busy"] == "no households given"
    assert "coverage.test_corner" not in findings.skipped
    assert set(findings["rule"]) >= {"coverage.test_corner"}


def test_rules_md_lists_every_rule() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text("utf-8")
    assert [code for code in RULES if f"| `{code}` |" not in text] == []
