"""Functions and constants usable inside expressions: names, arities and docs only.

The callables live in ``fasthep_flow.ops.core.functions_impl`` (NumPy/awkward, imported only at run time); the
expression checker needs nothing but the arities here, so `fasthep-flow check` stays light.
"""

from __future__ import annotations

import math
from types import MappingProxyType

from fasthep_flow.registry.specs import FunctionSpec

IMPL_MODULE = "fasthep_flow.ops.core.functions_impl"


def _fn(signature: str, min_args: int, max_args: int | None, doc: str) -> FunctionSpec:
    name = signature.split("(", 1)[0]
    return FunctionSpec(name, min_args, max_args, doc, f"{IMPL_MODULE}:{name}", signature=signature)


_ELEMENTWISE = {
    "sqrt": "Square root, element-wise.",
    "abs": "Absolute value, element-wise.",
    "log": "Natural logarithm, element-wise.",
    "log10": "Base-10 logarithm, element-wise.",
    "exp": "Exponential, element-wise.",
    "cosh": "Hyperbolic cosine, element-wise.",
    "sinh": "Hyperbolic sine, element-wise (e.g. `pt * sinh(eta)` is pz).",
    "tanh": "Hyperbolic tangent, element-wise.",
    "sin": "Sine (radians), element-wise.",
    "cos": "Cosine (radians), element-wise.",
    "tan": "Tangent (radians), element-wise.",
}

_REDUCTIONS = {
    "count_nonzero": "Number of true (non-zero) entries per event.",
    "any": "True when any entry of the event is true.",
    "all": "True when every entry of the event is true (also for an empty list).",
    "sum": "Sum of the entries per event.",
    "min": "Smallest entry per event (missing for an empty list).",
    "max": "Largest entry per event (missing for an empty list).",
}

FUNCTIONS: tuple[FunctionSpec, ...] = (
    *(_fn(f"{name}(x)", 1, 1, doc) for name, doc in _ELEMENTWISE.items()),
    _fn(
        "arctan2(y, x)", 2, 2, "Angle of the point (x, y) in radians, element-wise, with the right quadrant."
    ),
    _fn("where(condition, a, b)", 3, 3, "`a` where `condition` is true, else `b`, element-wise."),
    _fn("fill_none(x, value, axis=-1)", 2, 3, "Replace missing values of `x` by `value`."),
    _fn(
        "pad_none(x, target, axis=1, clip=False)",
        2,
        4,
        "Pad each list of `x` with missing values to at least `target` entries (exactly, with `clip=True`).",
    ),
    _fn(
        "nth(x, n, default=0.0)",
        2,
        3,
        "The `n`-th *stored* entry of each list (0-based, no sorting); `default` (0.0, as upstream) when "
        "too short; `default=None` gives a missing value.",
    ),
    _fn(
        "leading(x, default=0.0)",
        1,
        2,
        "The first *stored* entry of each list (no sorting); `default` (0.0) when the list is empty.",
    ),
    _fn(
        "subleading(x, default=0.0)",
        1,
        2,
        "The second *stored* entry of each list (no sorting); `default` (0.0) when shorter.",
    ),
    *(_fn(f"{name}(x, axis=-1)", 1, 2, doc) for name, doc in _REDUCTIONS.items()),
    _fn("num(x, axis=1)", 1, 2, "Number of entries of each list (the multiplicity of a collection)."),
)

CONSTANTS = MappingProxyType({"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan})
"""Names an expression may use as numbers without any source defining them."""
