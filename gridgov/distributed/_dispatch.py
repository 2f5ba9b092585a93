"""Dispatch of the registered rules by scope: which run, and with which products.

Part of :mod:`gridgov.distributed`; see its documentation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import pandas as pd


def _running(run: Mapping[str, bool], scope: str) -> list[Any]:
    """Return the registered rules of `scope` that run, in the registry's order."""
    from gridgov.rules import RULES

    return [info for code, info in RULES.items() if run[code] and info.scope == scope]


def _wanted(run: Mapping[str, bool], scope: str, product: str) -> bool:
    """Whether a running rule of `scope` takes `product`."""
    return any(product in info.products + info.optional for info in _running(run, scope))


def _dispatch(info: Any, products: Mapping[str, Callable[[], Any]]) -> pd.DataFrame:
    """Call a registered rule with the products of its scope (computed on demand)."""
    from gridgov.rules.registry import call

    cache: dict[str, Any] = {}

    def provide(name: str) -> Any:
        if name not in cache:
            cache[name] = products[name]()
        return cache[name]

    result: pd.DataFrame = call(info, provide, products.__contains__)
    return result
