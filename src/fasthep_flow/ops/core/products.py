"""Merging the products of two partitions (or datasets): histograms add, cutflows add.

The runtime folds partition results with this one function, whatever the executor; anything it cannot merge
is a broken invariant (two different kinds of product under one name), never a user's mistake.
"""

from __future__ import annotations

from typing import Any

from fasthep_flow.document.diagnostics import InternalError


def _is_hist(product: Any) -> bool:
    return type(product).__module__.split(".", 1)[0] in ("hist", "boost_histogram")


def merge_products(a: Any, b: Any) -> Any:
    """``a + b`` for two histograms (category axes that grow are united) or two cutflows."""
    if type(a) is type(b) and callable(getattr(a, "to_rows", None)):  # a cutflow (ops/hep/cutflow_product.py)
        return a + b
    if _is_hist(a) and _is_hist(b):
        try:
            return a + b
        except (ValueError, TypeError) as exc:
            raise InternalError(f"cannot add histograms with different axes: {exc}") from exc
    raise InternalError(f"cannot merge products of types {type(a).__name__} and {type(b).__name__}")
