"""The expression function table on NumPy and jagged awkward arrays."""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pytest

from fasthep_flow.ops.core import functions, functions_impl
from fasthep_flow.ops.core.functions_impl import function_table

F = function_table()
JAGGED = ak.Array([[3.0, 1.0, 2.0], [], [5.0], [0.0, 4.0]])


def test_every_spec_impl_names_a_callable_of_the_table() -> None:
    for spec in functions.FUNCTIONS:
        module, _, name = spec.impl.partition(":")
        assert module == "fasthep_flow.ops.core.functions_impl"
        assert getattr(functions_impl, name) is F[spec.name]
    assert {s.name for s in functions.FUNCTIONS} <= set(F)


def test_constants() -> None:
    assert functions_impl.CONSTANTS["pi"] == math.pi
    assert math.isnan(functions_impl.CONSTANTS["nan"])
    assert functions_impl.CONSTANTS["inf"] == math.inf


def test_leading_and_nth_take_stored_order_without_sorting() -> None:
    """Past the end of a list the default is 0.0, as upstream (LANGUAGE.md §17.2); None asks for missing."""
    assert F["leading"](JAGGED).tolist() == [3.0, 0.0, 5.0, 0.0]
    assert F["subleading"](JAGGED).tolist() == [1.0, 0.0, 0.0, 4.0]
    assert F["nth"](JAGGED, 2).tolist() == [2.0, 0.0, 0.0, 0.0]
    assert F["nth"](JAGGED, -1).tolist() == [2.0, 0.0, 5.0, 4.0]
    assert F["nth"](JAGGED, -2).tolist() == [1.0, 0.0, 0.0, 0.0]
    assert F["leading"](JAGGED, -1.0).tolist() == [3.0, -1.0, 5.0, 0.0]
    assert F["nth"](JAGGED, 1, -7.0).tolist() == [1.0, -7.0, -7.0, 4.0]
    assert F["leading"](JAGGED, None).tolist() == [3.0, None, 5.0, 0.0]
    optional = ak.Array([[None, 1.0], [], [2.0]])  # not plain numbers: the general path keeps the default too
    assert F["subleading"](optional).tolist() == [1.0, 0.0, 0.0]


def test_nth_of_a_flat_column_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="list per event"):
        F["nth"](np.array([1.0, 2.0]), 0)


def test_reductions_are_per_event() -> None:
    assert F["sum"](JAGGED).tolist() == [6.0, 0.0, 5.0, 4.0]
    assert F["count_nonzero"](JAGGED > 1.5).tolist() == [2, 0, 1, 1]
    assert F["any"](JAGGED > 4).tolist() == [False, False, True, False]
    assert F["all"](JAGGED > 0.5).tolist() == [True, True, True, False]
    assert F["min"](JAGGED).tolist() == [1.0, None, 5.0, 0.0]
    assert F["max"](JAGGED).tolist() == [3.0, None, 5.0, 4.0]
    assert F["num"](JAGGED).tolist() == [3, 0, 1, 2]


def test_reductions_of_a_flat_column_keep_one_value_per_event() -> None:
    flat = np.array([0.0, 2.0, 3.0])
    assert F["count_nonzero"](flat).tolist() == [0, 1, 1]
    assert F["sum"](flat).tolist() == [0.0, 2.0, 3.0]
    assert F["any"](flat).tolist() == [False, True, True]
    assert F["num"](flat).tolist() == [1, 1, 1]


def test_elementwise_math_on_jagged_and_numpy() -> None:
    assert F["sqrt"](ak.Array([[4.0, 9.0], []])).tolist() == [[2.0, 3.0], []]
    assert F["abs"](np.array([-1, 2])).tolist() == [1, 2]
    np.testing.assert_allclose(F["arctan2"](np.array([1.0]), np.array([1.0])), [math.pi / 4])
    np.testing.assert_allclose(F["cosh"](np.array([0.0, 1.0])), [1.0, math.cosh(1.0)])


def test_where_fill_none_pad_none() -> None:
    assert F["where"](np.array([True, False]), np.array([1, 2]), 0).tolist() == [1, 0]
    assert F["where"](JAGGED > 2, JAGGED, 0.0).tolist() == [[3.0, 0.0, 0.0], [], [5.0], [0.0, 4.0]]
    assert F["fill_none"](F["leading"](JAGGED, None), -9).tolist() == [3.0, -9, 5.0, 0.0]
    assert F["pad_none"](JAGGED, 2).tolist() == [[3.0, 1.0, 2.0], [None, None], [5.0, None], [0.0, 4.0]]
    assert F["pad_none"](JAGGED, 2, clip=True).tolist() == [[3.0, 1.0], [None, None], [5.0, None], [0.0, 4.0]]


def test_leading_infers_a_type_without_data() -> None:
    """The editor infers column types on awkward's typetracer: `leading` must work there too."""
    import awkward as ak

    from fasthep_flow.ops.core.functions_impl import leading

    tracer = ak.Array(ak.Array([[1.0, 2.0], [], [3.0]]).layout.to_typetracer(forget_length=True))
    assert str(leading(tracer, -1).type) == "## * float64"
    assert str(leading(tracer).type) == "## * float64"
    assert str(leading(tracer, None).type) == "## * ?float64"
