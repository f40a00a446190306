"""compile_expr on awkward jagged arrays, NumPy columns and plain globals, with a function table built here."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import awkward as ak
import numpy as np
import pytest

from fasthep_flow.document import codes
from fasthep_flow.expressions import EvalError, Expr, compile_expr, parse


def _leading(x: Any, default: Any = None) -> Any:
    first = ak.firsts(x)
    return first if default is None else ak.fill_none(first, default)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": np.sqrt,
    "abs": np.abs,
    "where": lambda c, a, b: ak.where(c, a, b),
    "pad_none": lambda x, target, clip=False: ak.pad_none(x, target, clip=clip),
    "fill_none": ak.fill_none,
    "leading": _leading,
    "count_nonzero": lambda x: ak.count_nonzero(x, axis=1),
}

PX = [[3.0, 1.0], [], [6.0], [0.5, 2.0, 4.0]]
PY = [[4.0, 1.0], [], [8.0], [0.5, 0.0, 3.0]]
ISO = [[0.1, 0.5], [], [0.2], [0.01, 0.3, 0.4]]
EVENTS: dict[str, Any] = {
    "Muon_Px": ak.Array(PX),
    "Muon_Py": ak.Array(PY),
    "Muon_Iso": ak.Array(ISO),
    "NMuon": np.array([2, 0, 1, 3]),
    "EventWeight": np.array([0.5, 1.0, 2.0, 1.5]),
    "Dimuon.dimuon": np.array([True, False, False, True]),
    "iso_cut": 0.1,
    "dataset": "data",
}
PT = [[math.sqrt(x**2 + y**2) for x, y in zip(px, py, strict=True)] for px, py in zip(PX, PY, strict=True)]


def run(text: str, env: dict[str, Any] | None = None) -> Any:
    expr = parse(text)
    assert isinstance(expr, Expr), expr
    return compile_expr(expr, FUNCTIONS)(EVENTS if env is None else env)


def with_pt() -> dict[str, Any]:
    return {**EVENTS, "Muon_Pt": ak.Array(PT)}


def test_jagged_transverse_momentum() -> None:
    got = run("sqrt(Muon_Px ** 2 + Muon_Py ** 2)")
    assert isinstance(got, ak.Array)
    assert got.to_list() == PT


def test_jagged_relative_isolation_mask_with_a_global() -> None:
    got = run("(Muon_Iso / Muon_Pt) < iso_cut", with_pt())
    expected = [[i / p < 0.1 for i, p in zip(iso, pt, strict=True)] for iso, pt in zip(ISO, PT, strict=True)]
    assert got.to_list() == expected


def test_boolean_words_on_numpy_integers() -> None:
    got = run("NMuon >= 2 and NMuon < 5")
    np.testing.assert_array_equal(got, (EVENTS["NMuon"] >= 2) & (EVENTS["NMuon"] < 5))
    got = run("NMuon == 0 || NMuon > 2")
    np.testing.assert_array_equal(got, [False, True, False, True])
    got = run("not NMuon > 1")
    np.testing.assert_array_equal(got, [False, True, True, False])


def test_chained_comparison_on_jagged() -> None:
    got = run("1.5 < Muon_Pt <= 5", with_pt())
    assert got.to_list() == [[p > 1.5 and p <= 5 for p in pt] for pt in PT]


def test_masking_a_jagged_array() -> None:
    got = run("Muon_Pt[Muon_Iso < 0.25]", with_pt())
    expected = [
        [p for p, i in zip(pt, iso, strict=True) if i < 0.25] for pt, iso in zip(PT, ISO, strict=True)
    ]
    assert got.to_list() == expected


def test_masking_events_with_a_dotted_flag_name() -> None:
    got = run("EventWeight[Dimuon.dimuon]")
    np.testing.assert_array_equal(got, [0.5, 1.5])


def test_slices_pad_none_and_keyword_arguments() -> None:
    got = run("fill_none(pad_none(Muon_Pt, 2, clip=True)[:, 1], -1)", with_pt())
    assert got.to_list() == [PT[0][1], -1, -1, PT[3][1]]
    assert run("Muon_Pt[:, 1:]", with_pt()).to_list() == [pt[1:] for pt in PT]


def test_conditional_on_jagged_uses_awkward_where() -> None:
    got = run("Muon_Pt if Muon_Iso < 0.25 else -1", with_pt())
    assert isinstance(got, ak.Array)
    expected = [
        [p if i < 0.25 else -1 for p, i in zip(pt, iso, strict=True)] for pt, iso in zip(PT, ISO, strict=True)
    ]
    assert got.to_list() == expected


def test_conditional_on_numpy_uses_numpy_where() -> None:
    got = run("EventWeight * 2 if NMuon > 1 else -EventWeight")
    assert isinstance(got, np.ndarray)
    np.testing.assert_array_equal(got, [1.0, -1.0, -2.0, 3.0])


def test_scalar_condition_evaluates_only_the_chosen_branch() -> None:
    # `missing` is not in the data: with a scalar test only the taken branch is read
    assert run("EventWeight if dataset == 'data' else missing") is EVENTS["EventWeight"]
    assert run("1 if dataset != 'data' else 2") == 2


def test_functions_come_only_from_the_table() -> None:
    np.testing.assert_array_equal(run("count_nonzero(Muon_Iso < 0.25)"), [1, 0, 1, 1])
    assert run("leading(Muon_Px, -1)").to_list() == [3.0, -1, 6.0, 0.5]


def test_logical_words_on_plain_values() -> None:
    env = {"a": True, "b": False, "n": 3}
    assert run("a and b", env) is False
    assert run("a || b", env) is True
    assert run("not b and n > 2", env) is True
    assert run("0 < n < 5", env) is True
    assert run("-n ** 2 + n // 2 % 2", env) == -9 + 1


def test_record_field_after_a_subscript() -> None:
    env = {"Muon": ak.Array([[{"pt": 1.0}, {"pt": 2.0}], [{"pt": 3.0}]])}
    assert run("Muon[:, 0].pt", env).to_list() == [1.0, 3.0]


def test_missing_symbol_is_an_eval_error_with_its_span() -> None:
    with pytest.raises(EvalError) as info:
        run("NMuon > 1 and Muon_Ptt > 2")
    err = info.value
    assert err.code is codes.RUNTIME_MISSING_FIELD
    assert (err.start, err.end) == (14, 22)


def test_failing_operation_says_which_part_failed() -> None:
    env = {**EVENTS, "Jet_Pt": ak.Array([[1.0], [2.0], [], [1.0]])}
    with pytest.raises(EvalError) as info:
        run("NMuon > 0 and Muon_Px + Jet_Pt > 1", env)
    err = info.value
    assert err.code is codes.STAGE_FAILED
    assert (err.start, err.end) == (14, 30)
    assert err.message.startswith("evaluating 'Muon_Px + Jet_Pt' failed: ")
    assert err.__cause__ is not None


def test_importing_and_parsing_does_not_import_numpy_or_awkward() -> None:
    code = (
        "import sys\n"
        "import fasthep_flow.expressions as e\n"
        "x = e.parse('sqrt(x) + 1 if a else b')\n"
        "e.check(x, {})\n"
        "e.expected_at('sqrt(Mu', 7)\n"
        "print(sorted(m for m in ('numpy', 'awkward') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
