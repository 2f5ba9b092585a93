"""Zero households is a valid input everywhere: empty results, no error (issue 13, item 7)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import gridgov as gg
from gridgov.cli import main

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def demo() -> Any:
    return gg.datasets.load_demo(metric=True)


def test_every_function_takes_zero_households(demo: Any) -> None:
    none = demo.households.iloc[:0]
    grids = demo.governance.assign(geometry=demo.governance.make_valid())
    result = gg.assign(none, {"governance": grids})
    assert len(result) == 0
    assert list(result.columns) == ["governance", "governance_how", "governance_distance"]
    table = gg.summarize_assignment(result)
    assert table["households"].sum() == 0
    assert len(gg.assign_by_network(none, demo.stations, demo.roads, max_distance=500)) == 0
    findings = gg.check(grids, households=none)
    too_few = findings[findings["rule"] == "scale.too_few_households"]
    assert len(too_few) == len(grids)  # every grid holds 0 households: a finding, not an error
    assert not (findings["rule"] == "coverage.uncovered_household").any()
    party = demo.party.assign(geometry=demo.party.make_valid())
    one = gg.unify({"governance": grids, "party": party}, households=none)
    assert one.crosswalk["shared_households"].sum() == 0
    changes = gg.compare(demo.previous, grids, households=none)
    assert len(changes) > 0
    plan = gg.propose(grids, none)
    assert len(plan.layer) >= 1


def test_the_cli_takes_a_table_of_no_household(tmp_path: Path, demo: Any) -> None:
    homes = tmp_path / "homes.csv"
    homes.write_text("household_id,x,y\n", encoding="utf-8")
    grids = tmp_path / "grids.gpkg"
    demo.governance.to_file(grids)
    out = tmp_path / "a.csv"
    code = main(["assign", str(homes), str(grids), "--crs", "EPSG:4549", "-o", str(out), "-q"])
    assert code == 0
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("household_id")
