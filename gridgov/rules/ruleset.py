"""RuleSet: every threshold of the four principles, with documented defaults.

A :class:`RuleSet` is immutable and checked once, at construction.  Planners
keep their local rules in a TOML file under version control::

    # rules.toml -- only what differs from the preset
    preset = "urban"                      # or "rural"
    disabled = ["boundary.off_features"]
    review_age_days = 730

    [households]                          # [lower, upper] per grid kind; 0 / inf: no bound
    comprehensive = [250, 450]

    [severity]
    "boundary.bad_code" = "error"

and read it with :meth:`RuleSet.from_toml`.  :meth:`RuleSet.to_toml` writes a
complete file to start from.  The rule codes are listed in
:data:`gridgov.rules.RULES` (the registry, :mod:`gridgov.rules.registry`).
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from gridgov._core.text import decode
from gridgov._core.vocabulary import GRID_KINDS
from gridgov.errors import OptionTypeError, RuleSetError
from gridgov.rules._settings import (
    _FRACTIONS,
    _LOWER,
    _NON_NEGATIVE,
    _POSITIVE,
    _RURAL_HOUSEHOLDS,
    _UPPER,
    _URBAN_HOUSEHOLDS,
    _bound,
    _Bounds,
    _check_number,
    _check_pattern,
    _check_rule_codes,
    _date,
    _household_bounds,
    _severities,
)
from gridgov.rules.registry import RULES

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["GRID_KINDS", "RuleSet"]


@dataclass(frozen=True)
class RuleSet:
    r"""The thresholds of the four principles (规模适度、边界清晰、无缝覆盖、动态调整).

    Immutable; every field is checked at construction.  All lengths are
    metres and all areas square metres (checks need a projected CRS).  A
    bound set to ``None`` is no bound.  Comparisons are strict: a value equal
    to its limit is not a finding.  ``docs/rules.md`` documents each rule.

    Parameters
    ----------
    households : mapping of str to (lower, upper), default urban bounds
        Households per grid by grid ``kind`` (a grid without kind is
        ``comprehensive``): ``comprehensive`` (300, 500), ``micro`` (20, 100),
        ``dedicated`` (None, None).  Kinds not given keep these defaults.
        Rules ``scale.too_many_households`` / ``scale.too_few_households``.
    max_persons : int, optional
        Upper bound on the persons of a grid (sum of the households'
        ``persons``); ``None`` (default) skips ``scale.too_many_persons``.
    min_area, max_area : float, optional
        Bounds on the area of a grid in m²; both ``None`` (default) skips
        ``scale.area_out_of_range``.
    max_balance_cv : float, default 0.25
        Largest coefficient of variation (population std / mean) of the loads
        of the comprehensive grids of one parent unit (``scale.unbalanced_parent``).
    code_pattern : str, default ``^\\d{15}$``
        Regular expression a grid id must match (``boundary.bad_code``): the
        12-digit community code and a 3-digit sequence.
    code_starts_with_parent : bool, default True
        Also require a grid id to start with its ``parent_id`` (when given).
    min_parent_outside_area : float, default 1.0
        Area of a grid outside its parent unit, in m², above which
        ``boundary.crosses_parent`` is reported.
    min_split_area : float, default 1.0
        ``boundary.splits_building``: each side of a cut building must exceed
        this area (m²) ...
    min_split_share : float, default 0.01
        ... and this share of the footprint.
    feature_tolerance : float, default 5.0
        Distance in metres within which a boundary counts as following a
        road, river or wall line (``boundary.off_features``).
    min_share_on_features : float, default 0.5
        Smallest share of a grid's boundary that must follow features.
    sliver_width : float, default 1.0
        Parts of a grid thinner than this (m), i.e. removed by a morphological
        opening with radius ``sliver_width / 2``, are slivers ...
    min_sliver_area : float, default 10.0
        ... reported when they add up to more than this area (m²).
    min_gap_area : float, default 1.0
        Smallest uncovered area (m²) reported as ``coverage.gap``.
    min_overlap_area : float, default 1.0
        Smallest area (m²) shared by two grids reported as ``coverage.overlap``.
    min_outside_area : float, default 1.0
        Area of a grid outside the jurisdiction (m²) above which
        ``coverage.outside_jurisdiction`` is reported.
    service_distance : float, default 500.0
        Network distance (m) along the roads to the nearest station beyond
        which a household is in a ``coverage.service_gap`` (rural: 2000).
    review_age_days : int, default 1095
        Age of ``valid_from`` in days beyond which ``adjustment.review_due``
        is reported (three years).
    as_of : datetime.date, optional
        The date ages are computed at; ``None`` (default) is today.
    disabled : tuple of str, default ()
        Rule codes not to run (listed in ``Findings.skipped``).
    severity : mapping of str to str, default {}
        Severity overrides by rule code (``error``, ``warning``, ``info``);
        the defaults are in :data:`RULES`.

    See Also
    --------
    gridgov.check : applies the rules.

    Examples
    --------
    >>> rules = RuleSet(disabled=("boundary.off_features",), review_age_days=730)
    >>> rules.household_bounds("comprehensive"), rules.household_bounds("dedicated")
    ((300, 500), (None, None))
    >>> rules.enabled("boundary.off_features"), rules.severity_of("boundary.bad_code")
    (False, 'warning')
    >>> RuleSet.rural().household_bounds(None)
    (100, 600)
    >>> RuleSet.from_dict(rules.to_dict()) == rules
    True
    >>> RuleSet(disabled=("scale.too_big",))
    Traceback (most recent call last):
    ...
    gridgov.errors.RuleSetError: RuleSet.disabled: unknown rule code 'scale.too_big'; ...
    """

    households: Mapping[str, _Bounds] = field(
        default_factory=lambda: MappingProxyType(dict(_URBAN_HOUSEHOLDS))
    )
    max_persons: float | None = None
    min_area: float | None = None
    max_area: float | None = None
    max_balance_cv: float = 0.25
    code_pattern: str = r"^\d{15}$"
    code_starts_with_parent: bool = True
    min_parent_outside_area: float = 1.0
    min_split_area: float = 1.0
    min_split_share: float = 0.01
    feature_tolerance: float = 5.0
    min_share_on_features: float = 0.5
    sliver_width: float = 1.0
    min_sliver_area: float = 10.0
    min_gap_area: float = 1.0
    min_overlap_area: float = 1.0
    min_outside_area: float = 1.0
    service_distance: float = 500.0
    review_age_days: int = 1095
    as_of: dt.date | None = None
    disabled: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        put("households", MappingProxyType(_household_bounds(self.households)))
        for name in _LOWER:
            put(name, _bound(getattr(self, name), name=name, upper=False))
        for name in _UPPER:
            put(name, _bound(getattr(self, name), name=name, upper=True))
        low, high = self.min_area, self.max_area
        if low is not None and high is not None and low > high:
            msg = f"RuleSet.min_area ({low}) is above max_area ({high})"
            raise RuleSetError(msg)
        for name in (*_POSITIVE, *_NON_NEGATIVE):
            _check_number(name, getattr(self, name), positive=name in _POSITIVE)
        for name in _FRACTIONS:
            if not 0 <= getattr(self, name) <= 1:
                msg = f"RuleSet.{name} is a fraction in [0, 1], got {getattr(self, name)!r}"
                raise RuleSetError(msg)
        if int(self.review_age_days) != self.review_age_days:
            msg = f"RuleSet.review_age_days must be whole days, got {self.review_age_days!r}"
            raise RuleSetError(msg)
        put("review_age_days", int(self.review_age_days))
        _check_pattern(self.code_pattern)
        if not isinstance(self.code_starts_with_parent, bool):
            msg = "RuleSet.code_starts_with_parent must be True or False"
            raise OptionTypeError(msg)
        put("as_of", _date(self.as_of))
        disabled = (self.disabled,) if isinstance(self.disabled, str) else self.disabled
        _check_rule_codes(disabled, name="disabled")
        put("disabled", tuple(sorted(set(map(str, disabled)))))
        put("severity", MappingProxyType(_severities(self.severity)))

    def __hash__(self) -> int:
        return hash(repr(self.to_dict()))

    # -- presets ----------------------------------------------------------------

    @classmethod
    def urban(cls, **overrides: Any) -> RuleSet:
        """Return the urban rules (the default): 300–500 households per comprehensive grid.

        Parameters
        ----------
        **overrides
            Fields to change, as in the constructor.

        Returns
        -------
        RuleSet

        Examples
        --------
        >>> RuleSet.urban() == RuleSet()
        True
        """
        return cls(**overrides)

    @classmethod
    def rural(cls, **overrides: Any) -> RuleSet:
        """Return the rural rules: 100–600 households per comprehensive grid, 2 km service distance.

        Villages are smaller and sparser than urban compounds: a grid is a
        village group (村民小组) or a few of them, and service points are farther.

        Parameters
        ----------
        **overrides
            Fields to change, as in the constructor.

        Returns
        -------
        RuleSet

        Examples
        --------
        >>> RuleSet.rural().household_bounds("comprehensive")
        (100, 600)
        """
        base: dict[str, Any] = {
            "households": dict(_RURAL_HOUSEHOLDS),
            "service_distance": 2000.0,
        }
        if "households" in overrides:
            base["households"] = {**_RURAL_HOUSEHOLDS, **dict(overrides.pop("households"))}
        return cls(**{**base, **overrides})

    # -- queries ----------------------------------------------------------------

    def household_bounds(self, kind: str | None) -> tuple[float | None, float | None]:
        """Return the (lower, upper) household bounds of a grid kind; None is no bound.

        Parameters
        ----------
        kind : str or None
            ``comprehensive``, ``dedicated`` or ``micro``; None (or a missing
            value) is ``comprehensive``.

        Returns
        -------
        tuple
        """
        if not isinstance(kind, str) or kind not in self.households:  # None, NaN, unknown
            kind = "comprehensive"
        return self.households[kind]

    def enabled(self, rule: str) -> bool:
        """Return whether `rule` runs (it is a known code and not disabled)."""
        if rule not in RULES:
            msg = f"unknown rule code {rule!r}; rule codes are {', '.join(RULES)}"
            raise RuleSetError(msg)
        return rule not in self.disabled

    def severity_of(self, rule: str) -> str:
        """Return the severity of `rule`: the override, else the default in :data:`RULES`."""
        if rule not in RULES:
            msg = f"unknown rule code {rule!r}; rule codes are {', '.join(RULES)}"
            raise RuleSetError(msg)
        return self.severity.get(rule, RULES[rule].severity)

    def today(self) -> dt.date:
        """Return :attr:`as_of`, or today's date when it is None."""
        return self.as_of if self.as_of is not None else dt.date.today()

    def replace(self, **changes: Any) -> RuleSet:
        """Return a copy with some fields changed (the copy is checked again)."""
        return replace(self, **changes)

    # -- serialisation ----------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the rules as a plain dict (the inverse of :meth:`from_dict`).

        Returns
        -------
        dict
            Every field; ``households`` as a dict of ``[lower, upper]`` lists,
            ``disabled`` as a list, ``severity`` as a dict, ``None`` for no bound.
        """
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "households":
                value = {kind: list(pair) for kind, pair in value.items()}
            elif f.name == "disabled":
                value = list(value)
            elif f.name == "severity":
                value = dict(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        """Build rules from a dict, as read from TOML or JSON; missing fields keep defaults.

        Parameters
        ----------
        data : mapping
            Field names to values.  An optional ``preset`` (``urban`` or
            ``rural``) is the starting point; ``households`` overrides only
            the kinds it names.  ``inf`` (upper) and ``0`` (lower) bounds mean
            no bound.

        Returns
        -------
        RuleSet

        Raises
        ------
        RuleSetError
            On an unknown key (with the list of known ones) or a bad value
            (a :class:`ValueError` and a :class:`gridgov.GridgovError`).

        Examples
        --------
        >>> RuleSet.from_dict({"preset": "rural", "households": {"micro": [10, 80]}}).households
        mappingproxy({'comprehensive': (100, 600), 'dedicated': (None, None), 'micro': (10, 80)})
        >>> RuleSet.from_dict({"max_household": 400})
        Traceback (most recent call last):
        ...
        gridgov.errors.RuleSetError: unknown rule setting 'max_household'; ...
        """
        if not hasattr(data, "items"):
            msg = f"rules must be a mapping of settings, got {type(data).__name__}"
            raise RuleSetError(msg)
        data = dict(data)
        preset = data.pop("preset", "urban")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            msg = (
                f"unknown rule setting {', '.join(map(repr, unknown))}; "
                f"known settings are preset, {', '.join(sorted(known))}"
            )
            raise RuleSetError(msg)
        if "disabled" in data and not isinstance(data["disabled"], str):
            data["disabled"] = tuple(data["disabled"])
        if preset not in ("urban", "rural"):
            msg = f"unknown rule preset {preset!r}; expected 'urban' or 'rural'"
            raise RuleSetError(msg)
        try:
            return cls.urban(**data) if preset == "urban" else cls.rural(**data)
        except TypeError as error:  # a value of the wrong type, e.g. read from a file
            raise RuleSetError(str(error)) from None

    @classmethod
    def from_toml(cls, path: str | Path) -> RuleSet:
        """Read rules from a TOML file (see the module documentation for an example).

        Parameters
        ----------
        path : path-like
            The file, in UTF-8 (with or without BOM) or GB18030/GBK, detected in
            that order.  Its settings may also sit in a ``[gridgov.rules]`` or
            ``[rules]`` table (e.g. inside a larger configuration file).

        Returns
        -------
        RuleSet

        Raises
        ------
        RuleSetError
            When the file is not valid TOML or holds unknown settings (the
            message names the file).
        """
        path = Path(path)
        try:
            data = tomllib.loads(decode(path.read_bytes())[0])
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            msg = f"rules file {str(path)!r} is not valid TOML: {error}"
            raise RuleSetError(msg) from None
        if isinstance(data.get("gridgov"), dict) and "rules" in data["gridgov"]:
            data = data["gridgov"]["rules"]
        elif isinstance(data.get("rules"), dict) and len(data) == 1:
            data = data["rules"]
        try:
            return cls.from_dict(data)
        except (TypeError, ValueError) as error:
            msg = f"rules file {str(path)!r}: {error}"
            raise RuleSetError(msg) from None

    def to_toml(self) -> str:
        """Return the rules as TOML text, every setting written out (``0`` / ``inf``: no bound).

        Returns
        -------
        str

        Examples
        --------
        >>> import tomllib
        >>> text = RuleSet(max_area=50_000).to_toml()
        >>> print(text.splitlines()[0])
        # gridgov rules (RuleSet); lengths in metres, areas in m²; 0 / inf: no bound
        >>> RuleSet.from_dict(tomllib.loads(text)) == RuleSet(max_area=50_000)
        True
        """
        lines = ["# gridgov rules (RuleSet); lengths in metres, areas in m²; 0 / inf: no bound"]
        tables: list[str] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "households":
                tables.append("")
                tables.append("[households]  # [lower, upper] households per grid kind")
                for kind, (low, high) in value.items():
                    tables.append(
                        f"{kind} = [{_toml_value(0 if low is None else low)}, "
                        f"{_toml_value(math.inf if high is None else high)}]"
                    )
            elif f.name == "severity":
                tables.append("")
                tables.append("[severity]  # overrides of the default severity of a rule")
                tables.extend(f'"{rule}" = "{level}"' for rule, level in value.items())
            elif value is None and f.name == "as_of":
                lines.append("# as_of = 2025-01-01  # default: today")
            elif value is None:
                lines.append(f"{f.name} = {_toml_value(0 if f.name in _LOWER else math.inf)}")
            else:
                lines.append(f"{f.name} = {_toml_value(value)}")
        return "\n".join(lines + tables) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value + "'" if "'" not in value else '"' + value.replace("\\", "\\\\") + '"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    msg = f"cannot write {value!r} as TOML"
    raise OptionTypeError(msg)
