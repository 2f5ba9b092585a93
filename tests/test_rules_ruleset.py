"""RuleSet: defaults, presets, validation, dict and TOML round trips."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from typing import TYPE_CHECKING

import pytest

from gridgov.rules import RULES, RuleSet

if TYPE_CHECKING:
    from pathlib import Path


def test_urban_defaults_match_docs() -> None:
    rules = RuleSet()
    assert rules == RuleSet.urban()
    assert rules.household_bounds("comprehensive") == (300, 500)
    assert rules.household_bounds(None) == (300, 500)
    assert rules.household_bounds("micro") == (20, 100)
    assert rules.household_bounds("dedicated") == (None, None)
    assert rules.max_persons is None
    assert (rules.min_area, rules.max_area) == (None, None)
    assert rules.max_balance_cv == 0.25
    assert rules.code_pattern == r"^\d{15}$"
    assert rules.min_gap_area == rules.min_overlap_area == rules.min_outside_area == 1.0
    assert rules.min_parent_outside_area == 1.0
    assert (rules.sliver_width, rules.min_sliver_area) == (1.0, 10.0)
    assert (rules.feature_tolerance, rules.min_share_on_features) == (5.0, 0.5)
    assert (rules.min_split_area, rules.min_split_share) == (1.0, 0.01)
    assert rules.service_distance == 500.0
    assert rules.review_age_days == 1095
    assert rules.as_of is None
    assert rules.disabled == ()


def test_rural_preset() -> None:
    rural = RuleSet.rural()
    assert rural.household_bounds("comprehensive") == (100, 600)
    assert rural.household_bounds("micro") == (20, 100)
    assert rural.service_distance == 2000.0
    tweaked = RuleSet.rural(households={"micro": (10, 50)}, review_age_days=365)
    assert tweaked.household_bounds("comprehensive") == (100, 600)
    assert tweaked.household_bounds("micro") == (10, 50)
    assert tweaked.review_age_days == 365


def test_every_rule_has_a_principle_and_default_severity() -> None:
    assert len(RULES) == 22
    for code, info in RULES.items():
        assert code.startswith(info.principle + ".")
        assert info.severity in ("error", "warning", "info")
        assert RuleSet().severity_of(code) == info.severity
        assert RuleSet().enabled(code)


def test_disabled_and_severity_overrides() -> None:
    rules = RuleSet(
        disabled=("boundary.off_features", "coverage.service_gap"),
        severity={"boundary.bad_code": "error", "coverage.gap": "warning"},
    )
    assert not rules.enabled("boundary.off_features")
    assert rules.enabled("coverage.gap")
    assert rules.severity_of("boundary.bad_code") == "error"
    assert rules.severity_of("coverage.gap") == "warning"
    assert rules.severity_of("coverage.overlap") == "error"
    assert RuleSet(disabled="coverage.gap").disabled == ("coverage.gap",)


def test_immutable_and_hashable() -> None:
    rules = RuleSet()
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.max_balance_cv = 0.3  # type: ignore[misc]
    with pytest.raises(TypeError):
        rules.households["comprehensive"] = (1, 2)  # type: ignore[index]
    assert hash(rules) == hash(RuleSet())
    assert rules.replace(max_balance_cv=0.3).max_balance_cv == 0.3
    assert rules.max_balance_cv == 0.25


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"disabled": ("scale.nope",)}, "unknown rule code 'scale.nope'"),
        ({"severity": {"coverage.gap": "fatal"}}, "severities are error, warning, info"),
        ({"severity": {"coverage.gaps": "error"}}, "unknown rule code 'coverage.gaps'"),
        ({"households": {"comprehensive": (500, 300)}}, "lower bound 500 is above upper"),
        ({"households": {"village": (1, 2)}}, "unknown grid kind"),
        ({"households": {"micro": (1, 2, 3)}}, "must be a pair"),
        ({"min_area": 10, "max_area": 5}, "min_area (10) is above max_area (5)"),
        ({"max_balance_cv": 0}, "max_balance_cv must be finite and > 0"),
        ({"min_gap_area": -1}, "min_gap_area must be finite and >= 0"),
        ({"min_share_on_features": 1.5}, "fraction in [0, 1]"),
        ({"code_pattern": "(unclosed"}, "is not a regular expression"),
        ({"as_of": "yesterday"}, "as_of must be a date"),
        ({"review_age_days": 10.5}, "whole days"),
    ],
)
def test_bad_values_are_clear_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(
        ValueError,
        match=message.replace("(", r"\(")
        .replace(")", r"\)")
        .replace("[", r"\[")
        .replace("]", r"\]"),
    ):
        RuleSet(**kwargs)


def test_wrong_types_raise_type_error() -> None:
    with pytest.raises(TypeError, match="max_persons must be a number or None"):
        RuleSet(max_persons="many")
    with pytest.raises(TypeError, match="households must map grid kinds"):
        RuleSet(households=[300, 500])


def test_bounds_normalisation() -> None:
    rules = RuleSet(households={"comprehensive": (0, float("inf"))}, max_area=float("inf"))
    assert rules.household_bounds("comprehensive") == (None, None)
    assert rules.max_area is None
    assert RuleSet(as_of="2025-01-02").as_of == dt.date(2025, 1, 2)
    assert RuleSet(as_of=dt.datetime(2025, 1, 2, 10, 0)).as_of == dt.date(2025, 1, 2)


def test_dict_round_trip() -> None:
    rules = RuleSet(
        households={"micro": (10, 80)},
        max_persons=1500,
        min_area=1000.0,
        as_of=dt.date(2025, 6, 30),
        disabled=("coverage.service_gap",),
        severity={"boundary.bad_code": "error"},
    )
    data = rules.to_dict()
    assert data["households"]["micro"] == [10, 80]
    assert data["disabled"] == ["coverage.service_gap"]
    assert RuleSet.from_dict(data) == rules
    assert RuleSet.from_dict({}) == RuleSet()
    assert RuleSet.from_dict({"preset": "rural"}) == RuleSet.rural()


def test_from_dict_rejects_unknown_keys_and_presets() -> None:
    with pytest.raises(ValueError, match="unknown rule setting 'max_household'; known settings"):
        RuleSet.from_dict({"max_household": 400})
    with pytest.raises(ValueError, match="unknown rule preset 'suburban'"):
        RuleSet.from_dict({"preset": "suburban"})


def test_toml_round_trip(tmp_path: Path) -> None:
    rules = RuleSet.rural(
        max_area=250_000,
        as_of=dt.date(2024, 12, 31),
        disabled=("boundary.off_features",),
        severity={"scale.unbalanced_parent": "info"},
    )
    path = tmp_path / "rules.toml"
    path.write_text(rules.to_toml(), encoding="utf-8")
    assert RuleSet.from_toml(path) == rules
    assert RuleSet.from_dict(tomllib.loads(RuleSet().to_toml())) == RuleSet()


def test_toml_file_with_overrides_only(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        'preset = "urban"\n'
        'disabled = ["boundary.off_features"]\n'
        "review_age_days = 730\n"
        "as_of = 2025-03-01\n"
        "[households]\n"
        "comprehensive = [250, 450]\n"
        "dedicated = [0, inf]\n"
        "[severity]\n"
        '"boundary.bad_code" = "error"\n',
        encoding="utf-8",
    )
    rules = RuleSet.from_toml(path)
    assert rules.household_bounds("comprehensive") == (250, 450)
    assert rules.household_bounds("micro") == (20, 100)
    assert rules.household_bounds("dedicated") == (None, None)
    assert rules.review_age_days == 730
    assert rules.as_of == dt.date(2025, 3, 1)
    assert rules.severity_of("boundary.bad_code") == "error"
    assert not rules.enabled("boundary.off_features")


def test_toml_in_a_table_and_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gridgov.toml"
    path.write_text("[gridgov.rules]\nmax_balance_cv = 0.3\n", encoding="utf-8")
    assert RuleSet.from_toml(path).max_balance_cv == 0.3
    bad = tmp_path / "bad.toml"
    bad.write_text("max_balance_cv = \n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.toml' is not valid TOML"):
        RuleSet.from_toml(bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("max_cv = 0.3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown\.toml': unknown rule setting 'max_cv'"):
        RuleSet.from_toml(unknown)


def test_rule_errors_are_gridgov_errors(tmp_path: Path) -> None:
    from gridgov.errors import GridgovError
    from gridgov.rules import RuleSetError

    with pytest.raises(RuleSetError) as caught:
        RuleSet(disabled=("nope",))
    assert isinstance(caught.value, GridgovError)
    assert isinstance(caught.value, ValueError)
    path = tmp_path / "types.toml"
    path.write_text('max_persons = "many"\n', encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"types\.toml': RuleSet\.max_persons must be a number"):
        RuleSet.from_toml(path)
